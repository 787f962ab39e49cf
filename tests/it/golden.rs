//! Tests as data. Expected findings are `# expect: RULE` markers in the fixtures themselves
//! (testdata/README.md, "Expected findings"), compared with what the real binary finds; whole
//! outputs are golden files in tests/cmd (CONTRIBUTING.md, "Golden files").

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::common::{found, path_str, sealant, stderr, stdout, testdata, vector};

/// The fixture folders whose expected findings are their markers; a folder's markers cover
/// every finding of a scan of the whole folder.
const MARKED: [&str; 5] = [
    "scan/positive",
    "scan/negative",
    "sealed",
    "gitops",
    "corpus-causes",
];

/// Markers written `expect(keys):` hold only in a scan with the test keys.
const KEYS_MODE: &str = "keys";

/// (path relative to the fixture folder, rule, line).
type Row = (String, String, u64);

/// An expected finding and where its marker is (`path:line`), for the report.
struct Expected {
    row: Row,
    mode: Option<String>,
    marker: String,
}

#[test]
fn every_fixture_gives_exactly_the_findings_its_markers_name() {
    let mut mismatches = Vec::new();
    let mut count = 0;
    for dir in MARKED {
        let expected = markers(dir, &mut mismatches);
        count += expected.len();
        let needs_keys = expected.iter().any(|e| e.mode.is_some());
        compare(dir, &expected, None, &mut mismatches);
        if needs_keys {
            compare(dir, &expected, Some(KEYS_MODE), &mut mismatches);
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches between markers and findings:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // Today's markers: 33 in scan/positive, 17 in sealed, 13 in gitops, 5 in corpus-causes.
    assert!(count >= 68, "fixtures lost their markers: {count}");
}

/// Scans `dir` (with the test keys in `mode` "keys") and adds a line to `mismatches` for
/// every marker without its finding and every finding without its marker.
fn compare(dir: &str, expected: &[Expected], mode: Option<&str>, mismatches: &mut Vec<String>) {
    let want: BTreeSet<&Row> = expected
        .iter()
        .filter(|e| e.mode.is_none() || e.mode.as_deref() == mode)
        .map(|e| &e.row)
        .collect();
    let got = scan(dir, mode.is_some());
    let run = mode.map_or(String::new(), |m| format!(" (with the {m})"));
    for e in expected.iter().filter(|e| want.contains(&e.row)) {
        if !got.contains(&e.row) {
            let (path, rule, line) = &e.row;
            mismatches.push(format!(
                "testdata/{dir}/{path}:{line}: no {rule} finding{run}, marked at {}",
                e.marker
            ));
        }
    }
    for (path, rule, line) in got.iter().filter(|row| !want.contains(row)) {
        mismatches.push(format!(
            "testdata/{dir}/{path}:{line}: unmarked {rule} finding{run}"
        ));
    }
}

/// (path, rule, line) of every finding of a JSON scan of `testdata/dir`.
fn scan(dir: &str, with_keys: bool) -> BTreeSet<Row> {
    let root = testdata(dir);
    let keys = vector("backup-list.json");
    let mut args = vec!["scan", "--format", "json", path_str(&root)];
    if with_keys {
        args.extend(["--keys", path_str(&keys)]);
    }
    let out = sealant(&args, b"");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan of testdata/{dir} failed: {}",
        stderr(&out)
    );
    let report = serde_json::from_str(&stdout(&out)).expect("a JSON report");
    found(&report, &format!("testdata/{dir}"))
}

/// Every marker under `testdata/dir`; a malformed one is a mismatch.
fn markers(dir: &str, mismatches: &mut Vec<String>) -> Vec<Expected> {
    let root = testdata(dir);
    let mut out = Vec::new();
    for file in files(&root) {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy();
        let text = String::from_utf8_lossy(&fs::read(&file).unwrap()).into_owned();
        for (n, line) in text.lines().enumerate() {
            let at = format!("testdata/{dir}/{rel}:{}", n + 1);
            match parse(line) {
                None => {}
                Some(Err(why)) => mismatches.push(format!("{at}: {why}")),
                Some(Ok(marker)) => out.extend(marker.rows(&rel, n as u64 + 1, &at)),
            }
        }
    }
    out
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// One marker: `expect[(MODE)]: RULE… [at [PATH:]LINE] [remark]`, after `#` or `<!--`.
#[derive(Debug, PartialEq)]
struct Marker {
    mode: Option<String>,
    rules: Vec<String>,
    /// Another line (of this file, or of `PATH` relative to it) that cannot hold a comment.
    at: Option<(Option<String>, u64)>,
}

impl Marker {
    fn rows(self, rel: &str, line: u64, at: &str) -> Vec<Expected> {
        let (path, line) = match self.at {
            None => (rel.to_string(), line),
            Some((None, target)) => (rel.to_string(), target),
            Some((Some(other), target)) => (sibling(rel, &other), target),
        };
        self.rules
            .into_iter()
            .map(|rule| Expected {
                row: (path.clone(), rule, line),
                mode: self.mode.clone(),
                marker: at.to_string(),
            })
            .collect()
    }
}

/// `name` in the folder of the fixture-relative path `rel`.
fn sibling(rel: &str, name: &str) -> String {
    match rel.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/{name}"),
        None => name.to_string(),
    }
}

/// The marker on `line`, if it has one.
fn parse(line: &str) -> Option<Result<Marker, String>> {
    let start = line.find("expect")?;
    let before = line[..start].trim_end();
    if !(before.ends_with('#') || before.ends_with("<!--")) {
        return None;
    }
    let rest = &line[start + "expect".len()..];
    let (mode, rest) = match rest.strip_prefix('(') {
        Some(inner) => {
            let (mode, rest) = inner.split_once(')')?;
            (Some(mode.to_string()), rest)
        }
        None => (None, rest),
    };
    let rest = rest.strip_prefix(':')?;
    Some(marker(mode, rest.trim_end().trim_end_matches("-->")))
}

fn marker(mode: Option<String>, body: &str) -> Result<Marker, String> {
    if mode.as_deref().is_some_and(|m| m != KEYS_MODE) {
        return Err(format!("unknown marker mode {mode:?} (known: {KEYS_MODE})"));
    }
    let is_rule = |t: &&str| {
        t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let mut words = body.split_whitespace().peekable();
    let mut rules = Vec::new();
    while let Some(rule) = words.next_if(|w| *w != "at" && is_rule(w)) {
        rules.push(rule.to_string());
    }
    if rules.is_empty() {
        return Err("a marker names no rule".into());
    }
    let at = match words.next() {
        Some("at") => Some(target(words.next().unwrap_or(""))?),
        _ => None,
    };
    Ok(Marker { mode, rules, at })
}

/// `LINE` or `PATH:LINE`.
fn target(word: &str) -> Result<(Option<String>, u64), String> {
    let (path, line) = match word.rsplit_once(':') {
        Some((path, line)) => (Some(path.to_string()), line),
        None => (None, word),
    };
    let line = line
        .parse()
        .map_err(|_| format!("`at {word}`: not LINE or PATH:LINE"))?;
    Ok((path, line))
}

#[test]
fn markers_read_rules_modes_and_other_lines() {
    let m = |line: &str| parse(line).map(|r| r.unwrap());
    assert_eq!(m("  password: x"), None);
    assert_eq!(m("  note: we expect: this"), None, "not in a comment");
    assert_eq!(
        m("  a: b  # expect: k8s-secret-data generic-secret-yaml"),
        Some(Marker {
            mode: None,
            rules: vec!["k8s-secret-data".into(), "generic-secret-yaml".into()],
            at: None
        })
    );
    assert_eq!(
        m("<!-- expect(keys): sealed-undecryptable at a/b.json:5 (why) -->"),
        Some(Marker {
            mode: Some("keys".into()),
            rules: vec!["sealed-undecryptable".into()],
            at: Some((Some("a/b.json".into()), 5))
        })
    );
    assert!(parse("# expect: at 5").unwrap().is_err());
    assert!(parse("# expect: r at five").unwrap().is_err());
    assert!(parse("# expect(git): r").unwrap().is_err());
    assert_eq!(sibling("kustomize/k.yaml", "app.env"), "kustomize/app.env");
}

/// tests/cmd/*.toml: whole outputs of every format on testdata/demo, `--help`, `explain` and
/// `rules`. `TRYCMD=overwrite` rewrites the expected `.stdout`/`.stderr` files after a wanted
/// change; review their diff before committing.
#[test]
fn whole_outputs_match_their_golden_files() {
    trycmd::TestCases::new()
        .register_bin("sealant", Path::new(env!("CARGO_BIN_EXE_sealant")))
        .insert_var("[VERSION]", env!("CARGO_PKG_VERSION"))
        .unwrap()
        .case("tests/cmd/*.toml")
        .run();
    // After trycmd, which may have overwritten them.
    json_goldens_equal_the_output_as_json();
}

/// trycmd reads every `\` as `/`, in the output and in the golden file alike (its path
/// normalisation), so it cannot tell `\"` from `/"` and `TRYCMD=overwrite` writes the latter.
/// The JSON goldens are compared here as JSON (only `[..]` may differ), and
/// `TRYCMD=overwrite` rewrites them with their backslashes.
fn json_goldens_equal_the_output_as_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for golden in files(&root.join("tests/cmd")) {
        let text = fs::read_to_string(&golden).unwrap();
        if !(golden.extension() == Some("stdout".as_ref()) && text.starts_with('{')) {
            continue;
        }
        let case = fs::read_to_string(golden.with_extension("toml")).unwrap();
        let args = case_args(&case);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let actual = stdout(&crate::common::sealant_in(Some(root), &args, b""));
        let expected = text.replace("[VERSION]", env!("CARGO_PKG_VERSION"));
        let parsed = json_with_wildcards(&expected, &expected);
        let same = parsed.is_some() && json_with_wildcards(&actual, &expected) == parsed;
        if !same && std::env::var_os("TRYCMD").is_some_and(|v| v == "overwrite") {
            fs::write(&golden, keep_wildcards(&actual, &text)).unwrap();
        } else {
            assert!(same, "{} differs from:\n{actual}", golden.display());
        }
        checked += 1;
    }
    assert!(checked >= 2, "the json and sarif goldens");
}

/// `actual` with the lines where `golden` has `[..]` kept as they are in `golden`, and the
/// version as `[VERSION]`.
fn keep_wildcards(actual: &str, golden: &str) -> String {
    let mut golden = golden.lines();
    let mut out = String::new();
    for line in actual.lines() {
        let pattern = golden.next().unwrap_or("");
        let kept = match pattern.split_once("[..]") {
            Some((head, _)) if line.starts_with(head) => pattern,
            _ => line,
        };
        out.push_str(kept);
        out.push('\n');
    }
    out.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[VERSION]\"",
    )
}

