//! Redaction: no secret value, nor a terminal escape from file content, reaches any output.
//! The values to look for are read from the fixtures themselves, so a new fixture is covered
//! without editing a list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use crate::common::{copy_dir, path_str, sealant_in, stderr, stdout, testdata};

/// Secret-looking values planted in the cases below; they are also what the tests look for.
const CONFIGMAP_PASSWORD: &str = "Zq8r2Lm5Nv9Wt1XyCfgLeak";
const COMMENT_TOKEN: &str = "ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua";
const OLD_VALUE: &str = "baselined-Kp3Wq8Zr5Tx1";
const NEW_VALUE: &str = "new-Mv7Hy2Lc9Qd4Rs6";

/// The cases the attack found: values next to the Secret `--fix` seals (a suppressed ConfigMap
/// password, a token in a comment) and values suppressed on the line of a reported one.
const CASES: &[(&str, &str)] = &[
    (
        "apps/shop/secret.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  DB_PASSWORD: \"Zq8r2Lm5Nv9Wt1XyCfgLeak\" # sealant:ignore\n---\n# token ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: fixture-db-pass-1\n",
    ),
    (
        "apps/shop/ignored.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ignored\nstringData:\n  password: ignored-Wd4Tb8Nq2Xs7 # ghp_Q4x7Lm2Nv8Rt1Ks5Wz9Yb3Hc6Jd0Fg2Tp7Ua sealant:ignore github-token\n",
    ),
];

/// A repository in a temp dir: a copy of `fixture` (a testdata folder) plus `files`.
fn repo(fixture: Option<&str>, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(name) = fixture {
        copy_dir(&testdata(name), &dir);
    }
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (tmp, dir)
}

/// Runs sealant in `dir`; stdout and stderr together.
fn run(dir: &Path, args: &[&str]) -> String {
    let out = sealant_in(Some(dir), args, b"");
    format!("{}{}", stdout(&out), stderr(&out))
}

#[track_caller]
fn assert_hidden(output: &str, values: &[&str]) {
    for value in values {
        assert!(!output.contains(value), "{value:?} printed:\n{output}");
    }
}

#[test]
fn fix_dry_run_diff_redacts_values_in_context_lines() {
    let (_tmp, dir) = repo(Some("fix"), &CASES[..1]);
    let diff = run(&dir, &["scan", "--fix", "--dry-run", "."]);
    assert!(diff.contains("+++ b/apps/shop/secret.yaml"), "{diff}");
    assert!(
        diff.contains(" # token <redacted>"),
        "context lines are shown, redacted:\n{diff}"
    );
    assert_hidden(&diff, &[CONFIGMAP_PASSWORD, COMMENT_TOKEN]);
}

/// The first version of `apps/a.yaml`, a baseline of it, then a new value on the same line.
#[test]
fn human_frame_redacts_a_baselined_value_on_the_findings_line() {
    let first = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\nstringData: {{old: {OLD_VALUE}}}\n"
    );
    let (_tmp, dir) = repo(None, &[("apps/a.yaml", &first)]);
    run(&dir, &["scan", ".", "--write-baseline", "baseline.json"]);
    let second = first.replace(
        &format!("{OLD_VALUE}}}"),
        &format!("{OLD_VALUE}, new: {NEW_VALUE}}}"),
    );
    std::fs::write(dir.join("apps/a.yaml"), second).unwrap();
    let out = run(&dir, &["scan", ".", "--baseline", "baseline.json"]);
    assert!(out.contains("1 finding (1 suppressed)"), "{out}");
    assert!(out.contains("new: <redacted>"), "{out}");
    assert_hidden(&out, &[OLD_VALUE, NEW_VALUE]);
}

