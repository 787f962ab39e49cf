//! What one parsed document tells the graph: kustomizations and their secretGenerators, Flux
//! Kustomizations, SealedSecrets, other Secret providers, and workloads' Secret references.

use crate::crypto::Scope;
use crate::yaml::Node;

/// What one document contributes to the graph.
#[derive(Clone, Debug)]
pub enum Fact {
    /// A kustomize Kustomization in `path` (its directory is the base for `resources`).
    Kustomization {
        path: String,
        transform: Transform,
        resources: Vec<String>,
        generators: Vec<Provider>,
        /// Names of the objects its patches may remove or replace parts of (a JSON 6902
        /// `remove`/`replace`, a `$patch: delete`/`replace`, or a patch file not read here).
        patched: Vec<String>,
    },
    /// A Flux Kustomization: builds `dir` (root-relative) into `target_namespace`.
    Flux {
        path: String,
        line: usize,
        dir: String,
        target_namespace: Option<String>,
    },
    /// A source of an Argo CD Application (or an ApplicationSet's template) in this
    /// repository: builds `dir` (root-relative); `namespace`, its destination, only fills in
    /// the namespace of objects that have none.
    Argo {
        path: String,
        dir: String,
        namespace: Option<String>,
        /// `directory.recurse`: a plain directory's subdirectories are part of it too.
        recurse: bool,
        /// `kustomize.{namespace,namePrefix,nameSuffix}`: applied on top of the kustomization
        /// at `dir` (a plain directory is not built with kustomize, so they do nothing there).
        kustomize: Transform,
    },
    /// A SealedSecret as sealed: its own namespace, name and scope, and where its name stands.
    Sealed {
        path: String,
        line: usize,
        column: usize,
        name: String,
        namespace: Option<String>,
        scope: Scope,
        /// The keys of the Secret it makes (encryptedData and template.data).
        keys: Vec<String>,
        /// Well-formed values, kept only when private keys are given, to decrypt them with the
        /// label of the namespace and name a deployment applies.
        values: Vec<SealedValue>,
    },
    /// A Secret, or something that makes one (ExternalSecret).
    Provider { path: String, provider: Provider },
    /// A Deployment, Pod, CronJob…: the Secrets and keys it needs.
    Workload {
        path: String,
        kind: String,
        name: String,
        namespace: Option<String>,
        refs: Vec<SecretRef>,
    },
}

impl Fact {
    /// Whether it is part of the graph's shape, what builds are made of: a kustomization, a
    /// Flux Kustomization or an Argo CD source.
    pub fn is_shape(&self) -> bool {
        matches!(
            self,
            Fact::Kustomization { .. } | Fact::Flux { .. } | Fact::Argo { .. }
        )
    }
}

/// A sealed value that passed the shape checks.
#[derive(Clone, Debug)]
pub struct SealedValue {
    pub key: String,
    pub line: usize,
    pub column: usize,
    pub ciphertext: Vec<u8>,
}

/// What a kustomization does to the names of what it includes.
#[derive(Clone, Debug, Default)]
pub struct Transform {
    /// The file that sets it, for messages.
    pub file: String,
    pub namespace: Option<String>,
    pub prefix: String,
    pub suffix: String,
}

/// Something in a build that makes a Secret other than a SealedSecret.
#[derive(Clone, Debug)]
pub struct Provider {
    /// "Secret", "secretGenerator", "ExternalSecret", "Certificate"…, for messages.
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    /// The Secret's keys, where the manifest says them.
    pub keys: Option<Vec<String>>,
    /// kustomize rewrites references to Secrets and generated Secrets it builds, so a
    /// reference matches the name as written; an ExternalSecret's target name is never
    /// rewritten.
    pub refs_follow_renames: bool,
    /// The name the Secret gets whatever kustomize does (an ExternalSecret's target.name).
    pub fixed_name: bool,
    /// An operator's resource: it makes Secrets named after `name` (`name`, `name-…`,
    /// `….name.…`), which the manifest does not list.
    pub names_derived: bool,
}

/// A workload's reference to a Secret (and maybe one key of it).
#[derive(Clone, Debug)]
pub struct SecretRef {
    pub secret: String,
    pub key: Option<String>,
    /// Where it is written (`secretKeyRef`, `imagePullSecrets`…), for messages.
    pub via: &'static str,
    pub line: usize,
    pub column: usize,
}

/// Kinds whose pod spec sits at these paths.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
];

