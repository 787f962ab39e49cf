//! The examples and negative examples of the SealedSecret rules (rules/sealed.yaml), scanned by
//! the real binary: each example must give its rule, each negative example must not.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use sealant::finding::Category;
use sealant::rules::{Rule, RuleSet};

use crate::common::{path_str, sealant, stderr, stdout, vector};

/// The rules an example's scan reports, with the test keys (for sealed-undecryptable).
fn rules_of(rule: &Rule, example: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let target = match example.strip_prefix("testdata/") {
        Some(_) if !example.contains('\n') => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(example.trim())
        }
        _ => {
            let name = rule.example_file.as_deref().unwrap_or("sealedsecret.yaml");
            fs::write(dir.path().join(name), example).unwrap();
            PathBuf::from(dir.path())
        }
    };
    assert!(target.exists(), "{}: no {}", rule.id, target.display());
    let keys = vector("backup-list.json");
    let args = ["scan", "--format", "json", "--keys", path_str(&keys)];
    let out = sealant(&[&args[..], &[path_str(&target)]].concat(), b"");
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn sealed_rules() -> Vec<&'static Rule> {
    let rules: Vec<&Rule> = RuleSet::builtin()
        .rules()
        .iter()
        .filter(|r| r.category == Category::SealedSecret)
        .collect();
    assert!(rules.len() >= 14, "{} SealedSecret rules", rules.len());
    rules
}

#[test]
fn every_sealed_rule_has_examples_and_negative_examples() {
    for rule in sealed_rules() {
        assert!(
            !rule.examples.is_empty() && !rule.negative_examples.is_empty(),
            "{}: needs an example and a negative example",
            rule.id
        );
    }
}

/// Every example (or negative example) whose scan does not (or does) give its rule.
fn failures(positive: bool) -> Vec<String> {
    let mut failed = Vec::new();
    for rule in sealed_rules() {
        let examples = match positive {
            true => &rule.examples,
            false => &rule.negative_examples,
        };
        for example in examples {
            let found = rules_of(rule, example);
            if found.contains(&rule.id) != positive {
                failed.push(format!("{}: gave {found:?}:\n{example}", rule.id));
            }
        }
    }
    failed
}

#[test]
fn sealed_rule_examples_give_their_rule() {
    let failed = failures(true);
    assert!(failed.is_empty(), "examples:\n{}", failed.join("\n"));
}

#[test]
fn sealed_rule_negative_examples_do_not() {
    let failed = failures(false);
    assert!(
        failed.is_empty(),
        "negative examples:\n{}",
        failed.join("\n")
    );
}
