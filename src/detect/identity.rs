//! Secret values that name rather than authenticate: user names, e-mail addresses, app and
//! installation ids, hosts, ports, database names, and public certificates. A plaintext
//! Secret holding one is still plaintext, but the value gives nobody access: it is reported
//! as `k8s-secret-identity-value` (info), unless a rule finds a credential in it.

use super::config::{CONFIG_NOTE, SECRET_CONFIG};
use crate::finding::Detection;
use crate::rules::RuleSet;

pub const SECRET_IDENTITY: &str = "k8s-secret-identity-value";

/// Ends the message of an identity finding (dropped when the value turns out to hold a
/// credential).
pub(crate) const IDENTITY_NOTE: &str =
    ": it names rather than authenticates (seal it with the rest; no leak on its own)";

/// Last words of a key that name an identity: `username`, `DB_USER`, `MYSQL_USER_NAME`,
/// `email`, `POSTGRES_HOST`, `port`, `POSTGRES_DB`, `dbname`.
const IDENTITY_WORDS: &[&str] = &[
    "user",
    "username",
    "login",
    "email",
    "mail",
    "host",
    "hostname",
    "port",
    "database",
    "db",
    "dbname",
    "appid",
    "clientid",
    "installationid",
];

/// Words before `name` that make it an identity: `USER_NAME`, `DATABASE_NAME`, `DB_NAME`.
const NAMED: &[&str] = &["user", "database", "db", "host"];

/// Words before `id` that make it an identity: `APP_ID`, `installationId`, `client-id`.
/// (Not `key_id`: an access key id is half a credential.)
const IDENTIFIED: &[&str] = &[
    "app",
    "application",
    "installation",
    "client",
    "tenant",
    "project",
    "org",
    "organization",
    "account",
    "subscription",
];

/// Words that make any key a credential's: `user_password`, `db_user_key`, `host_token`.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "apikey",
    "credential",
    "credentials",
    "auth",
    "private",
];

/// Whether a Secret key names an identity (see [`IDENTITY_WORDS`]).
pub(crate) fn is_identity_key(key: &str) -> bool {
    let words = words(key);
    let Some(last) = words.last() else {
        return false;
    };
    if words.iter().any(|w| CREDENTIAL_WORDS.contains(&w.as_str())) {
        return false;
    }
    let before = words.len().checked_sub(2).map(|i| words[i].as_str());
    IDENTITY_WORDS.contains(&last.as_str())
        || (last == "name" && before.is_some_and(|b| NAMED.contains(&b)))
        || (last == "id" && before.is_some_and(|b| IDENTIFIED.contains(&b)))
}

/// `MYSQL_USER_NAME`, `installationId`, `tls.crt` → lowercase words.
fn words(key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            prev_lower = false;
            if out.last().is_none_or(|w| !w.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        if out.is_empty() || (c.is_ascii_uppercase() && prev_lower) {
            out.push(String::new());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.last_mut()
            .expect("pushed above")
            .push(c.to_ascii_lowercase());
    }
    out.retain(|w| !w.is_empty());
    out
}

/// PEM `CERTIFICATE` blocks and nothing else but blank lines, `#` comments and openssl's
/// `subject=`/`issuer=` lines: a certificate (chain) is public. A private key beside it is not.
pub(crate) fn is_public_certificate(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let mut blocks = 0;
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if inside {
            inside = line != "-----END CERTIFICATE-----";
        } else if line == "-----BEGIN CERTIFICATE-----" {
            inside = true;
            blocks += 1;
        } else if !(line.is_empty()
            || line.starts_with('#')
            || line.starts_with("subject=")
            || line.starts_with("issuer="))
        {
            return false;
        }
    }
    blocks > 0 && !inside && !text.contains("PRIVATE KEY")
}

/// An identity or config value in which a rule finds a credential (`username: ghp_…`,
/// `DB_HOST: postgres://app:pw@db`, a private key in `config.yaml`) is that credential's
/// finding, at its rule's severity.
pub(crate) fn report_credentials_inside(detections: &mut [Detection], rules: &RuleSet) {
    let no_access = |d: &Detection| d.rule == SECRET_IDENTITY || d.rule == SECRET_CONFIG;
    for d in detections.iter_mut().filter(|d| no_access(d)) {
        let hits = rules.prefilter(&d.value);
        let found = rules.find("", &d.value, &hits);
        if let Some(m) = found.iter().find(|m| !m.rule.generic) {
            let base = [IDENTITY_NOTE, CONFIG_NOTE]
                .iter()
                .find_map(|note| d.message.strip_suffix(note))
                .unwrap_or(&d.message);
            d.message = format!("{base}; it holds a {}", m.rule.description);
            d.rule = crate::finding::Shared::rule(&m.rule.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_keys() {
        for key in [
            "username",
            "user",
            "POSTGRES_USER",
            "MYSQL_USER_NAME",
            "dbUser",
            "email",
            "admin-email",
            "GITHUB_APP_ID",
            "installationId",
            "client-id",
            "OIDC_CLIENT_ID",
            "POSTGRES_HOST",
            "port",
            "POSTGRES_DB",
            "database-name",
            "dbname",
        ] {
            assert!(is_identity_key(key), "{key}");
        }
        for key in [
            "password",
            "POSTGRES_PASSWORD",
            "user_password",
            "DEX_USER_PASSWORD",
            "token",
            "accesskey",
            "AWS_ACCESS_KEY_ID",
            "client-secret",
            "api_key",
            "name",
            "id",
            "tls.key",
            "config.yaml",
            "auth-user",
            "",
        ] {
            assert!(!is_identity_key(key), "{key}");
        }
    }

    #[test]
    fn public_certificates() {
        let cert =
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n";
        assert!(is_public_certificate(cert.as_bytes()));
        let chain = format!("# leaf\nsubject=CN = a\n{cert}\n{cert}");
        assert!(is_public_certificate(chain.as_bytes()));
        for not in [
            format!("{cert}-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"),
            format!("password=Zq8r2Lm5\n{cert}"),
            "-----BEGIN CERTIFICATE-----\nMIIB\n".to_string(),
            String::new(),
        ] {
            assert!(!is_public_certificate(not.as_bytes()), "{not}");
        }
    }
}