/// Reloader restarts the workload when these Secrets change; they must exist.
pub(super) const RELOADER_ANNOTATION: &str = "secret.reloader.stakater.com/reload";

/// Facts of one parsed document (`path` is root-relative).
pub fn facts_of(
    root: &Node,
    path: &str,
    file_name: &str,
    line_col: &impl Fn(usize) -> (usize, usize),
    out: &mut Vec<Fact>,
) {
    let kind = root.str_at(&["kind"]);
    let api = root.str_at(&["apiVersion"]).unwrap_or_default();
    let is_kustomization = match kind {
        Some("Kustomization") => api.starts_with("kustomize.config.k8s.io"),
        Some("Component") | None => crate::k8s::is_kustomization_file(file_name),
        _ => false,
    };
    let fact = match kind {
        Some("Kustomization") if api.starts_with("kustomize.toolkit.fluxcd.io") => {
            flux(root, path, line_col)
        }
        Some("Application" | "ApplicationSet") if api.starts_with("argoproj.io/") => {
            out.extend(argo(root, path));
            None
        }
        _ if is_kustomization => Some(kustomization(root, path)),
        Some("SealedSecret") => sealed(root, path, line_col),
        Some("Secret") if api == "v1" => Some(secret(root, path)),
        Some("ExternalSecret") => external_secret(root, path),
        Some(kind) => maker(root, path, api, kind).or_else(|| workload(root, path, kind, line_col)),
        None => None,
    };
    if let Some(fact) = fact {
        // Most documents give one fact, and a first push reserves room for four: a file of
        // 50k Secrets held 768 bytes of facts for each instead of 192.
        if out.is_empty() {
            out.reserve_exact(1);
        }
        out.push(fact);
    }
}

/// Whether [`facts_of`] may give a fact for a document with this top-level `kind` and
/// `apiVersion` (as written; `""` when absent) and this text, in a file not named as a
/// kustomization; false only where it surely gives none. Workloads and Services give facts
/// only through keys and annotations that say `secret` (`secretKeyRef`, `imagePullSecrets`,
/// Reloader's and the serving-cert annotation), which their text must then hold, unless an
/// escape in a quoted key spells it.
pub fn may_give_facts(api: &str, kind: &str, text: &[u8]) -> bool {
    let says_secret = || memchr::memmem::find(text, b"ecret").is_some() || text.contains(&b'\\');
    match kind {
        "Kustomization" | "Application" | "ApplicationSet" | "SealedSecret" | "Secret"
        | "ExternalSecret" => true,
        _ if made_by(api, kind).is_some() => true,
        "Service" => says_secret(),
        _ => WORKLOADS.iter().any(|(k, _)| *k == kind) && says_secret(),
    }
}

fn flux(root: &Node, path: &str, line_col: &impl Fn(usize) -> (usize, usize)) -> Option<Fact> {
    let dir = root.str_at(&["spec", "path"])?;
    let (line, _) = line_col(root.at(&["spec", "path"])?.span.start);
    Some(Fact::Flux {
        path: path.to_string(),
        line,
        dir: super::normalize(dir.trim_start_matches("./")),
        target_namespace: root
            .str_at(&["spec", "targetNamespace"])
            .map(str::to_string),
    })
}

/// One fact per source with a fixed `path` (a templated one, `{{…}}`, names no directory
/// here; a chart source has none).
fn argo(root: &Node, path: &str) -> Vec<Fact> {
    let spec = match root.str_at(&["kind"]) {
        Some("ApplicationSet") => root.at(&["spec", "template", "spec"]),
        _ => root.get("spec"),
    };
    let Some(spec) = spec else {
        return Vec::new();
    };
    let namespace = spec.str_at(&["destination", "namespace"]);
    let sources = spec.get("source").into_iter().chain(
        spec.get("sources")
            .map(Node::items)
            .unwrap_or_default()
            .iter(),
    );
    // A templated destination (`ns-{{env}}`) is not known here, but the directory still is.
    let namespace = namespace.filter(|n| !n.contains("{{"));
    let fixed = |v: Option<&str>| v.filter(|v| !v.contains("{{")).map(str::to_string);
    sources
        .filter_map(|source| Some((source.str_at(&["path"])?, source)))
        .filter(|(dir, _)| !dir.contains("{{"))
        .map(|(dir, source)| Fact::Argo {
            path: path.to_string(),
            dir: super::normalize(dir.trim_start_matches("./")),
            namespace: namespace.map(str::to_string),
            recurse: source.str_at(&["directory", "recurse"]) == Some("true"),
            kustomize: Transform {
                file: path.to_string(),
                namespace: fixed(source.str_at(&["kustomize", "namespace"])),
                prefix: fixed(source.str_at(&["kustomize", "namePrefix"])).unwrap_or_default(),
                suffix: fixed(source.str_at(&["kustomize", "nameSuffix"])).unwrap_or_default(),
            },
        })
        .collect()
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_string)
        .collect()
}

