//! Which documents need a tree. Parsing is most of a scan's cost, and most of the bytes that
//! reach the parser are documents that no tree-based check reads (CustomResourceDefinitions,
//! RBAC, the custom resources of operators, workloads that name no Secret). A cheap look at a
//! document's top-level keys tells its kind; only the kinds the checks read are parsed, and a
//! document whose keys it cannot read for certain is parsed as before.

use crate::k8s::REFERENCE_KINDS;

/// Kinds whose tree the detector's own checks read: Secrets (in Lists too), whose values are
/// judged, reference kinds, whose findings are quiet, and kustomize's Kustomization, whose
/// generators are read. The graph's kinds are [`crate::graph::may_give_facts`]'s.
const DETECTOR_KINDS: &[&str] = &["Secret", "List", "SecretList", "Kustomization"];

/// The top-level `kind` and `apiVersion` of a document, as written.
#[derive(Default, Debug, PartialEq)]
struct TopLevel<'a> {
    kind: Option<&'a str>,
    api: Option<&'a str>,
}

/// What judging a document takes.
#[derive(Debug, PartialEq)]
pub(crate) enum Need {
    /// Its tree: a tree-based check may apply, or its top-level keys cannot be read for certain.
    Tree,
    /// Only the line rules: no tree-based check applies. (Whether it is a Helm template that
    /// does not parse, and so quiet, is asked only if a line rule matches in it.)
    Lines,
}

/// What judging `doc` (one document of a file not named as a kustomization) takes. Less than
/// its tree only when its top-level keys are read for certain, none is `sops`, and no check
/// reads its kind (or it has none). `at_line_start`: whether the document starts a line (not
/// after `--- ` on the marker's line).
pub(crate) fn need(doc: &str, at_line_start: bool) -> Need {
    let top = match doc.trim_start().as_bytes().first() {
        Some(b'{') => json_top_level(doc),
        _ if at_line_start => block_top_level(doc),
        _ => None,
    };
    if top.is_none_or(|top| needs_tree(&top, doc.as_bytes())) {
        Need::Tree
    } else {
        Need::Lines
    }
}

/// Whether some tree-based check may read a document with these top-level keys. Without a
/// kind, only a kustomization (by its file name, decided before) or `sops:` is read.
fn needs_tree(top: &TopLevel, text: &[u8]) -> bool {
    let Some(kind) = top.kind else {
        return false;
    };
    DETECTOR_KINDS.contains(&kind)
        || REFERENCE_KINDS.contains(&kind)
        || crate::graph::may_give_facts(top.api.unwrap_or_default(), kind, text)
}

/// The top-level keys of a block mapping written from column 0. Its keys are then exactly its
/// lines that start at column 0 with a key; a line at column 0 that is neither such a key, a
/// comment nor a `- ` item of a key's sequence gives up (None).
fn block_top_level(doc: &str) -> Option<TopLevel<'_>> {
    // A lone `\r` breaks lines for YAML; lines here are split on `\n`.
    let bytes = doc.as_bytes();
    if memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
        return None;
    }
    let mut top = TopLevel::default();
    let mut in_mapping = false;
    // After `kind:`/`apiVersion:`, the next content line must not continue the value.
    let mut value_may_continue = false;
    let mut next = 0;
    while next < bytes.len() {
        // Most lines are indented inside a top-level value, blank or comments: nothing to read
        // there, and nothing that changes what is read next.
        if in_mapping && !value_may_continue {
            next = crate::lines::next_line_start(bytes, next, |b| b != b' ', starts_content);
            if next >= bytes.len() {
                break;
            }
        }
        let end = memchr::memchr(b'\n', &bytes[next..]).map_or(bytes.len(), |i| next + i);
        let line = &doc[next..end];
        next = end + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() {
            continue;
        }
        let indented = content.len() < line.len();
        if std::mem::take(&mut value_may_continue) && indented && !content.starts_with('#') {
            return None;
        }
        if content.starts_with('#') || (indented && in_mapping) {
            continue;
        }
        if in_mapping && (line == "-" || line.starts_with("- ")) {
            continue;
        }
        let (key, value) = key_line(line)?;
        in_mapping = true;
        let slot = match key {
            "kind" => &mut top.kind,
            "apiVersion" => &mut top.api,
            "sops" => return None,
            _ => continue,
        };
        if slot.replace(scalar(value)?).is_some() {
            return None;
        }
        value_may_continue = true;
    }
    Some(top)
}