#[test]
fn human_frame_redacts_an_allowed_value_on_the_findings_line() {
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\nstringData: {{old: {OLD_VALUE}, new: {NEW_VALUE}}}\n"
    );
    let config =
        "allow:\n  - rule: k8s-secret-string-data\n    path: apps/a.yaml\n    fingerprint: FP\n";
    let (_tmp, dir) = repo(None, &[("apps/a.yaml", &secret)]);
    // Allow the old value's finding by its fingerprint, which only a scan tells.
    let out = sealant_in(Some(&dir), &["scan", ".", "--format", "json"], b"");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let old = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("stringData.old"))
        .expect("the old value's finding");
    let config = config.replace("FP", old["fingerprint"].as_str().unwrap());
    std::fs::write(dir.join(".sealant.yaml"), config).unwrap();
    let out = run(&dir, &["scan", "."]);
    assert!(out.contains("1 finding (1 suppressed)"), "{out}");
    assert_hidden(&out, &[OLD_VALUE, NEW_VALUE]);
}

#[test]
fn human_frame_redacts_an_ignored_value_on_the_findings_line() {
    let (_tmp, dir) = repo(None, &CASES[1..]);
    let out = run(&dir, &["scan", "."]);
    assert!(out.contains("1 finding (1 suppressed)"), "{out}");
    assert!(
        out.contains("password: <redacted> # <redacted> sealant:ignore"),
        "{out}"
    );
    assert_hidden(&out, &[COMMENT_TOKEN, "ignored-Wd4Tb8Nq2Xs7"]);
}

/// Characters from file content that a terminal or log viewer would act on: ESC (CSI, OSC),
/// BEL, a C1 CSI, DEL, and bidi overrides that reorder what is shown.
const HOSTILE: &[char] = &[
    '\u{1b}', '\u{7}', '\u{8}', '\u{7f}', '\u{9b}', '\u{202e}', '\u{2066}',
];

/// A Secret whose file name and key carry every character of [`HOSTILE`].
fn hostile_repo() -> (tempfile::TempDir, PathBuf, String, String) {
    let name = "apps/evil\u{1b}[2J\u{9b}31m\u{202e}lmay.yaml".to_string();
    let key = "pass\u{1b}]0;owned\u{7}\u{8}\u{7f}\u{2066}word".to_string();
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\nstringData:\n  \"{}\": Vb6Jq1Xr8Mz3Tk5W\n",
        key.replace('\u{1b}', "\\e").replace('\u{7}', "\\a").replace('\u{8}', "\\b").replace('\u{7f}', "\\x7f")
    );
    let (tmp, dir) = repo(None, &[(&name, &secret)]);
    (tmp, dir, name, key)
}

#[track_caller]
fn assert_no_hostile(format: &str, output: &str) {
    let found: Vec<char> = output.chars().filter(|c| HOSTILE.contains(c)).collect();
    assert!(
        found.is_empty(),
        "--format {format} printed {found:?}:\n{output:?}"
    );
}

#[test]
fn every_format_escapes_terminal_controls_from_file_names_and_keys() {
    let (_tmp, dir, name, key) = hostile_repo();
    for format in ["human", "json", "sarif", "github"] {
        let out = sealant_in(Some(&dir), &["scan", ".", "--format", format], b"");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_no_hostile(format, &stdout(&out));
        assert_no_hostile(format, &stderr(&out));
    }
    // JSON and SARIF escape them as `\uXXXX`: the values read back unchanged.
    let out = sealant_in(Some(&dir), &["scan", ".", "--format", "json"], b"");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["path"], name.as_str());
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains(&key), "{message:?}");
}