fn kustomization(root: &Node, path: &str) -> Fact {
    let mut resources = strings(root.get("resources"));
    resources.extend(strings(root.get("bases")));
    resources.extend(strings(root.get("components")));
    let generators = root
        .get("secretGenerator")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(generator)
        .collect();
    Fact::Kustomization {
        path: path.to_string(),
        transform: Transform {
            file: path.to_string(),
            namespace: root.str_at(&["namespace"]).map(str::to_string),
            prefix: root.str_at(&["namePrefix"]).unwrap_or_default().to_string(),
            suffix: root.str_at(&["nameSuffix"]).unwrap_or_default().to_string(),
        },
        resources,
        generators,
        patched: patched(root),
    }
}

/// The target names of a kustomization's patches that may remove or replace what they patch.
/// A patch given by `path` is not read here, so it may. An inline strategic-merge patch
/// names its target in its own `metadata.name`.
fn patched(root: &Node) -> Vec<String> {
    let removes = |text: &str| {
        ["remove", "replace", "$patch"]
            .iter()
            .any(|word| text.contains(word))
    };
    let mut names = Vec::new();
    let patches = ["patches", "patchesJson6902"]
        .iter()
        .flat_map(|field| root.get(field).map(Node::items).unwrap_or_default());
    for p in patches {
        let inline = p.str_at(&["patch"]);
        if p.get("path").is_none() && !inline.is_some_and(removes) {
            continue;
        }
        match p.str_at(&["target", "name"]) {
            Some(name) => names.push(name.to_string()),
            None => names.extend(inline.and_then(patch_target)),
        }
    }
    let merges = root.get("patchesStrategicMerge").map(Node::items);
    for text in merges.unwrap_or_default().iter().filter_map(Node::as_str) {
        if removes(text) {
            names.extend(patch_target(text));
        }
    }
    names
}

/// The `metadata.name` of an inline strategic-merge patch.
fn patch_target(text: &str) -> Option<String> {
    let root = crate::yaml::parse_node(text, 0..text.len()).ok()??;
    root.str_at(&["metadata", "name"]).map(str::to_string)
}

/// A secretGenerator's Secret; its keys are known unless it reads env files.
fn generator(node: &Node) -> Option<Provider> {
    let name = node.str_at(&["name"])?;
    let mut keys = Vec::new();
    for literal in strings(node.get("literals")) {
        keys.extend(literal.split_once('=').map(|(k, _)| k.trim().to_string()));
    }
    for file in strings(node.get("files")) {
        let key = match file.split_once('=') {
            Some((key, _)) => key.trim(),
            None => crate::paths::file_name(&file),
        };
        keys.push(key.to_string());
    }
    let reads_env = node.get("envs").is_some() || node.get("env").is_some();
    Some(Provider {
        kind: "secretGenerator",
        name: name.to_string(),
        namespace: node.str_at(&["namespace"]).map(str::to_string),
        keys: (!reads_env).then_some(keys),
        refs_follow_renames: true,
        fixed_name: false,
        names_derived: false,
    })
}

fn map_keys<'a>(node: Option<&'a Node<'a>>) -> impl Iterator<Item = String> + 'a {
    node.into_iter()
        .flat_map(Node::entries)
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
}

fn sealed(root: &Node, path: &str, line_col: &impl Fn(usize) -> (usize, usize)) -> Option<Fact> {
    let name_node = root.at(&["metadata", "name"])?;
    let namespace_node = root.at(&["metadata", "namespace"]);
    if [Some(name_node), namespace_node]
        .into_iter()
        .flatten()
        .any(crate::k8s::is_templated)
    {
        return None; // a chart's template: Helm decides where it goes, not a kustomization
    }
    let (line, column) = line_col(name_node.span.start);
    let annotations = root.at(&["metadata", "annotations"]);
    let mut keys: Vec<String> = map_keys(root.at(&["spec", "encryptedData"])).collect();
    keys.extend(map_keys(root.at(&["spec", "template", "data"])));
    Some(Fact::Sealed {
        path: path.to_string(),
        line,
        column,
        name: name_node.as_str()?.to_string(),
        namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
        scope: Scope::from_annotations(|k| annotations?.get(k)?.as_str()),
        keys,
        values: Vec::new(),
    })
}

