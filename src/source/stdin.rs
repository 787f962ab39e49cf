//! Standard input as a source: one stream (`kubectl kustomize DIR | sealant scan -`), read whole
//! within the size cap and judged as one file.

use std::io::Read;

use crate::error::{Error, Result};

/// The name a stream is reported under when `--stdin-filename` gives none.
pub(crate) const NAME: &str = crate::io::STDIN;

/// The name detectors see for a stream reported as `name`: rules choose files by name, and a
/// stream without one is taken for what pipes into sealant carry, YAML manifests.
pub(crate) fn type_name(name: &str) -> &str {
    if name == NAME {
        "<stdin>.yaml"
    } else {
        name
    }
}

/// The whole stream, at most `cap` bytes: a longer one is an error, not a partial scan.
pub(crate) fn read(input: &mut dyn Read, cap: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read {
            path: NAME.into(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(Error::input_help(
            NAME,
            format!("the stream is larger than max-file-size ({cap} bytes); not scanned"),
            "raise max-file-size in .sealant.yaml, or scan the files the stream is made of",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_cap_and_refuses_more() {
        assert_eq!(read(&mut &b"12345"[..], 5).unwrap(), b"12345");
        let err = read(&mut &b"123456"[..], 5).unwrap_err().to_string();
        assert!(err.contains("<stdin>") && err.contains("5 bytes"), "{err}");
        assert_eq!(type_name(NAME), "<stdin>.yaml");
        assert_eq!(type_name("prod.env"), "prod.env");
    }
}
