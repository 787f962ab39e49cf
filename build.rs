//! Stamps the binary with the commit it was built from, for `sealant --version`:
//! SEALANT_BUILD_COMMIT (builds from a tarball), else git's short HEAD, else "unknown".
//! Turns the rule pack (`rules/*.yaml`) into static data for `src/rules/builtin.rs`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SEALANT_BUILD_COMMIT");
    let commit = match std::env::var("SEALANT_BUILD_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_string(),
        _ => {
            watch_head();
            git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_string())
        }
    };
    println!("cargo:rustc-env=SEALANT_COMMIT={commit}");
    write_pack();
}

/// Runs git in the crate's directory; its trimmed output, if it succeeded.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Reruns this script when HEAD moves: HEAD itself, the branch it names and packed-refs.
fn watch_head() {
    let mut files = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        files.push(git(&["rev-parse", "--git-path", &branch]));
    }
    files.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    for file in files.into_iter().flatten() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// The built-in rule pack, turned into static data so that no YAML is parsed at start-up.
const PACK_FILES: &[&str] = &[
    "rules/kubernetes.yaml",
    "rules/credentials.yaml",
    "rules/sealed.yaml",
];

/// Writes `$OUT_DIR/builtin_pack.rs`: one `Entry` per rule of `PACK_FILES`, in order.
///
/// The pack's YAML keeps to a small subset: `rules:`, then `  - id:` items whose fields sit at
/// four spaces, each a plain, single- or double-quoted scalar on its line, a `|` literal, a
/// `[…]` list on one line or `- ` items below (an anchor or alias for a whole list). Anything
/// else stops the build with its file and line. `src/rules/tests.rs` checks that every entry
/// equals what the YAML parser reads from the same files.
fn write_pack() {
    let mut out = String::from("&[\n");
    for file in PACK_FILES {
        println!("cargo:rerun-if-changed={file}");
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        for rule in pack::parse(file, &text) {
            out.push_str(&pack::entry(file, &rule));
        }
    }
    out.push_str("]\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_pack.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

mod pack {
    use std::collections::HashMap;

    /// A field's value: one string, or a list of them.
    pub(super) enum Value {
        Text(String),
        List(Vec<String>),
    }

    pub(super) type Fields = Vec<(String, Value)>;

    /// Reads the rule entries of a pack file: `rules:`, then `  - id: …` items whose fields sit
    /// at four spaces.
    pub(super) fn parse(file: &str, text: &str) -> Vec<Fields> {
        let lines: Vec<&str> = text.lines().collect();
        let mut reader = Reader {
            file,
            lines,
            at: 0,
            anchors: HashMap::new(),
        };
        reader.skip_comments();
        reader.expect_line("rules:");
        let mut rules: Vec<Fields> = Vec::new();
        while reader.skip_comments() {
            let line = reader.lines[reader.at];
            let field = if let Some(rest) = line.strip_prefix("  - ") {
                rules.push(Vec::new());
                rest
            } else if let Some(rest) = line.strip_prefix("    ") {
                rest
            } else {
                reader.fail("expected `  - id:` or a field at four spaces")
            };
            let Some((key, value)) = field.split_once(':') else {
                reader.fail("expected `key: value`")
            };
            reader.at += 1;
            let value = reader.value(value.trim(), 4);
            match rules.last_mut() {
                Some(rule) => rule.push((key.to_string(), value)),
                None => reader.fail("a field before the first `- id:`"),
            }
        }
        rules
    }

    struct Reader<'a> {
        file: &'a str,
        lines: Vec<&'a str>,
        /// The next line to read.
        at: usize,
        anchors: HashMap<String, Vec<String>>,
    }

    impl Reader<'_> {
        fn fail(&self, why: &str) -> ! {
            panic!(
                "{}:{}: {why} (build.rs reads a subset of YAML)",
                self.file, self.at
            )
        }

        /// Skips blank and comment lines; whether a line is left.
        fn skip_comments(&mut self) -> bool {
            while let Some(line) = self.lines.get(self.at) {
                let body = line.trim_start();
                if !body.is_empty() && !body.starts_with('#') {
                    return true;
                }
                self.at += 1;
            }
            false
        }

        fn expect_line(&mut self, want: &str) {
            if self.lines.get(self.at) != Some(&want) {
                self.fail(&format!("expected `{want}`"));
            }
            self.at += 1;
        }

        /// The value after `key:` on a line indented by `indent`, reading the lines it continues on.
        fn value(&mut self, rest: &str, indent: usize) -> Value {
            if let Some(anchored) = rest.strip_prefix('&') {
                let Some((name, rest)) = anchored.split_once(' ') else {
                    self.fail("an anchor without a value")
                };
                let Value::List(items) = self.value(rest.trim(), indent) else {
                    self.fail("only lists take anchors")
                };
                self.anchors.insert(name.to_string(), items.clone());
                return Value::List(items);
            }
            if let Some(name) = rest.strip_prefix('*') {
                return match self.anchors.get(name) {
                    Some(items) => Value::List(items.clone()),
                    None => self.fail(&format!("unknown alias {name}")),
                };
            }
            if rest.starts_with('[') {
                return Value::List(self.flow_list(rest));
            }
            if rest.is_empty() {
                return Value::List(self.block_list(indent));
            }
            Value::Text(self.scalar(rest, indent))
        }

        /// `- item` lines at `indent + 2`.
        fn block_list(&mut self, indent: usize) -> Vec<String> {
            let dash = format!("{}- ", " ".repeat(indent + 2));
            let mut items = Vec::new();
            while self.skip_comments() {
                let Some(rest) = self.lines[self.at].strip_prefix(&dash) else {
                    break;
                };
                self.at += 1;
                items.push(self.scalar(rest.trim(), indent + 2));
            }
            if items.is_empty() {
                self.fail("an empty value (write `[]`)");
            }
            items
        }

        /// `["a", 'b', c]` on one line.
        fn flow_list(&self, text: &str) -> Vec<String> {
            let mut rest = text[1..].trim_start();
            let mut items = Vec::new();
            loop {
                if let Some(after) = rest.strip_prefix(']') {
                    if !after.trim().is_empty() {
                        self.fail("text after a list");
                    }
                    return items;
                }
                let (item, after) = match rest.chars().next() {
                    Some('"') => self.double_quoted(rest),
                    Some('\'') => self.single_quoted(rest),
                    _ => {
                        let end = rest
                            .find([',', ']'])
                            .unwrap_or_else(|| self.fail("an unclosed list"));
                        (rest[..end].trim().to_string(), &rest[end..])
                    }
                };
                items.push(item);
                let after = after.trim_start();
                rest = match after.strip_prefix(',') {
                    Some(next) => next.trim_start(),
                    None if after.starts_with(']') => after,
                    None => self.fail("expected `,` or `]` in a list"),
                };
            }
        }

        /// A quoted or plain scalar, or a `|` block literal on the lines below.
        fn scalar(&mut self, text: &str, indent: usize) -> String {
            let (value, after) = match text.chars().next() {
                Some('|') if text == "|" => return self.literal(indent),
                Some('"') => self.double_quoted(text),
                Some('\'') => self.single_quoted(text),
                Some('[' | '{' | '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`') => {
                    self.fail("an unsupported value")
                }
                _ if text.contains(" #") || text.contains(": ") => {
                    self.fail("a plain value with ` #` or `: `")
                }
                _ => (text.to_string(), ""),
            };
            if !after.trim().is_empty() {
                self.fail("text after a quoted value");
            }
            value
        }

        /// `|`: the lines indented past `indent` (and blank ones), less the first one's
        /// indentation, with one final newline.
        fn literal(&mut self, indent: usize) -> String {
            let mut body: Vec<&str> = Vec::new();
            let mut margin = None;
            while let Some(line) = self.lines.get(self.at) {
                let depth = line.len() - line.trim_start_matches(' ').len();
                if line.trim().is_empty() {
                    body.push("");
                } else if depth > indent {
                    let margin = *margin.get_or_insert(depth);
                    if depth < margin {
                        self.fail("a literal line less indented than its first");
                    }
                    body.push(&line[margin..]);
                } else {
                    break;
                }
                self.at += 1;
            }
            while body.last() == Some(&"") {
                body.pop();
            }
            if body.is_empty() {
                return String::new();
            }
            let mut text = body.join("\n");
            text.push('\n');
            text
        }

        /// `"…"` with YAML's escapes, and the text after it.
        fn double_quoted<'t>(&self, text: &'t str) -> (String, &'t str) {
            let mut value = String::new();
            let mut chars = text[1..].char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => return (value, &text[i + 2..]),
                    '\\' => {
                        let escaped = match chars.next().map(|(_, e)| e) {
                            Some('n') => '\n',
                            Some('t') => '\t',
                            Some('r') => '\r',
                            Some('0') => '\0',
                            Some(e @ ('"' | '\\' | '/')) => e,
                            Some(h @ ('x' | 'u')) => {
                                let width = if h == 'x' { 2 } else { 4 };
                                let hex: String = (0..width)
                                    .filter_map(|_| chars.next().map(|(_, d)| d))
                                    .collect();
                                u32::from_str_radix(&hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .unwrap_or_else(|| self.fail("a bad escape"))
                            }
                            _ => self.fail("an unsupported escape"),
                        };
                        value.push(escaped);
                    }
                    _ => value.push(c),
                }
            }
            self.fail("an unclosed double-quoted value")
        }

        /// `'…'`, where `''` is a quote, and the text after it.
        fn single_quoted<'t>(&self, text: &'t str) -> (String, &'t str) {
            let mut value = String::new();
            let mut rest = &text[1..];
            loop {
                let Some(end) = rest.find('\'') else {
                    self.fail("an unclosed single-quoted value")
                };
                value.push_str(&rest[..end]);
                rest = &rest[end + 1..];
                match rest.strip_prefix('\'') {
                    Some(after) => {
                        value.push('\'');
                        rest = after;
                    }
                    None => return (value, rest),
                }
            }
        }
    }

    /// One rule as the Rust expression `src/rules/builtin.rs`'s `Entry` reads.
    pub(super) fn entry(file: &str, fields: &Fields) -> String {
        let mut out = String::from("    Entry {\n");
        let mut seen = Vec::new();
        for (key, value) in fields {
            if seen.contains(key) {
                panic!("{file}: field {key} twice in one rule");
            }
            seen.push(key.clone());
            let field = key.replace('-', "_");
            let code = match (key.as_str(), value) {
                ("id" | "description" | "explanation", Value::Text(t)) => format!("{t:?}"),
                ("pattern" | "example-file", Value::Text(t)) => format!("Some({t:?})"),
                ("severity" | "category", Value::Text(t)) => {
                    let kind = if key == "severity" {
                        "Severity"
                    } else {
                        "Category"
                    };
                    format!("Some({kind}::{})", camel_case(t))
                }
                ("entropy", Value::Text(t)) => {
                    let bits: f64 = t
                        .parse()
                        .unwrap_or_else(|_| panic!("{file}: entropy {t:?}"));
                    format!("Some({bits:?})")
                }
                ("multiline" | "generic" | "fix", Value::Text(t))
                    if t == "true" || t == "false" =>
                {
                    t.clone()
                }
                ("keywords" | "paths" | "examples" | "negative-examples", Value::List(items)) => {
                    format!("&{items:?}")
                }
                _ => panic!("{file}: unsupported field or value: {key}"),
            };
            out.push_str(&format!("        {field}: {code},\n"));
        }
        out.push_str("        ..Entry::EMPTY\n    },\n");
        out
    }

    /// `sealed-secret` → `SealedSecret`.
    fn camel_case(kebab: &str) -> String {
        kebab
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or(String::new(), |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    }
}
