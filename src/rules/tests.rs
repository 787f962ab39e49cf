//! Every rule's examples match and its negative examples don't; the pack is well-formed.

use super::*;

fn sample_name(rule: &Rule) -> String {
    match rule.paths.first() {
        None => "example.txt".to_string(),
        Some(p) if p.starts_with("*.") => format!("example{}", &p[1..]),
        Some(p) => {
            p.trim_end_matches('*').to_string() + if p.ends_with('*') { "local" } else { "" }
        }
    }
}

fn matches_of<'a>(set: &'a RuleSet, rule: &Rule, text: &str) -> Vec<RuleMatch<'a>> {
    let hits = set.prefilter(text.as_bytes());
    set.find(&sample_name(rule), text.as_bytes(), &hits)
        .into_iter()
        .filter(|m| m.rule.id == rule.id)
        .collect()
}

#[test]
fn every_example_matches_and_no_negative_does() {
    let set = RuleSet::builtin();
    for rule in set.rules().iter().filter(|r| r.pattern.is_some()) {
        for example in &rule.examples {
            let found = matches_of(set, rule, example);
            assert!(
                !found.is_empty(),
                "{}: example not found: {example:?}",
                rule.id
            );
            for m in found {
                assert!(
                    m.span.start < m.span.end && m.span.end <= example.len(),
                    "{}: bad span {:?}",
                    rule.id,
                    m.span
                );
            }
        }
        for negative in &rule.negative_examples {
            assert!(
                matches_of(set, rule, negative).is_empty(),
                "{}: negative example matched: {negative:?}",
                rule.id
            );
        }
    }
}

#[test]
fn the_pack_is_well_formed() {
    let set = RuleSet::builtin();
    let mut ids: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    for rule in set.rules() {
        assert!(
            rule.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}",
            rule.id
        );
        assert!(
            !rule.description.is_empty() && rule.explanation.len() > 40,
            "{} needs documentation",
            rule.id
        );
        if let Some(pattern) = &rule.pattern {
            assert!(
                Regex::new(pattern).is_ok(),
                "{}: pattern does not compile",
                rule.id
            );
            assert!(
                !rule.keywords.is_empty(),
                "{}: a pattern rule needs keywords",
                rule.id
            );
            assert!(
                rule.examples.len() >= 2 && rule.negative_examples.len() >= 2,
                "{}: needs 2 examples and 2 negatives",
                rule.id
            );
        }
    }
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "rule ids are unique");
    assert!(
        set.keywords().len() <= prefilter::TEDDY_LIMIT,
        "{} keywords: the prefilter would leave Teddy",
        set.keywords().len()
    );
}

#[test]
fn no_hits_no_matches() {
    let set = RuleSet::builtin();
    let text = b"nothing to see here\n";
    let hits = set.prefilter(text);
    assert!(hits.is_empty());
    assert!(set.find("a.yaml", text, &hits).is_empty());
}

#[test]
fn longer_keywords_still_trigger_the_rules_of_the_shorter_ones() {
    // Leftmost-first: the detector keyword `secretGenerator` hides the rule keyword `secret`
    // at the same offset; the rule must run all the same.
    let pack = "rules:\n  - id: demo\n    description: d\n    explanation: e\n    keywords: [secret]\n    pattern: 'secret(?P<secret>Generator)'\n";
    let set = RuleSet::from_yaml(&[pack], &["secretGenerator"]).unwrap();
    let text = b"secretGenerator:\n";
    let hits = set.prefilter(text);
    assert_eq!(
        hits.iter().next(),
        Some((0, 0)),
        "the detector keyword wins the hit"
    );
    let found = set.find("a.yaml", text, &hits);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].span, 6..15);
}

#[test]
fn paths_limit_where_generic_rules_run() {
    let set = RuleSet::builtin();
    let text = b"password: Zq8r2Lm5Nv9Wt1\n";
    let hits = set.prefilter(text);
    assert!(!set.find("values.yaml", text, &hits).is_empty());
    assert!(set.find("main.go", text, &hits).is_empty());
    assert!(
        name_matches(".env.*", ".env.local")
            && name_matches("*.env", "prod.env")
            && !name_matches(".env", "x.env")
    );
}
