//! A Secret value that is a configuration file (`config.yaml`, `grafana.ini`) in which no
//! setting names a credential: charts keep whole configs in Secrets, and one without a
//! password, token or key in it gives nobody access. Reported as `k8s-secret-config-value`
//! (info), unless a credential rule finds something in it (see `identity.rs`).

use crate::rules::is_not_a_credential;

pub const SECRET_CONFIG: &str = "k8s-secret-config-value";

/// Ends the message of a config finding (dropped when a rule finds a credential in it).
pub(crate) const CONFIG_NOTE: &str =
    ": a configuration with no credential setting in it (seal it with the rest; no leak on its own)";

/// Extensions of Secret keys read as configuration files. Scripts are not among them: a
/// password passed as a flag (`-phunter2`) names no setting.
const CONFIG_EXTENSIONS: &[&str] = &[
    "yaml",
    "yml",
    "json",
    "ini",
    "toml",
    "conf",
    "cfg",
    "properties",
];

/// Words in a setting's name that make its value a credential (any case, anywhere in the
/// name: `db_password`, `clientSecret`, `oauth`, `accessKey`).
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "access-key",
    "private",
    "credential",
    "auth",
    "cookie",
    "salt",
    "signing",
    "webhook",
];

/// Whether `value`, under a key named like a config file, is a config with no credential
/// setting in it.
pub(crate) fn is_config_without_credential(key: &str, value: &[u8]) -> bool {
    let is_config = key
        .rsplit_once('.')
        .is_some_and(|(_, ext)| CONFIG_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()));
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    is_config && text.contains('\n') && !text.lines().any(sets_a_credential)
}

/// `password: x`, `"api_key" = "x"`, `auth_token=x`: a credential word in the setting's name
/// and a value after it that may be one. Block scalars (`password: |`) count: their value is
/// on the next lines.
fn sets_a_credential(line: &str) -> bool {
    if has_url_password(line) {
        return true;
    }
    let lower = line.to_ascii_lowercase();
    let Some(at) = CREDENTIAL_WORDS.iter().filter_map(|w| lower.find(w)).min() else {
        return false;
    };
    let Some(sep) = lower[at..].find([':', '=']).map(|i| at + i) else {
        return false;
    };
    let value = line[sep + 1..]
        .trim()
        .trim_end_matches(',')
        .trim_matches(|c| c == '"' || c == '\'')
        .trim();
    if value.starts_with(['|', '>']) {
        return true;
    }
    let harmless = value.is_empty()
        // A nested block opens here (`auth: {` in JSON): its lines are judged one by one.
        || ["{", "[", "{}", "[]"].contains(&value)
        || ["true", "false", "null", "~"].contains(&value.to_ascii_lowercase().as_str())
        || value.parse::<f64>().is_ok()
        || is_not_a_credential(line[..sep].trim().as_bytes(), value.as_bytes());
    !harmless
}

/// `https://user:pw@host`, whatever the setting's name: a URL that carries a password.
fn has_url_password(line: &str) -> bool {
    line.match_indices("://").any(|(at, _)| {
        let rest = &line[at + 3..];
        let authority = rest.split(['/', ' ', '"', '\'']).next().unwrap_or_default();
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
            userinfo
                .split_once(':')
                .is_some_and(|(_, pw)| !pw.is_empty())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_without_credentials() {
        let grafana = "[server]\nroot_url = https://grafana.example.com\n[auth]\ndisable_login_form = true\n[security]\nadmin_password = ${ADMIN_PASSWORD}\n";
        assert!(is_config_without_credential(
            "grafana.ini",
            grafana.as_bytes()
        ));
        let runner = "urn: CHANGE_ME_URN\nprivateKey: CHANGE_ME_PRIVATE_KEY\nport: 9016\n";
        assert!(is_config_without_credential(
            "config.yaml",
            runner.as_bytes()
        ));
        let nested = "receivers:\n  - name: team\n    slack_configs: []\nauth:\n  enabled: false\n";
        assert!(is_config_without_credential(
            "alertmanager.yml",
            nested.as_bytes()
        ));
    }

    #[test]
    fn configs_with_a_credential_or_not_configs() {
        for (key, value) in [
            ("config.yaml", "db:\n  password: hunter22\n"),
            ("config.yaml", "db:\n  password: |\n    hunter22\n"),
            ("grafana.ini", "[security]\nadmin_password = admin\n"),
            ("app.json", "{\n  \"clientSecret\": \"x1\"\n}\n"),
            ("app.properties", "spring.datasource.password=pw\nx=1\n"),
            ("config.yaml", "slack_api_url: x\nauth_token: abc\n"),
            (
                "datasources.yaml",
                "url: https://grafana:pw@prometheus:9090\nx: 1\n",
            ),
            (
                "alertmanager.yml",
                "receivers:\n  - webhook_configs: [{url: https://h.example/x}]\n",
            ),
            ("init.sh", "#!/bin/sh\nmysql -uroot -phunter2\n"),
            ("config.yaml", "one line: no config\n".trim_end()),
            ("password", "a\nb\n"),
        ] {
            assert!(
                !is_config_without_credential(key, value.as_bytes()),
                "{key}: {value}"
            );
        }
    }
}
