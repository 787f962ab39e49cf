//! Byte sizes as users write them, for the configuration and the command line alike.

/// Parses a byte size: a whole number with an optional unit `B`, `KiB`, `MiB` or `GiB`, in any
/// case (`K`/`KB`, `M`/`MB`, `G`/`GB` mean the same powers of 1024), a space allowed before it.
pub(crate) fn parse(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let bad = || format!("invalid size {text:?}: use bytes or a unit, e.g. 1048576, 512KiB, 10MiB");
    let number: u64 = number.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    number.checked_mul(factor).ok_or_else(bad)
}

/// [`parse`] for a size held in memory.
pub(crate) fn parse_usize(text: &str) -> Result<usize, String> {
    let size = parse(text)?;
    usize::try_from(size).map_err(|_| format!("invalid size {text:?}: too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units_in_any_case() {
        assert_eq!(parse("10MiB"), Ok(10 << 20));
        assert_eq!(parse("512 kb"), Ok(512 << 10));
        assert_eq!(parse("1G"), Ok(1 << 30));
        assert_eq!(parse("7"), Ok(7));
        assert_eq!(parse_usize("1MiB"), Ok(1 << 20));
        for bad in ["x", "", "MiB", "1TiB", "-1", "99999999999999999999GiB"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
