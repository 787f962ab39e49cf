//! Errors. Every message says where the problem is and what to do; none carries a secret value.

use std::path::PathBuf;

use thiserror::Error;

/// Failures of the cryptographic layer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the operating system's random source failed")]
    Random,
    #[error("RSA encryption failed: {0}")]
    Rsa(String),
    #[error("sealed value is too short: {len} bytes, a valid one has at least {need}")]
    TooShort { len: usize, need: usize },
    /// Upstream's single decryption error, plus the label and key count for our users.
    #[error("no key could decrypt secret (label {label:?}; tried {keys} key{})", if *keys == 1 { "" } else { "s" })]
    NoKeyCouldDecrypt { label: String, keys: usize },
    #[error("invalid certificate: {0}")]
    Cert(String),
    #[error("invalid private key: {0}")]
    Key(String),
    #[error("invalid PEM: {0}")]
    Pem(String),
}

impl CryptoError {
    /// What to do about it, where there is more to say than the message.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            CryptoError::NoKeyCouldDecrypt { .. } => Some(
                "the value was sealed with another key, for another namespace/name or scope, or was altered; \
                 check the manifest's namespace, name and scope annotations and that the right keys were given",
            ),
            _ => None,
        }
    }
}

/// Errors of sealant's commands; all map to exit code 2.
#[derive(Debug, Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Input that is not well-formed YAML/JSON; `origin` is `file:line:column`.
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },

    /// Well-formed input that is not what the command needs.
    #[error("{origin}: {message}")]
    Input {
        origin: String,
        message: String,
        help: Option<String>,
    },

    #[error("{origin}: {source}")]
    Crypto {
        origin: String,
        #[source]
        source: CryptoError,
    },

    #[error("{message}")]
    Usage {
        message: String,
        help: Option<String>,
    },
}

impl Error {
    /// The kind of error, the heading of its rendering (`sealant::input`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Read { .. } | Error::Write { .. } => "sealant::io",
            Error::Parse { .. } => "sealant::parse",
            Error::Input { .. } => "sealant::input",
            Error::Crypto { .. } => "sealant::crypto",
            Error::Usage { .. } => "sealant::usage",
        }
    }

    pub fn input(origin: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Input {
            origin: origin.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn input_help(
        origin: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Error {
        Error::Input {
            origin: origin.into(),
            message: message.into(),
            help: Some(help.into()),
        }
    }

    pub fn crypto(origin: impl Into<String>, source: CryptoError) -> Error {
        Error::Crypto {
            origin: origin.into(),
            source,
        }
    }

    pub fn usage(message: impl Into<String>, help: impl Into<Option<String>>) -> Error {
        Error::Usage {
            message: message.into(),
            help: help.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An I/O error in a few plain words, without the OS error number.
pub fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

/// The help an error carries, its own or else its cryptographic cause's.
pub fn help_text(err: &Error) -> Option<String> {
    match err {
        Error::Input { help, .. } | Error::Usage { help, .. } => help.clone(),
        Error::Crypto { source, .. } => source.help().map(str::to_string),
        _ => None,
    }
}

/// The causes the CLI shows under an error, outermost first: from the first that its message
/// does not already say (the messages above embed their source) to the innermost.
pub fn shown_causes(err: &Error) -> Vec<String> {
    let message = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        if !message.contains(&c.to_string()) {
            break;
        }
        cause = c.source();
    }
    std::iter::successors(cause, |c| c.source())
        .map(|c| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_errors_drop_a_cause_their_message_already_says() {
        let err = Error::Read {
            path: "/nowhere".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(std::error::Error::source(&err).is_some());
        assert!(shown_causes(&err).is_empty());
        let err = Error::crypto(
            "x",
            CryptoError::NoKeyCouldDecrypt {
                label: "a/b".into(),
                keys: 1,
            },
        );
        assert!(help_text(&err).unwrap().contains("sealed with another key"));
        assert!(shown_causes(&err).is_empty());
    }
}
