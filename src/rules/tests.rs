//! Every rule's examples match and its negative examples don't; the pack is well-formed and
//! stays within what keeps the prefilter on Teddy.

use super::matcher::name_matches;
use super::*;
use crate::finding::{Category, Severity};

/// A file name each of the rule's include patterns accepts (`*.env` → `example.env`).
fn sample_names(rule: &Rule) -> Vec<String> {
    let names: Vec<String> = rule
        .paths
        .iter()
        .filter(|p| !p.starts_with('!'))
        .map(|p| match (p.strip_prefix('*'), p.strip_suffix('*')) {
            (Some(suffix), _) => format!("example{suffix}"),
            (None, Some(prefix)) => format!("{prefix}local"),
            (None, None) => p.clone(),
        })
        .collect();
    if names.is_empty() {
        vec!["example.txt".to_string()]
    } else {
        names
    }
}

fn matches_of<'a>(set: &'a RuleSet, rule: &Rule, name: &str, text: &str) -> Vec<RuleMatch<'a>> {
    let hits = set.prefilter(text.as_bytes());
    set.find(name, text.as_bytes(), &hits)
        .into_iter()
        .filter(|m| m.rule.id == rule.id)
        .collect()
}

fn pattern_rules(set: &RuleSet) -> impl Iterator<Item = &Rule> {
    set.rules().iter().filter(|r| r.pattern.is_some())
}

/// A rule's examples: those in the pack, and `testdata/rules/RULE/*.example` (where examples
/// shaped like key material live, so that none ships in the binary's rule pack).
fn examples(rule: &Rule) -> Vec<String> {
    with_files(&rule.examples, &rule.id, "example")
}

/// A rule's negative examples, likewise with `testdata/rules/RULE/*.negative`.
fn negatives(rule: &Rule) -> Vec<String> {
    with_files(&rule.negative_examples, &rule.id, "negative")
}

fn with_files(inline: &[String], id: &str, extension: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/rules")
        .join(id);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .map(|e| e.expect("readable testdata").path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    let mut out = inline.to_vec();
    out.extend(
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("UTF-8 example")),
    );
    out
}

#[test]
fn every_example_matches_with_a_span_inside_it() {
    let set = RuleSet::builtin();
    for rule in pattern_rules(set) {
        let name = &sample_names(rule)[0];
        for example in &examples(rule) {
            let found = matches_of(set, rule, name, example);
            assert!(!found.is_empty(), "{}: not found: {example:?}", rule.id);
            for m in found {
                assert!(
                    m.span.start < m.span.end && m.span.end <= example.len(),
                    "{}: bad span {:?} in {example:?}",
                    rule.id,
                    m.span
                );
            }
        }
    }
}

