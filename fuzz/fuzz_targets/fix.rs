//! The `--fix` rewrite of a file (src/fix): the scan's plaintext-Secret findings, then
//! `plan_secrets` with the test cert pinned for every path (strict, or cluster-wide scope by
//! the first input byte) and a deterministic random source.
//! Checks: no panic; when a rewrite is planned, bytes outside the edits are kept, the output is
//! UTF-8, splits into as many documents, every document (or JSON file) that parsed still parses
//! (both parsers), each edit now holds a SealedSecret the re-scan sees as one, and the re-scan
//! finds no plaintext-Secret value inside an edit. Otherwise the rewrite must be refused.
#![no_main]

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sealant::config::Config;
use sealant::detect::{
    scan_file, FileContext, SECRET_DATA, SECRET_INVALID_BASE64, SECRET_STRING_DATA,
};
use sealant::fix::{plan_secrets, FixContext};
use sealant::rules::RuleSet;
use sealant::yaml::{parse_node, split_documents, Node};
use sealant_fuzz::{cert, Xorshift, CERT_PATH};

const PLAINTEXT: [&str; 3] = [SECRET_DATA, SECRET_STRING_DATA, SECRET_INVALID_BASE64];

fn config(scope: &str) -> Config {
    let yaml = format!(
        "scope: {scope}\ncerts:\n  - name: test\n    cert: {CERT_PATH}\n    sha256: {}\n    paths: [\"**\"]\n",
        cert().fingerprint()
    );
    Config::parse(&yaml, "fuzz").expect("the fuzz config parses")
}

fn configs() -> &'static [Config; 2] {
    static CONFIGS: OnceLock<[Config; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| [config("strict"), config("cluster-wide")])
}

/// Plaintext-Secret finding spans of a scan of `bytes`.
fn plaintext_spans(path: &str, bytes: &[u8]) -> Vec<Range<usize>> {
    let ctx = FileContext::new(RuleSet::builtin(), "fuzz-salt");
    scan_file(path, bytes, &ctx)
        .findings
        .into_iter()
        .filter(|f| PLAINTEXT.contains(&f.rule.as_str()))
        .map(|f| f.span)
        .collect()
}

/// Whether the document holds a SealedSecret (itself, or an item of a List) overlapping `range`.
fn sealed_at(root: &Node, range: &Range<usize>) -> bool {
    let overlaps = |n: &Node| n.span.start < range.end && range.start < n.span.end;
    let sealed = |n: &Node| n.str_at(&["kind"]) == Some("SealedSecret") && overlaps(n);
    sealed(root)
        || root
            .get("items")
            .is_some_and(|i| i.items().iter().any(sealed))
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let path = if mode & 1 != 0 {
        "apps/secret.json"
    } else {
        "apps/secret.yaml"
    };
    let is_json = mode & 1 != 0;
    let reported = plaintext_spans(path, rest);
    if reported.is_empty() {
        return;
    }
    let config = &configs()[usize::from(mode & 2 != 0)];
    let chains = HashMap::new();
    let ctx = FixContext {
        config,
        chains: &chains,
        now: cert().not_before() + Duration::from_secs(86_400),
        deployments: None,
    };
    let Ok(Some(plan)) = plan_secrets(path, rest, &reported, &ctx, &mut Xorshift(0x5eed)) else {
        return; // refused, or nothing to seal
    };
    let original = std::str::from_utf8(rest).expect("only UTF-8 files are planned");
    let fixed = std::str::from_utf8(&plan.fixed).expect("the rewrite is UTF-8");
    assert_eq!(plan.count, plan.edits.len());

    // Where each edit landed in the output; bytes between edits are unchanged.
    let mut edits: Vec<_> = plan.edits.iter().collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut landed = Vec::new();
    let (mut at, mut delta) = (0usize, 0isize);
    for e in &edits {
        assert!(at <= e.range.start, "overlapping edits");
        let new_start = (e.range.start as isize + delta) as usize;
        assert_eq!(
            &plan.fixed[(at as isize + delta) as usize..new_start],
            &rest[at..e.range.start]
        );
        landed.push(new_start..new_start + e.text.len());
        delta += e.text.len() as isize - e.range.len() as isize;
        at = e.range.end;
    }
    assert_eq!(&plan.fixed[(at as isize + delta) as usize..], &rest[at..]);

    if is_json {
        assert!(
            sealant::doc::parse_documents(fixed, path).is_ok(),
            "the rewritten JSON does not parse"
        );
        let root = parse_node(fixed, 0..fixed.len()).unwrap().unwrap();
        for r in &landed {
            assert!(sealed_at(&root, r), "no SealedSecret at {r:?}");
        }
    } else {
        let before = split_documents(rest);
        let after = split_documents(&plan.fixed);
        assert_eq!(
            before.len(),
            after.len(),
            "the rewrite changed the documents:\n{fixed}"
        );
        for (b, a) in before.iter().zip(&after) {
            let was = parse_node(original, b.range.clone());
            let now = parse_node(fixed, a.range.clone());
            if matches!(was, Ok(Some(_))) {
                assert!(
                    matches!(now, Ok(Some(_))),
                    "a document no longer parses: {now:?}\n{fixed}"
                );
            }
            if sealant::doc::parse_documents(&original[b.range.clone()], path).is_ok() {
                let reparsed = sealant::doc::parse_documents(&fixed[a.range.clone()], path);
                assert!(
                    reparsed.is_ok(),
                    "a document no longer parses: {reparsed:?}\n{fixed}"
                );
            }
            let inside: Vec<_> = landed
                .iter()
                .filter(|r| a.range.start <= r.start && r.end <= a.range.end)
                .collect();
            if let (Ok(Some(root)), false) = (&now, inside.is_empty()) {
                for r in inside {
                    assert!(sealed_at(root, r), "no SealedSecret at {r:?}:\n{fixed}");
                }
            }
        }
        let covered: usize = landed
            .iter()
            .map(|r| {
                after
                    .iter()
                    .filter(|a| a.range.start <= r.start && r.end <= a.range.end)
                    .count()
            })
            .sum();
        assert_eq!(
            covered,
            landed.len(),
            "an edit straddles documents:\n{fixed}"
        );
    }
    for span in plaintext_spans(path, &plan.fixed) {
        assert!(
            !landed
                .iter()
                .any(|r| r.start <= span.start && span.end <= r.end),
            "plaintext left at {span:?} in the rewrite:\n{fixed}"
        );
    }
});
