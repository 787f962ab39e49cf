//! The controller's flag values: Go-style durations (`720h`, `1h30m`), times
//! (RFC 3339 or RFC 1123 with a numeric zone, as upstream's `--key-cutoff-time`) and byte sizes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parses a Go duration: a sequence of decimal numbers with units `ns`, `us`, `ms`, `s`,
/// `m`, `h` (`720h`, `1h30m`, `1.5s`); `0` alone is zero.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?}: use Go's form, e.g. 720h, 90m, 1h30m, 10s");
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// Renders a duration the way Go prints round ones (`720h0m0s` becomes `720h`).
#[cfg(test)]
pub(crate) fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Parses `2026-01-02T15:04:05Z` (RFC 3339, any offset) or `Mon, 02 Jan 2006 15:04:05 -0700`
/// (RFC 1123 with a numeric zone, upstream's format).
pub(crate) fn parse_time(text: &str) -> Result<SystemTime, String> {
    let s = text.trim();
    parse_rfc3339(s).or_else(|| parse_rfc1123z(s)).ok_or_else(|| {
        format!(
            "invalid time {text:?}: use RFC 3339 (2026-01-02T15:04:05Z) or RFC 1123 with a numeric zone (Fri, 02 Jan 2026 15:04:05 +0000)"
        )
    })
}

fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (date, time) = (
        (num(0..4)?, num(5..7)?, num(8..10)?),
        (num(11..13)?, num(14..16)?),
    );
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let sec = num(17..19)?;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => parse_offset(rest, true)?,
    };
    civil_to_time(date, (time.0, time.1, sec), offset)
}

fn parse_rfc1123z(s: &str) -> Option<SystemTime> {
    // Mon, 02 Jan 2006 15:04:05 -0700
    let (_, rest) = s.split_once(", ")?;
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let [day, month, year, time, zone] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    let hms: Vec<u32> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    civil_to_time(
        (year.parse().ok()?, month, day.parse().ok()?),
        (*h, *m, *sec),
        parse_offset(zone, false)?,
    )
}

/// `+07:00` (with colon) or `-0700` (without); seconds east of UTC.
fn parse_offset(s: &str, colon: bool) -> Option<i64> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = if colon {
        let (h, m) = s[1..].split_once(':')?;
        (h.len() == 2 && m.len() == 2).then(|| format!("{h}{m}"))?
    } else {
        s[1..].to_string()
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = digits[2..].parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

fn civil_to_time(
    (year, month, day): (u32, u32, u32),
    (hour, minute, second): (u32, u32, u32),
    offset: i64,
) -> Option<SystemTime> {
    let dt = x509_cert::der::DateTime::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    let utc = i64::try_from(dt.unix_duration().as_secs()).ok()? - offset;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(utc).ok()?))
}

/// RFC 3339 in UTC with seconds (`2026-01-02T15:04:05Z`), for logs and listings.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn format_time(t: SystemTime) -> String {
    x509_cert::der::DateTime::from_system_time(t)
        .map(|dt| dt.to_string())
        .unwrap_or_else(|_| "(out of range)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_go() {
        assert_eq!(
            parse_duration("720h").unwrap(),
            Duration::from_secs(720 * 3600)
        );
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        for bad in ["", "h", "10", "10d", "-1h", "1h 2m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(720 * 3600)), "720h");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
    }

    #[test]
    fn times_in_both_formats() {
        let t = parse_time("2026-01-02T15:04:05Z").unwrap();
        assert_eq!(format_time(t), "2026-01-02T15:04:05Z");
        assert_eq!(parse_time("2026-01-02T17:04:05.123+02:00").unwrap(), t);
        assert_eq!(parse_time("Fri, 02 Jan 2026 08:04:05 -0700").unwrap(), t);
        for bad in ["2026-01-02", "yesterday", "Fri, 02 Foo 2026 08:04:05 -0700"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