#[test]
fn fix_dry_run_escapes_terminal_controls_from_file_content() {
    let (_tmp, dir, ..) = repo(Some("fix"), &[]);
    // YAML forbids C0 and C1 controls: the document holding them is not parsed, the next is.
    let crafted = "# \u{1b}]0;owned\u{7} \u{9b}2J\n---\n# \u{202e}\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData:\n  password: Vb6Jq1Xr8Mz3Tk5W\n";
    std::fs::write(dir.join("apps/shop/evil\u{1b}[2J.yaml"), crafted).unwrap();
    // A bidi override in a generator's label, which the new SealedSecret file carries.
    let kustomization = dir.join("apps/gen/kustomization.yaml");
    let text = std::fs::read_to_string(&kustomization).unwrap();
    let text = text.replace("app: gen", "app: \"gen\\u202e\"");
    std::fs::write(&kustomization, text).unwrap();
    let out = sealant_in(Some(&dir), &["scan", "--fix", "--dry-run", "."], b"");
    let (diff, messages) = (stdout(&out), stderr(&out));
    // The file does not parse as a whole, so it is refused (not fixed): its name reaches the
    // message, escaped.
    assert!(messages.contains("apps/shop/evil"), "{messages}");
    assert!(
        diff.contains("+++ b/apps/gen/app-literals-sealedsecret.yaml"),
        "{diff}"
    );
    assert_no_hostile("--fix --dry-run", &diff);
    assert_no_hostile("--fix --dry-run messages", &messages);
}

#[test]
fn fix_messages_escape_terminal_controls_from_file_names() {
    let (_tmp, dir, ..) = repo(Some("fix"), &[]);
    // No namespace: the Secret cannot be sealed, and the message names the file.
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: Vb6Jq1Xr8Mz3Tk5W\n";
    let name = "apps/other/evil\u{1b}]0;owned\u{7}\u{202e}.yaml";
    std::fs::create_dir_all(dir.join("apps/other")).unwrap();
    std::fs::write(dir.join(name), secret).unwrap();
    for args in [
        &["scan", "--fix", "--dry-run", "."][..],
        &["scan", "--fix", "."],
    ] {
        let out = sealant_in(Some(&dir), args, b"");
        let messages = stderr(&out);
        assert!(messages.contains("not fixed"), "{messages}");
        assert_no_hostile("--fix", &messages);
    }
}

/// A Secret in a file that is not valid YAML: its value reaches only the parse note's path.
const BROKEN_VALUE: &str = "Hx5Pw9Lq2Zt7Nb4Broken";
const BROKEN: (&str, &str) = (
    "apps/shop/broken.yaml",
    "apiVersion: v1\nkind: Secret\nmetadata: {name: broken, namespace: shop}\nstringData:\n  password: Hx5Pw9Lq2Zt7Nb4Broken\n  bad: [unclosed Hx5Pw9Lq2Zt7Nb4Broken\n",
);

/// Every secret value the files under `dir` hold: Secret `stringData` values, `data` values
/// as written and decoded, and what kustomize secretGenerators read (literals, env files,
/// files). Values under 4 bytes are left out: they occur by chance in any output (`b`, `1`);
/// so are `${VAR}` substitutions, references that sealant rightly leaves alone.
fn fixture_values(dir: &Path) -> BTreeSet<String> {
    let files = crate::common::snapshot(dir);
    let mut values = BTreeSet::new();
    for (path, bytes) in &files {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let Some(docs) = parse(text, path) else {
            continue;
        };
        let base = Path::new(path).parent().unwrap_or(Path::new(""));
        for object in docs.iter().flat_map(|d| match d["kind"].as_str() {
            Some("List") => d["items"].as_array().cloned().unwrap_or_default(),
            _ => vec![d.clone()],
        }) {
            secret_values(&object, &mut values);
            generator_values(&object, base, &files, &mut values);
        }
    }
    values.retain(|v| v.trim().len() >= 4 && !v.contains("${"));
    values
}

/// A manifest's documents; YAML flow style that looks like JSON (`{'k': v}`) read as YAML.
fn parse(text: &str, path: &str) -> Option<Vec<Value>> {
    match sealant::doc::parse_documents(text, path) {
        Ok((_, docs)) => Some(docs),
        Err(_) => sealant::yaml::de::from_documents::<Value>(text)
            .ok()
            .map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect()),
    }
}

fn strings(map: &Value) -> impl Iterator<Item = &str> {
    map.as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_str)
}