fn secret(root: &Node, path: &str) -> Fact {
    let mut keys: Vec<String> = map_keys(root.get("data")).collect();
    keys.extend(map_keys(root.get("stringData")));
    Fact::Provider {
        path: path.to_string(),
        provider: Provider {
            kind: "Secret",
            name: root
                .str_at(&["metadata", "name"])
                .unwrap_or_default()
                .to_string(),
            namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
            keys: Some(keys),
            refs_follow_renames: true,
            fixed_name: false,
            names_derived: false,
        },
    }
}

fn external_secret(root: &Node, path: &str) -> Option<Fact> {
    let target = root.str_at(&["spec", "target", "name"]);
    let name = target.or(root.str_at(&["metadata", "name"]))?;
    Some(Fact::Provider {
        path: path.to_string(),
        provider: Provider {
            kind: "ExternalSecret",
            name: name.to_string(),
            namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
            keys: None,
            refs_follow_renames: false,
            fixed_name: target.is_some(),
            names_derived: false,
        },
    })
}

/// Resources other than Secrets that make one, and where the Secret's name stands.
enum Made {
    /// In this field, exactly.
    At(&'static [&'static str]),
    /// Derived from the resource's own name by its operator.
    Derived,
}

/// (API group, kind or `*`, where the Secret's name is): cert-manager, Vault Secrets Operator,
/// Doppler, Infisical, 1Password, and operators that name their Secrets after their resource
/// (CloudNativePG, Zalando and Crunchy Postgres, Strimzi, RabbitMQ, ECK, MongoDB, MariaDB,
/// MinIO).
const MAKERS: &[(&str, &str, Made)] = &[
    (
        "cert-manager.io",
        "Certificate",
        Made::At(&["spec", "secretName"]),
    ),
    (
        "secrets.hashicorp.com",
        "*",
        Made::At(&["spec", "destination", "name"]),
    ),
    (
        "secrets.doppler.com",
        "DopplerSecret",
        Made::At(&["spec", "managedSecret", "name"]),
    ),
    (
        "secrets.infisical.com",
        "InfisicalSecret",
        Made::At(&["spec", "managedSecretReference", "secretName"]),
    ),
    ("onepassword.com", "OnePasswordItem", Made::Derived),
    ("postgresql.cnpg.io", "Cluster", Made::Derived),
    ("acid.zalan.do", "postgresql", Made::Derived),
    (
        "postgres-operator.crunchydata.com",
        "PostgresCluster",
        Made::Derived,
    ),
    ("kafka.strimzi.io", "*", Made::Derived),
    ("rabbitmq.com", "RabbitmqCluster", Made::Derived),
    ("elasticsearch.k8s.elastic.co", "*", Made::Derived),
    ("kibana.k8s.elastic.co", "*", Made::Derived),
    ("mongodbcommunity.mongodb.com", "*", Made::Derived),
    ("k8s.mariadb.com", "*", Made::Derived),
    ("minio.min.io", "Tenant", Made::Derived),
];

/// OpenShift's service CA writes a serving certificate into the Secret these name.
const SERVING_CERT_ANNOTATIONS: &[&str] = &[
    "service.beta.openshift.io/serving-cert-secret-name",
    "service.alpha.openshift.io/serving-cert-secret-name",
];

/// The entry of [`MAKERS`] for a resource of this API version and kind.
fn made_by(api: &str, kind: &str) -> Option<&'static (&'static str, &'static str, Made)> {
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    MAKERS
        .iter()
        .find(|(g, k, _)| *g == group && (*k == "*" || *k == kind))
}