/// Whether a line starting with `b` may hold a top-level key: not indented, blank or a comment.
fn starts_content(b: u8) -> bool {
    !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'#')
}

/// `key: rest` (the key plain or quoted without escapes) → (key, rest).
fn key_line(line: &str) -> Option<(&str, &str)> {
    let (key, after) = match line.as_bytes().first()? {
        b'"' | b'\'' => {
            let (key, after) = quoted(line)?;
            (key, after.trim_start_matches([' ', '\t']))
        }
        c if c.is_ascii_alphanumeric() || *c == b'_' => {
            let end = line
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| matches!(line.as_bytes().get(i + 1), None | Some(b' ' | b'\t')))?;
            (line[..end].trim_end_matches([' ', '\t']), &line[end..])
        }
        _ => return None,
    };
    let rest = after.strip_prefix(':')?;
    (readable(key) && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some((key, rest))
}

/// Whether a key or value reads the same in the text as read and as parsed: the parser's text
/// has a space for each character YAML forbids (see `super::text`).
fn readable(s: &str) -> bool {
    !s.chars().any(super::text::not_yaml)
}

/// A one-line scalar value: plain (letters, digits, `.`, `/`, `-`, `_`) or quoted without
/// escapes, then nothing but a comment.
fn scalar(rest: &str) -> Option<&str> {
    let rest = rest.trim_start_matches([' ', '\t']);
    let (value, after) = match rest.as_bytes().first()? {
        b'"' | b'\'' => quoted(rest)?,
        _ => {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_')))
                .unwrap_or(rest.len());
            rest.split_at(end)
        }
    };
    let tail = after.trim_start_matches([' ', '\t']);
    let ends = after.is_empty()
        || (tail.len() < after.len() && (tail.is_empty() || tail.starts_with('#')));
    (!value.is_empty() && ends && readable(value)).then_some(value)
}

/// `"text"` or `'text'` at the start of `s`, closed on the same line and free of escapes
/// (`\` in double quotes, `''` in single ones) → (text, what follows).
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next()?;
    let end = s[1..].find(quote)? + 1;
    let text = &s[1..end];
    let after = &s[end + 1..];
    (!text.contains('\\') && !after.starts_with(quote)).then_some((text, after))
}

