//! The part of Go's text/template that SealedSecret `spec.template.data` uses in practice:
//! `{{ .key }}`, `{{ index . "key" }}`, string literals, pipes and a few sprig functions.
//! Anything else is refused with a message rather than rendered wrongly.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::Zeroizing;

const FUNCTIONS: &str = "toJson, quote, squote, b64enc, b64dec, upper, lower, trim";

/// Renders `text` with the decrypted values; errors never include a value.
pub(super) fn render_template(
    text: &str,
    values: &BTreeMap<String, Zeroizing<Vec<u8>>>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let (mut literal, after) = rest.split_at(open);
        let close = after.find("}}").ok_or("unclosed {{ action")?;
        let mut action = &after[2..close];
        rest = &after[close + 2..];
        if let Some(a) = action.strip_prefix("- ") {
            literal = literal.trim_end();
            action = a;
        }
        out.push_str(literal);
        if let Some(a) = action.strip_suffix(" -") {
            rest = rest.trim_start();
            action = a;
        }
        let action = action.trim();
        if action.starts_with("/*") && action.ends_with("*/") {
            continue;
        }
        out.push_str(&eval_pipeline(action, values)?);
    }
    out.push_str(rest);
    Ok(out)
}

fn eval_pipeline(
    action: &str,
    values: &BTreeMap<String, Zeroizing<Vec<u8>>>,
) -> Result<String, String> {
    let mut piped: Option<String> = None;
    for command in split_outside_quotes(action, '|') {
        let words = split_words(command.trim())?;
        let (head, args) = words.split_first().ok_or("empty template action")?;
        let mut args: Vec<String> = args
            .iter()
            .map(|a| operand(a, values))
            .collect::<Result<_, _>>()?;
        if head == "index" {
            // index . "key" (the only form that makes sense on a flat map)
            if args.len() != 2 || words[1] != "." {
                return Err("index takes exactly `. \"key\"`".into());
            }
            piped = Some(lookup(&args[1], values));
            continue;
        }
        if !is_function(head) {
            if !args.is_empty() || piped.is_some() {
                return Err(format!(
                    "{head} is not a function sealant evaluates ({FUNCTIONS})"
                ));
            }
            piped = Some(operand(head, values)?);
            continue;
        }
        args.extend(piped.take());
        let [arg] = args.as_slice() else {
            return Err(format!("{head} takes one argument"));
        };
        piped = Some(apply(head, arg)?);
    }
    piped.ok_or_else(|| "empty template action".into())
}

fn is_function(word: &str) -> bool {
    FUNCTIONS.split(", ").any(|f| f == word)
}

fn apply(function: &str, arg: &str) -> Result<String, String> {
    Ok(match function {
        "toJson" => serde_json::to_string(arg).expect("strings serialize"),
        "quote" => format!("{arg:?}"),
        "squote" => format!("'{arg}'"),
        "b64enc" => STANDARD.encode(arg),
        "b64dec" => String::from_utf8(
            STANDARD
                .decode(arg)
                .map_err(|_| "b64dec got invalid base64")?,
        )
        .map_err(|_| "b64dec result is not UTF-8")?,
        "upper" => arg.to_uppercase(),
        "lower" => arg.to_lowercase(),
        "trim" => arg.trim().to_string(),
        _ => unreachable!("is_function checked the name"),
    })
}

/// `.key`, `"literal"` or `.`.
fn operand(word: &str, values: &BTreeMap<String, Zeroizing<Vec<u8>>>) -> Result<String, String> {
    if word == "." {
        return Ok(".".into());
    }
    if let Some(key) = word.strip_prefix('.') {
        return Ok(lookup(key, values));
    }
    if word.starts_with('"') {
        return serde_json::from_str::<String>(word)
            .map_err(|_| format!("bad string literal {word}"));
    }
    Err(format!(
        "{word} is not something sealant evaluates (use .key, index . \"key\", or {FUNCTIONS})"
    ))
}

/// Go prints `<no value>` for a missing map key.
fn lookup(key: &str, values: &BTreeMap<String, Zeroizing<Vec<u8>>>) -> String {
    values.get(key).map_or_else(
        || "<no value>".to_string(),
        |v| String::from_utf8_lossy(v).into_owned(),
    )
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' {
            word.push(chars.next().expect("peeked"));
            let mut escaped = false;
            loop {
                let c = chars.next().ok_or("unterminated string literal")?;
                word.push(c);
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => break,
                    _ => {}
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> BTreeMap<String, Zeroizing<Vec<u8>>> {
        [("user", "admin"), ("pw", "p\"w")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Zeroizing::new(v.as_bytes().to_vec())))
            .collect()
    }

    #[test]
    fn renders_the_forms_upstream_documents() {
        let v = values();
        assert_eq!(render_template("u={{ .user }}", &v).unwrap(), "u=admin");
        assert_eq!(
            render_template(r#"{"p": {{ toJson .pw }}}"#, &v).unwrap(),
            r#"{"p": "p\"w"}"#
        );
        assert_eq!(
            render_template(r#"{{ index . "user" | upper }}"#, &v).unwrap(),
            "ADMIN"
        );
        assert_eq!(
            render_template("a  {{- .user -}}  b", &v).unwrap(),
            "aadminb"
        );
        assert_eq!(render_template("{{ .missing }}", &v).unwrap(), "<no value>");
        assert_eq!(
            render_template("{{ .user | b64enc | b64dec }}", &v).unwrap(),
            "admin"
        );
    }

    #[test]
    fn refuses_what_it_does_not_evaluate_without_quoting_values() {
        let v = values();
        let err = render_template("{{ sha256sum .pw }}", &v).unwrap_err();
        assert!(err.contains("sha256sum"), "{err}");
        assert!(!err.contains("p\"w"), "{err}");
        assert!(render_template("{{ .user ", &v).is_err());
    }
}
