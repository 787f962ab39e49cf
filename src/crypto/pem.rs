//! Splitting text into PEM blocks (a file may hold a key, a cert chain, or both).

use crate::error::CryptoError;

/// One decoded PEM block.
pub struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
}

/// Decodes every `-----BEGIN X-----` ... `-----END X-----` block in `text`, in order.
pub fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, CryptoError> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let end_marker = block
            .find("-----END ")
            .and_then(|end| {
                block[end + 9..]
                    .find("-----")
                    .map(|tail| end + 9 + tail + 5)
            })
            .ok_or_else(|| CryptoError::Pem("a BEGIN line has no matching END line".into()))?;
        let (label, der) = pem_rfc7468::decode_vec(&block.as_bytes()[..end_marker])
            .map_err(|e| CryptoError::Pem(e.to_string()))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der,
        });
        rest = &block[end_marker..];
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_block() {
        let text = "junk\n-----BEGIN A-----\nAAEC\n-----END A-----\nmore\n-----BEGIN B-----\nAw==\n-----END B-----\n";
        let blocks = pem_blocks(text).unwrap();
        let labels: Vec<_> = blocks.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["A", "B"]);
        assert_eq!(blocks[0].der, [0, 1, 2]);
        assert_eq!(blocks[1].der, [3]);
    }

    #[test]
    fn unterminated_block_is_an_error() {
        assert!(pem_blocks("-----BEGIN A-----\nAAEC\n").is_err());
        assert!(pem_blocks("no pem here").unwrap().is_empty());
    }
}