#[test]
fn no_negative_example_matches_in_any_file_the_rule_runs_on() {
    let set = RuleSet::builtin();
    for rule in pattern_rules(set) {
        for name in sample_names(rule) {
            for negative in &negatives(rule) {
                let found = matches_of(set, rule, &name, negative);
                assert!(
                    found.is_empty(),
                    "{}: negative example matched as {name}: {negative:?} at {:?}",
                    rule.id,
                    found
                        .iter()
                        .map(|m| &negative[m.span.clone()])
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

#[test]
fn the_builtin_pack_is_well_formed() {
    let texts: Vec<&str> = PACK.iter().map(|(_, text)| *text).collect();
    let set = RuleSet::from_yaml(&texts, DETECTOR_KEYWORDS).expect("every pattern compiles");
    for rule in set.rules() {
        let id = &rule.id;
        assert!(schema::is_kebab_case(id), "{id}");
        assert!(
            !rule.description.trim().is_empty() && !rule.description.contains('\n'),
            "{id}: a one-line description"
        );
        assert!(
            rule.explanation.len() > 120,
            "{id}: explain what, why, and how to fix"
        );
        let Some(pattern) = &rule.pattern else {
            continue;
        };
        assert!(
            !rule.keywords.is_empty(),
            "{id}: a pattern rule needs keywords"
        );
        assert!(
            examples(rule).len() >= 2 && negatives(rule).len() >= 2,
            "{id}: needs 2 examples and 2 negatives"
        );
        assert!(
            pattern.starts_with("(?") && pattern[..8].contains("-u"),
            "{id}: ASCII (?-u)"
        );
        let regex = rule.regex().unwrap();
        assert!(
            schema::group_names(regex).flatten().any(|n| n == "secret"),
            "{id}: names its `secret` group"
        );
        for example in &examples(rule) {
            assert!(
                rule.keywords.iter().any(|k| example.contains(k.as_str())),
                "{id}: example without a keyword can never match: {example:?}"
            );
        }
    }
}

/// Single-line rules are compiled without a literal prefilter (see `schema::LazyRegex`): the
/// matches must be the same either way, on every example and negative example.
#[test]
fn a_regex_finds_the_same_with_and_without_its_prefilter() {
    let spans = |regex: &regex_automata::meta::Regex, text: &str| -> Vec<_> {
        (regex.captures_iter(text.as_bytes()))
            .map(|caps| (caps.get_match(), caps.get_group_by_name("secret")))
            .collect()
    };
    let mut compared = 0;
    for rule in RuleSet::builtin().rules() {
        let Some(pattern) = &rule.pattern else {
            continue;
        };
        let with = schema::compile(pattern, true).unwrap();
        let without = schema::compile(pattern, false).unwrap();
        for text in examples(rule).iter().chain(&negatives(rule)) {
            assert_eq!(spans(&with, text), spans(&without, text), "{}", rule.id);
            compared += 1;
        }
    }
    assert!(compared > 50, "{compared}");
}

#[test]
fn a_broken_pattern_is_reported_as_regex_reports_it() {
    let err = schema::compile("(?-u)ab(c", false).unwrap_err();
    assert!(err.contains("unclosed group"), "{err}");
    assert!(err.contains("ab(c"), "the pattern, with where: {err}");
}

#[test]
fn the_prefilter_stays_on_teddy() {
    let set = RuleSet::builtin();
    let keywords = set.keywords();
    assert!(
        keywords.len() <= TEDDY_LIMIT,
        "{} keywords: Teddy takes at most {TEDDY_LIMIT}",
        keywords.len()
    );
    for k in keywords {
        // Teddy fingerprints min(4, shortest keyword) bytes; shorter ones flood it with
        // candidates.
        assert!(k.len() >= 4, "keyword {k:?} is shorter than 4 bytes");
        assert!(k.is_ascii(), "keyword {k:?}");
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        assert!(set.uses_teddy(), "the prefilter fell back to the automaton");
    }
}

/// Leftmost-longest hits never overlap: a keyword inside a hit stands for itself through
/// `rules_of`, and one overlapping a hit's end (`Secret` + `token`) is looked for after it.
#[test]
fn every_keyword_occurrence_is_a_hit_or_inside_one() {
    let set = RuleSet::builtin();
    let keywords = set.keywords();
    let mut glued = 0;
    for a in keywords {
        for b in keywords {
            for n in 1..a.len().min(b.len()) {
                if !a.ends_with(&b[..n]) || a.contains(b.as_str()) {
                    continue;
                }
                glued += 1;
                let text = format!("{a}{}", &b[n..]);
                let hits = set.prefilter(text.as_bytes());
                assert_eq!(hits.first_offset_of(a), Some(0), "{text}");
                assert_eq!(hits.first_offset_of(b), Some(a.len() - n), "{text}");
            }
        }
    }
    assert!(
        glued > 0,
        "the built-in keywords overlap (`Secretoken`): keep testing it"
    );
}

#[test]
fn detector_rules_are_documented_as_data() {
    let set = RuleSet::builtin();
    for id in [
        "k8s-secret-data",
        "k8s-secret-string-data",
        "k8s-secret-invalid-base64",
        "kustomize-secret-generator-literal",
        "kustomize-secret-generator-file",
    ] {
        let rule = set.get(id).unwrap_or_else(|| panic!("{id} is missing"));
        assert!(rule.pattern.is_none(), "{id} is implemented in src/detect");
        assert_eq!(rule.severity, Severity::Error, "{id}");
        assert_eq!(rule.category, Category::Leak, "{id}");
    }
    // Every field the graph reads workloads' Secret references from has a keyword.
    for needed in [
        "secretKeyRef",
        "secretRef",
        "secretName",
        "reloader.stakater.com",
    ] {
        assert!(DETECTOR_KEYWORDS.contains(&needed), "{needed}");
    }
    for k in DETECTOR_KEYWORDS {
        assert!(set.keywords().iter().any(|have| have == k), "{k}");
    }
}

const PLACEHOLDERS: &[&str] = &[
    "",
    "{{ .Values.secret }}",
    "${SECRET}",
    "$SECRET",
    "$(SECRET)",
    "ENC[AES256_GCM,data:Zq8r2Lm5Nv9W,iv:x,tag:y,type:str]",
    "changeme",
    "<password>",
    "xxxxxxxxxxxxxxxxxxxxxxxx",
    "***",
    "REPLACE_ME",
    "vault:secret/data/app#token",
    "ref+awssm://app/token",
];

/// Each example's reported value replaced by each placeholder: the rule must stay quiet.
#[test]
fn placeholders_never_match() {
    let set = RuleSet::builtin();
    for rule in pattern_rules(set) {
        let name = &sample_names(rule)[0];
        for example in &examples(rule) {
            let spans: Vec<Range<usize>> = matches_of(set, rule, name, example)
                .into_iter()
                .map(|m| m.span)
                .collect();
            for placeholder in PLACEHOLDERS {
                let mut text = example.clone();
                for span in spans.iter().rev() {
                    text.replace_range(span.clone(), placeholder);
                }
                let found = matches_of(set, rule, name, &text);
                assert!(
                    found.is_empty(),
                    "{}: {placeholder:?} matched in {text:?}",
                    rule.id
                );
            }
        }
    }
}

#[test]
fn nothing_runs_without_hits() {
    let set = RuleSet::builtin();
    let text = b"nothing to see here\n";
    let hits = set.prefilter(text);
    assert!(hits.is_empty());
    assert!(set.find("a.yaml", text, &hits).is_empty());
    // The rules run only where the hits say, even if the text would match.
    let leaky = b"token: ghp_zaUJTXY0zxHSNjbeqeFs720eZmeikV8dDBfj\n";
    assert!(set.find("a.yaml", leaky, &hits).is_empty());
    assert!(!set.find("a.yaml", leaky, &set.prefilter(leaky)).is_empty());
}

#[test]
fn hits_report_extra_keywords_also_inside_longer_hits() {
    let set = RuleSet::builtin();
    let text = b"kind: SealedSecret\nspec: {}\n";
    let hits = set.prefilter(text);
    assert!(hits.has_extra("SealedSecret"));
    assert!(hits.has_extra("Secret"), "inside SealedSecret");
    assert_eq!(hits.first_offset_of("Secret"), Some(12));
    assert!(!hits.has_extra("secretGenerator"));
    assert!(hits.detector_within(0..10));
    assert!(!set.prefilter(b"a: b\n").has_extra("Secret"));
}

#[test]
fn longer_keywords_still_trigger_the_rules_of_the_shorter_ones() {
    // `secretGenerator` (a detector's) and `secret` (the rule's) hit at the same place; the
    // longer wins the hit, and the rule must run all the same.
    let pack = "rules:\n  - id: demo\n    description: d\n    explanation: e\n    keywords: [secret]\n    pattern: '(?-u)secret(?P<secret>Generator)'\n";
    let set = RuleSet::from_yaml(&[pack], &["secretGenerator"]).unwrap();
    let text = b"secretGenerator:\n";
    let hits = set.prefilter(text);
    assert_eq!(hits.iter().collect::<Vec<_>>(), [(0, 0)]);
    let found = set.find("a.yaml", text, &hits);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].span, 6..15);
}

#[test]
fn aws_secret_key_is_found_behind_the_secret_detector_keyword() {
    // `SecretAccessKey` starts with the detector keyword `Secret`.
    let set = RuleSet::builtin();
    let text = b"SecretAccessKey: VWpJ366r+bym1D8npa+2nA74U0hxsW/PuzTmNFVg\n";
    let found = set.find("cfn.yaml", text, &set.prefilter(text));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule.id, "aws-secret-access-key");
    assert_eq!(found[0].span, 17..57);
}

#[test]
fn one_finding_per_value() {
    let set = RuleSet::builtin();
    // The generic rule also matches `password: ghp_…`: the specific rule wins.
    let text = b"password: ghp_zaUJTXY0zxHSNjbeqeFs720eZmeikV8dDBfj\n";
    let ids: Vec<&str> = set
        .find("values.yaml", text, &set.prefilter(text))
        .iter()
        .map(|m| m.rule.id.as_str())
        .collect();
    assert_eq!(ids, ["github-token"]);
    // The PEM body inside a service-account key is reported once, as the key.
    let rule = set.get("gcp-service-account-key").unwrap();
    let text = &examples(rule)[0];
    let ids: Vec<&str> = set
        .find("sa.json", text.as_bytes(), &set.prefilter(text.as_bytes()))
        .iter()
        .map(|m| m.rule.id.as_str())
        .collect();
    assert_eq!(ids, ["gcp-service-account-key"]);
}

#[test]
fn every_match_in_a_window_is_found() {
    let set = RuleSet::builtin();
    let text = br#"{"auths": {"a.io": {"auth": "cm9ib3QkZGVwbG95Oko4cmliZ2sx"}, "b.io": {"auth": "Y2ktYm90Om1PTzdrTHdRdExaS01EYzQ="}}}"#;
    let found = set.find("config.json", text, &set.prefilter(text));
    assert_eq!(found.len(), 2, "{found:?}");
    // Two keys in one file, and the END lines' hits do not start new searches.
    let key = &examples(set.get("private-key").unwrap())[0];
    let two = format!("{key}\n# next\n{key}");
    let found = set.find("keys.pem", two.as_bytes(), &set.prefilter(two.as_bytes()));
    assert_eq!(found.len(), 2, "{found:?}");
    // Hits on one line each get their matches, however long the line.
    let far = format!(
        "{{\"token\": \"203oTWcmUCTy9G\"{}, \"token\": \"4U9Ijg3uNSwZACBPcOV\"}}",
        ", \"a\": 1".repeat(2000)
    );
    let found = set.find("min.json", far.as_bytes(), &set.prefilter(far.as_bytes()));
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn paths_limit_where_generic_rules_run() {
    let set = RuleSet::builtin();
    let text = b"password: 203oTWcmUCTy9G\n";
    let hits = set.prefilter(text);
    assert!(!set.find("values.yaml", text, &hits).is_empty());
    assert!(!set.find("charts/app/values.yaml", text, &hits).is_empty());
    assert!(set.find("main.go", text, &hits).is_empty());
    let env = b"API_TOKEN=203oTWcmUCTy9G\n";
    let hits = set.prefilter(env);
    assert!(!set.find(".env", env, &hits).is_empty());
    assert!(!set.find(".env.production", env, &hits).is_empty());
    assert!(set.find(".env.example", env, &hits).is_empty());
    assert!(name_matches("*.env", "prod.env") && !name_matches(".env", "x.env"));
}

#[test]
fn from_yaml_rejects_broken_packs() {
    let rule = |extra: &str| {
        format!("rules:\n  - id: demo\n    description: d\n    explanation: e\n{extra}")
    };
    for (pack, why) in [
        (rule("    id2: x\n"), "unknown field"),
        (rule("    pattern: 'x'\n"), "pattern without keywords"),
        (
            rule("    keywords: [abcd]\n    pattern: '(x'\n"),
            "bad regex",
        ),
        (
            rule("    keywords: [abcd]\n    pattern: '(?P<value>x)'\n"),
            "named group is not `secret`",
        ),
        (rule("    severity: fatal\n"), "unknown severity"),
        (rule("    generic: true\n"), "generic without pattern"),
        (
            "rules:\n  - id: Demo_Rule\n    description: d\n    explanation: e\n".into(),
            "id",
        ),
    ] {
        assert!(RuleSet::from_yaml(&[&pack], &[]).is_err(), "{why}");
    }
    let twice = rule("");
    assert!(
        RuleSet::from_yaml(&[&twice, &twice], &[]).is_err(),
        "duplicate id"
    );
    let ok = RuleSet::from_yaml(&[&rule("")], &[]).unwrap();
    assert_eq!(ok.rules()[0].severity, Severity::Error);
    assert_eq!(ok.rules()[0].category, Category::Leak);
}

/// Skipping quiet lines only drops matches inside them; a PEM block running out of a quiet
/// range into the next one is still found.
#[test]
fn find_outside_drops_only_matches_inside_quiet_lines() {
    let set = RuleSet::builtin();
    let pem = &examples(set.get("private-key").unwrap())[0];
    let quiet_doc = format!("kind: SealedSecret\npassword: Zq8r2Lm5Nv9Wt1Xy\n{pem}");
    let text = format!("{quiet_doc}---\npassword: Hx7Kp2Qw9Zt4Vb6N\n");
    let bytes = text.as_bytes();
    let hits = set.prefilter(bytes);
    let quiet_range = 0..quiet_doc.len();
    let quiet = std::slice::from_ref(&quiet_range);
    let inside = |m: &RuleMatch| m.span.end <= quiet_doc.len();
    let all = set.find("a.yaml", bytes, &hits);
    let outside = set.find_outside("a.yaml", bytes, &hits, quiet);
    let spans = |ms: &[RuleMatch]| -> Vec<_> { ms.iter().map(|m| m.span.clone()).collect() };
    let kept: Vec<RuleMatch> = all
        .into_iter()
        .filter(|m| !inside(m) || m.rule.multiline)
        .collect();
    assert_eq!(spans(&outside), spans(&kept));
    assert!(outside.iter().any(|m| m.rule.multiline), "the PEM block");
    assert!(outside.iter().any(|m| !inside(m)), "the second document");
}

/// `pub const NAME: &str = "kebab-id";` (any `pub(…)` too) in the modules that emit findings:
/// (NAME, id, file).
fn rule_constants() -> Vec<(String, String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for dir in ["detect", "check", "graph"] {
        let mut files: Vec<_> = std::fs::read_dir(src.join(dir))
            .expect("readable src")
            .map(|e| e.expect("readable src").path())
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("UTF-8 source");
            for line in text.lines() {
                let line = line.trim();
                let Some(visible) = line.strip_prefix("pub") else {
                    continue;
                };
                let visible = match visible.strip_prefix('(') {
                    Some(restricted) => restricted.split_once(')').map_or("", |(_, r)| r),
                    None => visible,
                };
                let Some(rest) = visible.strip_prefix(" const ") else {
                    continue;
                };
                let Some((name, value)) = rest.split_once(": &str = \"") else {
                    continue;
                };
                let value = value.trim_end_matches("\";");
                if schema::is_kebab_case(value) {
                    let shown = file.strip_prefix(&src).unwrap().display().to_string();
                    found.push((name.to_string(), value.to_string(), shown));
                }
            }
        }
    }
    found
}

/// The pack is the one registry of rule identity: every id the code emits has its rule
/// (category, severity, documentation), and every rule is a pattern or emitted by the code.
#[test]
fn the_code_and_the_pack_know_the_same_rules() {
    let set = RuleSet::builtin();
    let constants = rule_constants();
    assert!(constants.len() >= 20, "found only {constants:?}");
    for (name, id, file) in &constants {
        let rule = set
            .get(id)
            .unwrap_or_else(|| panic!("{file}: {name} = {id:?} is not in rules/*.yaml"));
        assert_eq!(
            rule.category == Category::SealedSecret,
            file.starts_with("check") || file.starts_with("graph"),
            "{id}: the checks' and the graph's rules are sealed-secret, the detectors' leaks"
        );
    }
    for rule in set.rules().iter().filter(|r| r.pattern.is_none()) {
        assert!(
            constants.iter().any(|(_, id, _)| *id == rule.id),
            "{}: no pattern, and no code emits it",
            rule.id
        );
    }
}

/// `fix: true` marks exactly the rules whose constants `scan --fix` (src/fix/apply.rs)
/// acts on.
#[test]
fn fix_marks_the_rules_scan_fix_handles() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/fix/apply.rs");
    let fix = std::fs::read_to_string(path).expect("src/fix/apply.rs");
    let set = RuleSet::builtin();
    let mut fixed = 0;
    for (name, id, _) in rule_constants() {
        let handled = fix
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|word| word == name);
        assert_eq!(set.meta(&id).fix, handled, "{id}: `fix:` in rules/*.yaml");
        fixed += usize::from(handled);
    }
    assert!(fixed >= 5, "scan --fix handles {fixed} rules");
    assert!(set.rules().iter().all(|r| !r.fix || r.pattern.is_none()));
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "not in rules")]
fn an_unknown_id_is_a_bug() {
    RuleSet::builtin().meta("no-such-rule");
}

