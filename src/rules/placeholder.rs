//! Values that are never secrets: templates, substitutions, ciphertext, references to a secret
//! store, and obvious placeholders. One function, applied to every rule's and detector's value
//! (through `verdict::is_not_a_credential`).
//!
//! Templates and substitutions, anywhere in the value: Helm and Jinja `{{ }}`, Jinja `{% %}`,
//! GitHub Actions `${{ }}`, `${VAR}`, `$(VAR)`, `$VAR`, Datadog autodiscovery `%%env_X%%`.
//! References: `<path:…>` (argocd-vault-plugin, and any `<…>`), `ref+…://` (vals), `op://`
//! (1Password), Vault, AWS, Azure (see `REFERENCE_PREFIXES`). Whole-value placeholders:
//! the words of `PLACEHOLDER_WORDS` (`password`, `changeme`, `REPLACE_ME`), `your-…`,
//! masks (`****`, `xxx`), `DB_PASSWORD`-style variable names, apiVersion strings
//! (`bitnami.com/v1alpha1`). A real default such as `minio123` is none of these: it is a
//! credential anyone can look up.

/// Words people write where a secret will go (whole value, any case). Kept short: each entry
/// is a value nobody uses as a real secret.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "replace_me",
    "placeholder",
    "example",
    "redacted",
    "dummy",
    "todo",
    "none",
    "null",
    "secret",
    "password",
    "notset",
];

/// Prefixes of references to a secret kept elsewhere (any case): Vault/Bank-Vaults, vals
/// (`ref+`), 1Password, AWS Secrets Manager and SSM, Azure Key Vault, Argo CD plugins, and
/// Apple notarisation configs (`@env:`, `@keychain:`).
const REFERENCE_PREFIXES: &[&str] = &[
    "vault:",
    "ref+",
    "op://",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "akv:",
    "secretref:",
    "@env:",
    "@keychain:",
];

/// Whether `value` is empty, a template, a substitution, SOPS ciphertext, a reference or an
/// obvious placeholder.
pub fn is_placeholder(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    let v = text.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || is_template_or_substitution(v)
        || v.starts_with("ENC[")
        // `<password>`, and `<your token>` cut at its space.
        || v.starts_with('<')
        || is_variable_name(v)
        || is_masked(v)
        || PLACEHOLDER_WORDS.contains(&lower.as_str())
        || is_your_something(&lower)
        // AWS's documentation keys (AKIAIOSFODNN7EXAMPLE) and their imitators.
        || v.contains("EXAMPLE")
        || REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p))
        || lower.contains("secretkeyref")
        || is_api_version(v)
}

/// `{{ .Values.x }}`, `{% if %}`, `${{ secrets.X }}`, `${VAR}`, `$(VAR)`, `$VAR`,
/// `%%env_X%%`: filled in at deploy time. `$name` also
/// covers Argo CD's `$secret-name:key` references.
fn is_template_or_substitution(v: &str) -> bool {
    v.contains("{{")
        || v.contains("{%")
        || is_datadog_variable(v)
        || v.contains("${")
        || v.contains("$(")
        || v.strip_prefix('$')
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

/// Datadog autodiscovery template variables: `%%env_DB_PASSWORD%%`, `%%host%%`.
fn is_datadog_variable(v: &str) -> bool {
    v.find("%%").is_some_and(|start| {
        let rest = &v[start + 2..];
        rest.find("%%").is_some_and(|end| {
            end > 0
                && rest[..end]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
    })
}

/// `bitnami.com/v1alpha1`, `apps/v1`: a Kubernetes apiVersion (a DNS group, then a version).
fn is_api_version(v: &str) -> bool {
    let Some((group, version)) = v.split_once('/') else {
        return false;
    };
    let dns = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-';
    let Some(number) = version.strip_prefix('v') else {
        return false;
    };
    let digits = number.bytes().take_while(u8::is_ascii_digit).count();
    let stage = &number[digits..];
    let stage_ok = stage.is_empty()
        || ["alpha", "beta"].iter().any(|s| {
            stage
                .strip_prefix(s)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
    !group.is_empty()
        && group.starts_with(|c: char| c.is_ascii_lowercase())
        && group.bytes().all(dns)
        && digits > 0
        && stage_ok
}

/// `DB_PASSWORD`, `YOUR_API_KEY`: the name of an environment variable, not its value.
fn is_variable_name(v: &str) -> bool {
    v.contains('_')
        && v.starts_with(|c: char| c.is_ascii_uppercase())
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// One character repeated (`xxxx`, `****`, `0000-0000`), or a masked run inside a longer
/// value (`sk_live_****1234`, `glpat-xxxxxxxxxxxxxxxx`). Runs of `x` must be long: random
/// base64 has short ones.
fn is_masked(v: &str) -> bool {
    let bytes = v.as_bytes();
    let first = bytes[0];
    let one_char = bytes.iter().all(|&b| b == first || b == b'-' || b == b'_');
    let run = |c: &[u8], n: usize| bytes.windows(n).any(|w| w.iter().all(|b| c.contains(b)));
    one_char || run(b"*", 3) || run(b"x", 6) || run(b"X", 6) || run(b"#", 6)
}

/// `your-token-here`, `YOUR_API_KEY`, `your_password`.
fn is_your_something(lower: &str) -> bool {
    lower
        .strip_prefix("your")
        .is_some_and(|rest| rest.starts_with(['-', '_', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for v in [
            "",
            "  ",
            "\"\"",
            "{{ .Values.pw }}",
            "prefix-{{ .Values.pw }}",
            "${DB_PASS}",
            "$DB_PASS",
            "$(cat f)",
            "$(DB_PASS)",
            "$oidc.azuread.clientSecret",
            "DB_PASSWORD",
            "<authentication",
            "@env:AC_PASSWORD",
            "ENC[AES256_GCM,data:x]",
            "<password>",
            "***",
            "********",
            "xxxx",
            "xxxx-xxxx-xxxx",
            "sk_live_****4242",
            "CHANGEME",
            "REPLACE_ME",
            "dummy",
            "Example",
            "your-token-here",
            "YOUR_API_KEY",
            "vault:secret/data/db#pw",
            "ref+vault://x",
            "op://vault/item/field",
            "secretKeyRef:db",
            "AKIAIOSFODNN7EXAMPLE",
            "glpat-xxxxxxxxxxxxxxxxxxxx",
            "${{ secrets.DB_PASSWORD }}",
            "%%env_DB_PASSWORD%%",
            "postgres://app:%%env_PG_PW%%@db",
            "bitnami.com/v1alpha1",
            "apps/v1",
            "monitoring.coreos.com/v1beta2",
            "{% raw %}x{% endraw %}",
            "<path:kv/data/db#password>",
            "ref+awsssm://db/pw",
            "password",
            "changeme",
            "your-password",
            "xxx",
            "<password>",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v:?}");
        }
    }

    #[test]
    fn real_looking_values_are_not_placeholders() {
        for v in [
            "hunter2",
            "Zq8r2Lm5Nv9Wt1",
            "$5ecret",
            "AKIAEZ446EM5QDJYCB5H",
            "s3cr3t-example-value",
            "exampleZq8r2Lm5",
            "xoxb-1234-Kq8Zr2Lm5Nv9",
            "yourself123",
            "minio123",
            "50%%off",
            "Zq8r2/v1x",
            "bitnami.com/v1alpha",
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v:?}");
        }
    }
}
