//! Errors. Every message says where the problem is and what to do; none carries a secret value.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

/// Failures of the cryptographic layer.
#[derive(Debug, Error, Diagnostic, Clone, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the operating system's random source failed")]
    Random,
    #[error("RSA encryption failed: {0}")]
    Rsa(String),
    #[error("sealed value is too short: {len} bytes, a valid one has at least {need}")]
    TooShort { len: usize, need: usize },
    /// Upstream's single decryption error, plus the label and key count for our users.
    #[error("no key could decrypt secret (label {label:?}; tried {keys} key{})", if *keys == 1 { "" } else { "s" })]
    #[diagnostic(help(
        "the value was sealed with another key, for another namespace/name or scope, or was altered; \
         check the manifest's namespace, name and scope annotations and that the right keys were given"
    ))]
    NoKeyCouldDecrypt { label: String, keys: usize },
    #[error("invalid certificate: {0}")]
    Cert(String),
    #[error("invalid private key: {0}")]
    Key(String),
    #[error("invalid PEM: {0}")]
    Pem(String),
}

/// Errors of sealant's commands; all map to exit code 2.
#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(sealant::io))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write {}: {source}", path.display())]
    #[diagnostic(code(sealant::io))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Input that is not well-formed YAML/JSON; `origin` is `file:line:column`.
    #[error("{origin}: {message}")]
    #[diagnostic(code(sealant::parse))]
    Parse { origin: String, message: String },

    /// Well-formed input that is not what the command needs.
    #[error("{origin}: {message}")]
    #[diagnostic(code(sealant::input))]
    Input {
        origin: String,
        message: String,
        #[help]
        help: Option<String>,
    },

    #[error("{origin}: {source}")]
    #[diagnostic(code(sealant::crypto))]
    Crypto {
        origin: String,
        #[source]
        #[diagnostic_source]
        source: CryptoError,
    },

    #[error("{message}")]
    #[diagnostic(code(sealant::usage))]
    Usage {
        message: String,
        #[help]
        help: Option<String>,
    },
}

impl Error {
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

/// The help an error carries, its own or else its diagnostic source's.
pub fn help_text(err: &Error) -> Option<String> {
    err.help()
        .or_else(|| err.diagnostic_source()?.help())
        .map(|h| h.to_string())
}

/// An error as the CLI renders it: its message and help, and a cause only when the message
/// does not already say it (the messages above embed their source, and miette would repeat
/// it as a cause).
#[derive(Debug)]
pub struct Shown(pub Error);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Shown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let message = self.0.to_string();
        let mut cause = std::error::Error::source(&self.0);
        while let Some(c) = cause {
            if !message.contains(&c.to_string()) {
                return Some(c);
            }
            cause = c.source();
        }
        None
    }
}

impl Diagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        help_text(&self.0).map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
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
        assert!(std::error::Error::source(&Shown(err)).is_none());
        let err = Error::crypto(
            "x",
            CryptoError::NoKeyCouldDecrypt {
                label: "a/b".into(),
                keys: 1,
            },
        );
        assert!(help_text(&err).unwrap().contains("sealed with another key"));
        assert!(std::error::Error::source(&Shown(err)).is_none());
    }
}