/// A resource that makes a Secret: one of [`MAKERS`], or a Service with OpenShift's
/// serving-cert annotation. Its Secret keeps its name whatever kustomize does.
fn maker(root: &Node, path: &str, api: &str, kind: &str) -> Option<Fact> {
    let (name, derived, what) = if kind == "Service" {
        let annotations = root.at(&["metadata", "annotations"])?;
        let name = SERVING_CERT_ANNOTATIONS
            .iter()
            .find_map(|a| annotations.str_at(&[a]))?;
        (name, false, "Service (serving-cert annotation)")
    } else {
        let (_, what, made) = made_by(api, kind)?;
        let what = if *what == "*" {
            "operator resource"
        } else {
            what
        };
        match made {
            Made::At(field) => (root.str_at(field)?, false, what),
            Made::Derived => (root.str_at(&["metadata", "name"])?, true, what),
        }
    };
    Some(Fact::Provider {
        path: path.to_string(),
        provider: Provider {
            kind: what,
            name: name.to_string(),
            namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
            keys: None,
            refs_follow_renames: false,
            fixed_name: true,
            names_derived: derived,
        },
    })
}

fn workload(
    root: &Node,
    path: &str,
    kind: &str,
    line_col: &impl Fn(usize) -> (usize, usize),
) -> Option<Fact> {
    let (kind, spec_path) = WORKLOADS.iter().find(|(k, _)| *k == kind)?;
    let mut refs = Vec::new();
    let mut push = |node: &Node, secret: &str, key: Option<&str>, via| {
        let (line, column) = line_col(node.span.start);
        refs.push(SecretRef {
            secret: secret.to_string(),
            key: key.map(str::to_string),
            via,
            line,
            column,
        });
    };
    if let Some(reload) = root.at(&["metadata", "annotations", RELOADER_ANNOTATION]) {
        for name in reload.as_str().unwrap_or_default().split(',') {
            if !name.trim().is_empty() {
                push(reload, name.trim(), None, "the Reloader annotation");
            }
        }
    }
    if let Some(spec) = root.at(spec_path) {
        pod_refs(spec, &mut push);
    }
    if refs.is_empty() {
        return None;
    }
    Some(Fact::Workload {
        path: path.to_string(),
        kind: kind.to_string(),
        name: root
            .str_at(&["metadata", "name"])
            .unwrap_or_default()
            .to_string(),
        namespace: root.str_at(&["metadata", "namespace"]).map(str::to_string),
        refs,
    })
}

fn is_optional(node: &Node) -> bool {
    node.str_at(&["optional"]) == Some("true")
}

/// Every non-optional Secret reference in a pod spec.
fn pod_refs(spec: &Node, push: &mut impl FnMut(&Node, &str, Option<&str>, &'static str)) {
    let containers = ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .flat_map(|field| spec.get(field).map(Node::items).unwrap_or_default());
    for container in containers {
        for env in container.get("env").map(Node::items).unwrap_or_default() {
            let Some(r) = env.at(&["valueFrom", "secretKeyRef"]) else {
                continue;
            };
            if let (Some(name), false) = (r.get("name"), is_optional(r)) {
                let key = r.get("key");
                let at = key.unwrap_or(name);
                if let Some(secret) = name.as_str() {
                    push(at, secret, key.and_then(Node::as_str), "secretKeyRef");
                }
            }
        }
        for from in container
            .get("envFrom")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(r) = from.get("secretRef").filter(|r| !is_optional(r)) {
                if let Some(name) = r.get("name") {
                    push(name, name.as_str().unwrap_or_default(), None, "secretRef");
                }
            }
        }
    }
    for volume in spec.get("volumes").map(Node::items).unwrap_or_default() {
        if let Some(secret) = volume.get("secret").filter(|s| !is_optional(s)) {
            if let Some(name) = secret.get("secretName") {
                item_refs(secret, name, "volumes[].secret", push);
            }
        }
        let sources = volume.at(&["projected", "sources"]);
        for source in sources.map(Node::items).unwrap_or_default() {
            if let Some(secret) = source.get("secret").filter(|s| !is_optional(s)) {
                if let Some(name) = secret.get("name") {
                    item_refs(secret, name, "projected secret", push);
                }
            }
        }
    }
    for pull in spec
        .get("imagePullSecrets")
        .map(Node::items)
        .unwrap_or_default()
    {
        if let Some(name) = pull.get("name") {
            push(
                name,
                name.as_str().unwrap_or_default(),
                None,
                "imagePullSecrets",
            );
        }
    }
}