/// The top-level keys of a JSON object (or a YAML flow mapping in JSON's syntax); None for
/// anything else JSON does not write (unquoted keys, comments, single quotes, escapes in a
/// top-level key or in the value of `kind`/`apiVersion`, text after the object).
fn json_top_level(doc: &str) -> Option<TopLevel<'_>> {
    let bytes = doc.as_bytes();
    let mut top = TopLevel::default();
    let (mut depth, mut i, mut closed) = (0usize, 0, false);
    // At depth 1: whether a key comes next, and which key's value does.
    let mut expect_key = false;
    let mut value_of: Option<&str> = None;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i = skip_whitespace(bytes, i);
            continue;
        }
        if closed {
            return None;
        }
        match c {
            b'"' => {
                let end = string_end(bytes, i)?;
                let text = &doc[i + 1..end];
                if depth == 1
                    && (expect_key || value_of.is_some())
                    && (text.contains('\\') || !readable(text))
                {
                    return None;
                }
                if depth == 1 && expect_key {
                    expect_key = false;
                    value_of = match text {
                        "kind" | "apiVersion" => Some(text),
                        "sops" => return None,
                        _ => None,
                    };
                } else if let (1, Some(key)) = (depth, value_of.take()) {
                    let slot = if key == "kind" {
                        &mut top.kind
                    } else {
                        &mut top.api
                    };
                    if slot.replace(text).is_some() {
                        return None;
                    }
                }
                i = end + 1;
                if !matches!(bytes.get(i), None | Some(b',' | b':' | b'}' | b']'))
                    && !bytes[i].is_ascii_whitespace()
                {
                    return None;
                }
                continue;
            }
            b'{' | b'[' => {
                if depth == 1 && (expect_key || value_of.is_some()) {
                    return None;
                }
                depth += 1;
                expect_key = depth == 1 && c == b'{';
                if depth == 1 && c != b'{' {
                    return None;
                }
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                closed = depth == 0;
            }
            b',' => expect_key = depth == 1,
            b':' if depth == 1 && expect_key => return None,
            b':' => {}
            _ => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-')))
                    .map_or(bytes.len(), |n| i + n);
                let literal = end > i
                    && (depth != 1 || (!expect_key && value_of.is_none()))
                    && bytes
                        .get(end)
                        .is_none_or(|b| b.is_ascii_whitespace() || b",:}]".contains(b));
                if !literal {
                    return None;
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    closed.then_some(top)
}

/// The index of the first byte at or after `i` that is not JSON whitespace. Pretty-printed
/// JSON is mostly indentation: it is skipped eight spaces at a time.
fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    loop {
        while let Some(word) = bytes.get(i..i + 8) {
            if u64::from_ne_bytes(word.try_into().expect("8 bytes")) != SPACES {
                break;
            }
            i += 8;
        }
        match bytes.get(i) {
            Some(b) if b.is_ascii_whitespace() => i += 1,
            _ => return i,
        }
    }
}