fn secret_values(object: &Value, values: &mut BTreeSet<String>) {
    if object["kind"] != "Secret" {
        return;
    }
    values.extend(strings(&object["stringData"]).map(String::from));
    for data in strings(&object["data"]) {
        values.insert(data.to_string());
        let decoded = STANDARD
            .decode(data)
            .ok()
            .and_then(|d| String::from_utf8(d).ok());
        values.extend(decoded);
    }
}

fn generator_values(
    object: &Value,
    base: &Path,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    values: &mut BTreeSet<String>,
) {
    let read = |name: &str| {
        let path = base.join(name).to_string_lossy().into_owned();
        String::from_utf8_lossy(files.get(&path).map_or(&[][..], Vec::as_slice)).into_owned()
    };
    for generator in object["secretGenerator"].as_array().into_iter().flatten() {
        for literal in generator["literals"].as_array().into_iter().flatten() {
            let (_, value) = literal.as_str().unwrap().split_once('=').unwrap();
            values.insert(value.trim_matches(['\'', '"']).to_string());
        }
        for env in generator["envs"].as_array().into_iter().flatten() {
            let text = read(env.as_str().unwrap());
            let lines = text.lines().filter(|l| !l.trim_start().starts_with('#'));
            values.extend(lines.filter_map(|l| Some(l.split_once('=')?.1.to_string())));
        }
        for file in generator["files"].as_array().into_iter().flatten() {
            let name = file.as_str().unwrap();
            let name = name.split_once('=').map_or(name, |(_, path)| path);
            values.insert(read(name).trim().to_string());
        }
    }
}

/// Everything sealant prints or writes about the repository at `dir`, in every output path:
/// each format, a report file, a baseline file and a scan against it, `--fix --dry-run`,
/// `--fix`, and the errors of reading each file as a baseline or a configuration.
fn all_outputs(dir: &Path) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let mut run_and_keep = |args: &[&str]| {
        outputs.push((args.join(" "), run(dir, args)));
    };
    for format in ["human", "json", "sarif", "github"] {
        run_and_keep(&["scan", ".", "--format", format]);
    }
    run_and_keep(&["scan", ".", "--color", "always"]);
    run_and_keep(&["scan", ".", "--format", "sarif", "-o", "../report.sarif"]);
    run_and_keep(&["scan", ".", "--write-baseline", "../baseline.json"]);
    run_and_keep(&["scan", ".", "--baseline", "../baseline.json"]);
    for file in crate::common::snapshot(dir).keys() {
        let file = format!("./{file}");
        run_and_keep(&["scan", ".", "--baseline", &file]);
        run_and_keep(&["scan", ".", "--config", &file]);
    }
    run_and_keep(&["scan", "--fix", "--dry-run", "."]);
    run_and_keep(&["scan", "--fix", "."]);
    let parent = dir.parent().unwrap();
    for written in ["report.sarif", "baseline.json"] {
        let text = std::fs::read_to_string(parent.join(written)).unwrap();
        outputs.push((written.to_string(), text));
    }
    outputs
}

#[test]
fn no_output_path_prints_a_fixture_value() {
    let cases: Vec<(&str, &str)> = CASES.iter().copied().chain([BROKEN]).collect();
    // The cases' values that no Secret or generator holds, so parsing does not find them.
    let case_values = [CONFIGMAP_PASSWORD, COMMENT_TOKEN, BROKEN_VALUE];
    let repos = [
        (repo(Some("scan/positive"), &[]), &[][..]),
        (repo(Some("demo"), &[]), &[]),
        (repo(Some("fix"), &[]), &[]),
        (repo(Some("vectors"), &[]), &[]),
        (repo(Some("fix"), &cases), &case_values[..]),
    ];
    for ((_tmp, dir), extra) in &repos {
        let mut values = fixture_values(dir);
        values.extend(extra.iter().map(|v| v.to_string()));
        assert!(!values.is_empty(), "{}: no value found", path_str(dir));
        for (what, output) in all_outputs(dir) {
            for value in &values {
                assert!(
                    !output.contains(value.as_str()),
                    "{}: `{what}` printed {value:?}:\n{output}",
                    path_str(dir)
                );
            }
        }
    }
}