/// The `args = [...]` of a tests/cmd case (a TOML array of plain strings is JSON).
fn case_args(case: &str) -> Vec<String> {
    let line = case.lines().find_map(|l| l.strip_prefix("args = "));
    serde_json::from_str(line.expect("args")).expect("args as JSON")
}

/// `text` parsed as JSON, with the value on each line where the golden `pattern` has `[..]`
/// set to null; none if that is not JSON.
fn json_with_wildcards(text: &str, pattern: &str) -> Option<serde_json::Value> {
    let lines: Vec<String> = text
        .lines()
        .zip(pattern.lines())
        .map(|(line, pat)| match pat.split_once("[..]") {
            Some((head, tail)) => {
                format!("{head}null{}", if tail.ends_with(',') { "," } else { "" })
            }
            None => line.to_string(),
        })
        .collect();
    serde_json::from_str(&lines.join("\n")).ok()
}

/// The golden files are outputs: no value of the demo's Secrets may be in one.
#[test]
fn no_golden_file_holds_a_demo_secret_value() {
    let values = secret_values(&testdata("demo/apps/podinfo/secret.yaml"));
    assert!(values.len() >= 3, "the demo lost its values: {values:?}");
    for golden in files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd")) {
        let text = fs::read_to_string(&golden).unwrap();
        for value in &values {
            assert!(
                !text.contains(value.as_str()),
                "{} holds the demo value {value:?}",
                golden.display()
            );
        }
    }
}

/// The values under `data:`/`stringData:` of a Secret manifest, `data` ones also decoded.
fn secret_values(path: &Path) -> Vec<String> {
    use base64::Engine;
    let mut values = Vec::new();
    let mut section = "";
    for line in fs::read_to_string(path).unwrap().lines() {
        if !line.starts_with(' ') {
            section = line.trim_end_matches(':');
            continue;
        }
        let Some((_, value)) = line.split_once(": ") else {
            continue;
        };
        if section == "data" {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value)
                .expect("base64 data");
            values.push(String::from_utf8(decoded).unwrap());
        }
        if section == "data" || section == "stringData" {
            values.push(value.to_string());
        }
    }
    values
}