/// The index of the quote that closes the string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    // Most strings are short keys: a look at their first bytes costs less than a search.
    let near = &bytes[i..bytes.len().min(i + 16)];
    match near.iter().position(|&b| b == b'"' || b == b'\\') {
        Some(n) if near[n] == b'"' => return Some(i + n),
        Some(_) => {}
        None => i += near.len(),
    }
    loop {
        i += memchr::memchr2(b'"', b'\\', &bytes[i..])?;
        if bytes[i] == b'"' {
            return Some(i);
        }
        i += 2;
        if i > bytes.len() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(doc: &str) -> Option<TopLevel<'_>> {
        match doc.trim_start().as_bytes().first() {
            Some(b'{') => json_top_level(doc),
            _ => block_top_level(doc),
        }
    }

    fn known<'a>(kind: &'a str, api: &'a str) -> Option<TopLevel<'a>> {
        Some(TopLevel {
            kind: Some(kind),
            api: Some(api),
        })
    }

    /// The shortcuts (spaces eight at a time, short strings looked at directly) end where a
    /// byte-by-byte walk ends, at every offset and length around their edges.
    #[test]
    fn json_shortcuts_end_where_a_walk_ends() {
        let pieces = [
            "\"", "\\\"", "\\\\", "a", "é", " ", "   ", "        ", "\n", "\t", "\r",
        ];
        for seed in 0..3000u32 {
            let text = crate::lines::pieces_in_turn(&pieces, seed, seed % 40);
            let bytes = text.as_bytes();
            for start in 0..bytes.len() {
                let walked = (start..bytes.len())
                    .find(|&i| !bytes[i].is_ascii_whitespace())
                    .unwrap_or(bytes.len());
                assert_eq!(skip_whitespace(bytes, start), walked, "{text:?} {start}");
                if bytes[start] == b'"' {
                    let (mut i, mut end) = (start + 1, None);
                    while i < bytes.len() {
                        match bytes[i] {
                            b'"' => {
                                end = Some(i);
                                break;
                            }
                            b'\\' => i += 2,
                            _ => i += 1,
                        }
                    }
                    assert_eq!(string_end(bytes, start), end, "{text:?} {start}");
                }
            }
        }
    }

    #[test]
    fn reads_plain_quoted_and_commented_top_level_keys() {
        let doc =
            "# c\napiVersion: v1\nkind: ConfigMap # why\nmetadata:\n  kind: Secret\ndata:\n- a\n";
        assert_eq!(top(doc), known("ConfigMap", "v1"));
        let doc = "\"apiVersion\": 'v1'\n'kind' : \"ConfigMap\"\r\n";
        assert_eq!(top(doc), known("ConfigMap", "v1"));
        let doc = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"kind\": \"Secret\", \"n\": [1, true]}}\n";
        assert_eq!(top(doc), known("ConfigMap", "v1"));
    }

    #[test]
    fn gives_up_on_what_it_cannot_read_for_certain() {
        for doc in [
            "apiVersion: v1\nkind: !!str ConfigMap\n",
            "apiVersion: v1\nkind: &k ConfigMap\n",
            "apiVersion: v1\nkind: Config\n  Map\n",
            "apiVersion: v1\nkind: Config\n\n  Map\n",
            "apiVersion: v1\nkind:\n  ConfigMap\n",
            "apiVersion: v1\nkind: \"Config\\u004dap\"\n",
            "apiVersion: v1\n\"\\x6bind\": Secret\n",
            "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n",
            "apiVersion: v1\nkind: ConfigMap\nsops:\n  version: 3\n",
            "apiVersion: v1\nkind: ConfigMap\r? kind\r: Secret\n",
            "apiVersion: v1\nkind: ConfigMap\n? kind\n: Secret\n",
            "  apiVersion: v1\nkind: ConfigMap\n",
            "- kind: ConfigMap\n",
            "{apiVersion: v1, kind: ConfigMap}",
            "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"sops\": {}}",
            "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"} {\"kind\": \"Secret\"}",
            "{\"apiVersion\": \"v1\", \"k\\u0069nd\": \"Secret\"}",
            "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"a\": x\"y, \"kind\": \"Secret\"}",
            "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\" # c\n}",
        ] {
            assert_eq!(top(doc), None, "{doc:?}");
        }
    }

    #[test]
    fn only_kinds_a_check_reads_get_a_tree() {
        let skips = |doc: &str| need(doc, true) == Need::Lines;
        assert!(skips(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        ));
        assert!(skips("{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}"));
        assert!(skips("apiVersion: example.com/v1\nkind: Widget\n"));
        assert!(skips("kind: ConfigMap\n"));
        assert!(skips("apiVersion: apps/v1\nkind: Deployment\nspec: {}\n"));
        for doc in [
            "apiVersion: v1\nkind: Secret\n",
            "kind: Secret\n",
            "apiVersion: kafka.strimzi.io/v1\nkind: ConfigMap\n",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n",
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  imagePullSecrets: [{name: x}]\n",
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  \"s\\x65cretRef\": {}\n",
        ] {
            assert!(!skips(doc), "{doc:?}");
        }
        assert!(skips("image: {tag: x}\npassword: x\n"));
        assert!(!skips("password: x\nsops: {version: 3}\n"));
        let doc = "x: 1\n--- apiVersion: v1\nkind: ConfigMap\n";
        assert_eq!(need(&doc[9..], false), Need::Tree);
        assert_eq!(need("kind: Secret\na: \"{{ x }}\"\n", true), Need::Tree);
    }

    /// A document of `kind` (none: no `kind:` line) under `api` holding everything any
    /// tree-based check reads.
    fn kitchen_sink(api: &str, kind: Option<&str>) -> String {
        let kind = kind.map(|k| format!("kind: {k}\n")).unwrap_or_default();
        format!(
            "apiVersion: {api}\n{kind}metadata:\n  name: x\n  namespace: ns\n  annotations:\n    secret.reloader.stakater.com/reload: db\n    service.beta.openshift.io/serving-cert-secret-name: db\ndata:\n  password: aGVsbG8=\nstringData:\n  password: hello\nitems:\n- apiVersion: v1\n  kind: Secret\n  stringData: {{password: hello}}\nspec:\n  path: ./x\n  secretName: db\n  destination: {{name: db, namespace: ns}}\n  source: {{path: x}}\n  managedSecret: {{name: db}}\n  template:\n    spec:\n      containers:\n      - name: c\n        env:\n        - name: P\n          valueFrom: {{secretKeyRef: {{name: db, key: p}}}}\n      imagePullSecrets: [{{name: db}}]\nresources: [a.yaml]\nsecretGenerator:\n- name: db\n  literals: [password=hello]\nencryptedData:\n  password: AgBy8hCi\n"
        )
    }

    /// Whether any tree-based check gives anything for `text`.
    fn judged_from_tree(text: &str) -> bool {
        let check = crate::check::CheckContext::default();
        let source = super::super::ManifestText::new(text.as_bytes());
        let file = super::super::DocFile {
            text: &source,
            path: "x.yaml",
            file_name: "x.yaml",
            check: &check,
            kustomization: false,
        };
        let doc = crate::yaml::DocSpan {
            range: 0..text.len(),
            first_line: 1,
        };
        let out = file.scan_tree(&doc);
        !(out.detections.is_empty()
            && out.quiet.is_empty()
            && out.facts.is_empty()
            && out.generator_inputs.is_empty()
            && out.note.is_none())
    }

    /// Documents some tree-based check judges, and documents that skip the tree.
    #[derive(Default)]
    struct Tally {
        judged: usize,
        skipped: usize,
    }

    impl Tally {
        /// Counts `text`, which must get a tree if a tree-based check judges it.
        fn add(&mut self, text: &str) {
            if judged_from_tree(text) {
                self.judged += 1;
                assert_eq!(need(text, true), Need::Tree, "{text}");
            } else if need(text, true) == Need::Lines {
                self.skipped += 1;
            }
        }
    }

    /// Random documents of top-level and nested lines, flow and quoted forms: every one that
    /// parses and that a tree-based check judges gets a tree. (One that does not parse is quiet
    /// or noted either way.)
    #[test]
    fn a_random_document_a_check_judges_gets_a_tree() {
        let pieces = [
            "kind: Secret\n",
            "kind: Widget\n",
            "kind: 'Secret'\n",
            "kind: \"Deployment\"\n",
            "kind: Kustomization\n",
            "kind: List\n",
            "kind: SealedSecret\n",
            "kind: Pod\n",
            "apiVersion: v1\n",
            "apiVersion: kafka.strimzi.io/v1\n",
            "apiVersion: apps/v1\n",
            "apiVersion: argoproj.io/v1alpha1\n",
            "metadata:\n",
            "metadata: {name: x}\n",
            "spec: {\"imagePullS\\x65crets\": [{name: db}]}\n",
            "  name: x\n",
            "  kind: Secret\n",
            "  annotations: {secret.reloader.stakater.com/reload: db}\n",
            "spec:\n",
            "  containers: [{name: c, envFrom: [{secretRef: {name: db}}]}]\n",
            "  imagePullSecrets: [{name: db}]\n",
            "stringData: {password: Zq8r2Lm5Nv9Wt1Xy}\n",
            "data: {password: WnE4cjJMbTVOdjlXdDFYeQ==}\n",
            "items:\n",
            "- {apiVersion: v1, kind: Secret, stringData: {password: Zq8r2Lm5Nv9Wt1Xy}}\n",
            "- kind: Secret\n",
            "sops: {version: 3}\n",
            "secretGenerator: [{name: a, literals: [a=b]}]\n",
            "# kind: Secret\n",
            "\n",
            "  \n",
            "x: |\n",
            "  kind: Secret\n",
            "? kind\n",
            ": Secret\n",
            "\"kind\": Secret\n",
            "kind:\n",
            "  Secret\n",
            "kind: Secret # c\n",
            "kind: &k Secret\n",
            "{\"kind\": \"Secret\", \"stringData\": {\"a\": \"Zq8r2Lm5Nv9Wt1Xy\"}}\n",
            "type: Opaque\n",
            // Characters YAML forbids, which the parser reads as spaces.
            "kind\u{1}: Secret\n",
            "kind\u{80}: Secret\n",
            "\u{1}kind: Secret\n",
            "kind: Secret\u{7f}\n",
            "kind: \"Secret\u{fffe}\"\n",
            "\"kind\u{b}\": Secret\n",
            "apiVersion\u{1f}: kafka.strimzi.io/v1\n",
            "  \u{1}\n",
            "{\"kind\u{c}\": \"Secret\", \"stringData\": {\"a\": \"Zq8r2Lm5Nv9Wt1Xy\"}}\n",
        ];
        let mut next = crate::testing::numbers(7);
        let (mut checked, mut tally) = (0, Tally::default());
        for _ in 0..50_000 {
            let text: String = (0..1 + next(10))
                .map(|_| pieces[next(pieces.len())])
                .collect();
            // As the scan sees it: triage reads the text, the parser the cleaned text.
            let cleaned = super::super::ManifestText::new(text.as_bytes());
            if crate::yaml::check_parses(cleaned.parsed(), 0..text.len()).is_err() {
                continue;
            }
            checked += 1;
            tally.add(&text);
        }
        let Tally { judged, skipped } = tally;
        assert!(
            checked > 2000 && judged > 500 && skipped > 500,
            "{checked} parsed, {judged} judged, {skipped} skipped"
        );
    }

    /// Every document a tree-based check reads gets its tree: of every kind the code names, of
    /// kinds it does not, under every group it names, with and without the word `secret`. A
    /// check that starts reading another kind must say so to [`needs_tree`].
    #[test]
    fn a_document_any_check_reads_gets_a_tree() {
        let apis = [
            "",
            "v1",
            "v2",
            "apps/v1",
            "batch/v1",
            "example.com/v1",
            "argoproj.io/v1alpha1",
            "kustomize.toolkit.fluxcd.io/v1",
            "kustomize.config.k8s.io/v1beta1",
            "bitnami.com/v1alpha1",
            "external-secrets.io/v1",
            "cert-manager.io/v1",
            "secrets.hashicorp.com/v1beta1",
            "secrets.doppler.com/v1alpha1",
            "secrets.infisical.com/v1alpha1",
            "onepassword.com/v1",
            "postgresql.cnpg.io/v1",
            "acid.zalan.do/v1",
            "postgres-operator.crunchydata.com/v1beta1",
            "kafka.strimzi.io/v1beta2",
            "rabbitmq.com/v1beta1",
            "elasticsearch.k8s.elastic.co/v1",
            "kibana.k8s.elastic.co/v1",
            "mongodbcommunity.mongodb.com/v1",
            "k8s.mariadb.com/v1alpha1",
            "minio.min.io/v2",
        ];
        let others = [
            "Secret",
            "SecretList",
            "List",
            "ConfigMap",
            "ConfigMapList",
            "Kustomization",
            "Component",
            "Application",
            "ApplicationSet",
            "Service",
            "Pod",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "Job",
            "CronJob",
            "Certificate",
            "DopplerSecret",
            "InfisicalSecret",
            "Cluster",
            "postgresql",
            "PostgresCluster",
            "KafkaUser",
            "RabbitmqCluster",
            "Elasticsearch",
            "Kibana",
            "MongoDBCommunity",
            "MariaDB",
            "Tenant",
            "HelmRelease",
            "CustomResourceDefinition",
            "ClusterRole",
            "Widget",
        ];
        let kinds: Vec<&str> = REFERENCE_KINDS.iter().chain(&others).copied().collect();
        let mut tally = Tally::default();
        for api in apis {
            for kind in kinds.iter().map(Some).chain([None]) {
                let text = kitchen_sink(api, kind.copied());
                let without_secret = text.replace("secret", "sekret").replace("Secret", "Sekret");
                tally.add(&text);
                tally.add(&without_secret);
            }
        }
        let Tally { judged, skipped } = tally;
        assert!(
            judged > 100 && skipped > 100,
            "{judged} judged, {skipped} skipped"
        );
        for (api, kind) in [
            ("v1", "Secret"),
            ("v1", "List"),
            ("apps/v1", "Deployment"),
            ("v1", "Service"),
            ("bitnami.com/v1alpha1", "SealedSecret"),
            ("secrets.doppler.com/v1alpha1", "DopplerSecret"),
            ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
            ("argoproj.io/v1alpha1", "Application"),
        ] {
            assert!(
                judged_from_tree(&kitchen_sink(api, Some(kind))),
                "{api} {kind}"
            );
        }
    }
}