/// A file with thousands of hits is searched in runs of lines on several threads: the matches
/// are the ones a single thread finds, multi-line ones (PEM blocks) across runs included.
#[test]
fn many_hits_find_the_same_matches_on_one_thread_and_on_several() {
    let set = RuleSet::builtin();
    let mut text = String::new();
    for round in 0..40 {
        for rule in set.rules() {
            for example in examples(rule).iter().chain(negatives(rule).iter()) {
                text.push_str(example);
                text.push_str(if round % 2 == 0 { "\n" } else { "\n\n" });
            }
        }
    }
    let bytes = text.as_bytes();
    let hits = set.prefilter(bytes);
    assert!(
        hits.iter().count() > 4 * 2048,
        "{} hits",
        hits.iter().count()
    );
    let quiet_range = bytes.len() / 3..bytes.len() / 2;
    let quiet = std::slice::from_ref(&quiet_range);
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let found = pool.install(|| set.find_outside("a.yaml", bytes, &hits, quiet));
        found
            .iter()
            .map(|m| (m.rule.id.clone(), m.span.clone()))
            .collect::<Vec<_>>()
    };
    let serial = on(1);
    assert!(serial.len() > 1000, "{} matches", serial.len());
    assert_eq!(on(3), serial);
}

/// What a rule says, for comparing packs field by field (the regex is compiled from `pattern`).
type Fields<'a> = (
    (
        &'a str,
        &'a str,
        &'a str,
        Severity,
        Category,
        &'a [String],
        Option<&'a str>,
    ),
    (
        Option<f64>,
        &'a [String],
        bool,
        bool,
        bool,
        Option<&'a str>,
        &'a [String],
        &'a [String],
    ),
);

fn fields(r: &Rule) -> Fields<'_> {
    (
        (
            &r.id,
            &r.description,
            &r.explanation,
            r.severity,
            r.category,
            &r.keywords,
            r.pattern.as_deref(),
        ),
        (
            r.entropy,
            &r.paths,
            r.multiline,
            r.generic,
            r.fix,
            r.example_file.as_deref(),
            &r.examples,
            &r.negative_examples,
        ),
    )
}

/// build.rs reads `rules/*.yaml` into static data with its own small reader: what it read is
/// what the YAML parser reads, rule by rule and field by field.
#[test]
fn the_static_pack_is_the_yaml_pack() {
    let texts: Vec<&str> = PACK.iter().map(|(_, text)| *text).collect();
    let parsed = schema::parse(&texts).expect("the pack parses");
    let built = builtin::rules();
    assert_eq!(built.len(), parsed.len());
    for (built, parsed) in built.iter().zip(&parsed) {
        assert_eq!(fields(built), fields(parsed), "{}", parsed.id);
    }
}