/// A volume's Secret, and each key its `items` select.
fn item_refs(
    secret: &Node,
    name: &Node,
    via: &'static str,
    push: &mut impl FnMut(&Node, &str, Option<&str>, &'static str),
) {
    let Some(secret_name) = name.as_str() else {
        return;
    };
    push(name, secret_name, None, via);
    for item in secret.get("items").map(Node::items).unwrap_or_default() {
        if let Some(key) = item.get("key") {
            push(key, secret_name, key.as_str(), via);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str, file: &str) -> Vec<Fact> {
        let root = crate::yaml::parse_node(text, 0..text.len())
            .unwrap()
            .unwrap();
        let mut out = Vec::new();
        facts_of(&root, file, file, &|_| (1, 1), &mut out);
        out
    }

    #[test]
    fn a_document_with_one_fact_holds_room_for_one() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n";
        assert_eq!(facts(text, "s.yaml").capacity(), 1);
    }

    #[test]
    fn workloads_list_their_non_optional_references() {
        let text = r#"
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  annotations: {secret.reloader.stakater.com/reload: "a, b"}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          imagePullSecrets: [{name: regcred}]
          containers:
            - name: c
              env:
                - name: P
                  valueFrom: {secretKeyRef: {name: db, key: password}}
                - name: Q
                  valueFrom: {secretKeyRef: {name: maybe, key: x, optional: true}}
              envFrom: [{secretRef: {name: env}}]
          volumes:
            - name: v
              secret: {secretName: tls, items: [{key: tls.crt, path: c}]}
"#;
        let [Fact::Workload { kind, refs, .. }]: [Fact; 1] =
            facts(text, "cron.yaml").try_into().unwrap()
        else {
            panic!("not a workload");
        };
        assert_eq!(kind, "CronJob");
        let got: Vec<(String, Option<String>)> =
            refs.into_iter().map(|r| (r.secret, r.key)).collect();
        let want = [
            ("a", None),
            ("b", None),
            ("db", Some("password")),
            ("env", None),
            ("tls", None),
            ("tls", Some("tls.crt")),
            ("regcred", None),
        ];
        let want: Vec<(String, Option<String>)> = want
            .iter()
            .map(|(s, k)| (s.to_string(), k.map(str::to_string)))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn argo_cd_sources_with_a_fixed_path_are_build_entries() {
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  sources:\n    - {path: ./apps/a, directory: {recurse: true}}\n    - {chart: podinfo, repoURL: https://charts.example.com}\n    - {path: '{{path}}'}\n  destination: {namespace: prod}\n";
        let got: Vec<(String, Option<String>, bool)> = facts(app, "argocd/app.yaml")
            .into_iter()
            .map(|f| match f {
                Fact::Argo {
                    dir,
                    namespace,
                    recurse,
                    ..
                } => (dir, namespace, recurse),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            [("apps/a".to_string(), Some("prod".to_string()), true)]
        );
        let set = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  template:\n    spec:\n      source: {path: apps/b}\n";
        assert!(
            matches!(&facts(set, "set.yaml")[..], [Fact::Argo { dir, namespace: None, recurse: false, .. }] if dir == "apps/b")
        );
        // A templated destination is unknown here, but the source still deploys its directory.
        let templated = set.replace(
            "source: {path: apps/b}",
            "source: {path: apps/b}\n      destination: {namespace: 'ns-{{env}}'}",
        );
        assert!(
            matches!(&facts(&templated, "set.yaml")[..], [Fact::Argo { dir, namespace: None, .. }] if dir == "apps/b")
        );
    }

    #[test]
    fn argo_cd_kustomize_options_are_the_sources_transform() {
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source: {path: apps/x, kustomize: {namePrefix: dev-, nameSuffix: -1, namespace: dev}}\n";
        let [Fact::Argo { kustomize, .. }] = &facts(app, "argocd/app.yaml")[..] else {
            panic!("one Argo fact");
        };
        assert_eq!(
            (
                kustomize.namespace.as_deref(),
                kustomize.prefix.as_str(),
                kustomize.suffix.as_str()
            ),
            (Some("dev"), "dev-", "-1")
        );
    }

    #[test]
    fn generators_know_their_keys_unless_they_read_env_files() {
        let text = "secretGenerator:\n- name: a\n  literals: [user=x, pass=y]\n  files: [tls.crt, k=dir/f.txt]\n- name: b\n  envs: [.env]\n";
        let [Fact::Kustomization { generators, .. }]: [Fact; 1] =
            facts(text, "kustomization.yaml").try_into().unwrap()
        else {
            panic!("not a kustomization");
        };
        assert_eq!(
            generators[0].keys.as_deref().unwrap(),
            ["user", "pass", "tls.crt", "k"]
        );
        assert!(generators[1].keys.is_none());
    }
}
