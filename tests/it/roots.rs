//! Certs pinned by deployment roots (`certs[].roots`) and `sealant where`, on the two-cluster
//! Flux layout of testdata/multicluster: a base deployed by a production and a staging overlay,
//! each cluster with its own cert (production: the vectors' 4096-bit cert, staging: 2048).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{
    copy_dir, fails, git, ok, path_str, sealant, sealant_in, stdout, testdata, vector,
};

/// A git repository holding a copy of testdata/multicluster.
fn repo() -> tempfile::TempDir {
    repo_of("multicluster")
}

/// A git repository holding a copy of `testdata/NAME`.
fn repo_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata(name), dir.path());
    git(dir.path(), &["init", "-q"]);
    dir
}

/// Both clusters' private keys in one file in `dir`, for `--keys`.
fn both_keys(dir: &Path) -> std::path::PathBuf {
    let keys = dir.join("keys.pem");
    let text = [vector("key2048.pem"), vector("key4096.pem")]
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    std::fs::write(&keys, text).unwrap();
    keys
}

/// (path, rule, message) of every finding of `sealant scan` in `dir` with `args`.
fn scan(dir: &Path, args: &[&str]) -> Vec<(String, String, String)> {
    let out = sealant_in(
        Some(dir),
        &[&["scan", "--format", "json"], args].concat(),
        b"",
    );
    assert!(
        out.status.code().unwrap() <= 1,
        "{}",
        crate::common::stderr(&out)
    );
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_string();
            (text("path"), text("rule"), text("message"))
        })
        .collect()
}

fn with_rule<'a>(
    findings: &'a [(String, String, String)],
    rule: &str,
) -> Vec<&'a (String, String, String)> {
    findings.iter().filter(|f| f.1 == rule).collect()
}

const AUTH: &str = "apps/base/podinfo/sealed-auth.yaml";
const TOKEN: &str = "apps/base/podinfo/sealed-token.yaml";

#[test]
fn a_base_sealed_for_production_is_the_wrong_key_for_staging_only() {
    let dir = repo();
    let found = scan(dir.path(), &[]);
    let wrong = with_rule(&found, "sealed-wrong-key");
    let paths: Vec<&str> = wrong.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(paths, [AUTH, TOKEN], "{found:#?}");
    for (_, _, message) in wrong {
        assert!(
            message.contains("cert `staging` (deployed from clusters/staging)")
                && message.contains("4096 bits, that cert's key 2048 bits"),
            "{message}"
        );
    }
    assert!(
        !found.iter().any(|f| f.0.contains("overlays/staging")),
        "sealed-extra.yaml is sealed for staging with its cert: {found:#?}"
    );
}

#[test]
fn a_moved_secret_is_reported_once_per_cluster_naming_its_cert() {
    let dir = repo();
    let found = scan(dir.path(), &[]);
    let moved: Vec<&str> = with_rule(&found, "sealed-moved")
        .iter()
        .map(|f| f.2.as_str())
        .collect();
    assert_eq!(moved.len(), 2, "{moved:#?}");
    assert!(moved[0].contains(
        "re-seal it for production/prod-podinfo-token with cert `production` (deployed from clusters/production)"
    ), "{}", moved[0]);
    assert!(moved[1].contains(
        "re-seal it for staging/staging-podinfo-token with cert `staging` (deployed from clusters/staging)"
    ), "{}", moved[1]);
}

#[test]
fn with_keys_a_value_only_another_clusters_key_opens_is_undecryptable_there() {
    let dir = repo();
    let keys = both_keys(dir.path());
    let found = scan(dir.path(), &["--keys", path_str(&keys)]);
    let auth: Vec<&str> = with_rule(&found, "sealed-undecryptable")
        .iter()
        .filter(|f| f.0 == AUTH)
        .map(|f| f.2.as_str())
        .collect();
    assert_eq!(auth.len(), 1, "{found:#?}");
    assert!(
        auth[0].contains("only with the key of cert `production`, but cert `staging` (deployed from clusters/staging) deploys it"),
        "{}",
        auth[0]
    );
}

#[test]
fn the_staged_scan_judges_by_roots_as_the_worktree_scan() {
    let dir = repo();
    git(dir.path(), &["add", "-A"]);
    let rules = |found: Vec<(String, String, String)>| {
        let mut r: Vec<(String, String, String)> = found
            .into_iter()
            .filter(|f| f.1.starts_with("sealed-"))
            .collect();
        r.sort();
        r
    };
    let staged = rules(scan(dir.path(), &["--staged"]));
    assert!(!staged.is_empty());
    assert_eq!(staged, rules(scan(dir.path(), &[])));
}

/// A Flux Kustomization in the root applies another one outside it: the cert follows.
#[test]
fn a_root_reaches_through_nested_flux_kustomizations() {
    let dir = repo();
    let production = dir.path().join("clusters/production/podinfo.yaml");
    let text = std::fs::read_to_string(&production).unwrap();
    std::fs::create_dir_all(dir.path().join("infrastructure/production")).unwrap();
    std::fs::write(
        dir.path().join("infrastructure/production/podinfo.yaml"),
        &text,
    )
    .unwrap();
    std::fs::write(
        &production,
        text.replace("./apps/overlays/production", "./infrastructure/production"),
    )
    .unwrap();
    // Staging no longer deploys the base: its overlay's own file stays.
    std::fs::write(
        dir.path().join("apps/overlays/staging/kustomization.yaml"),
        "namespace: staging\nresources: [sealed-extra.yaml]\n",
    )
    .unwrap();
    let found = scan(dir.path(), &[]);
    assert!(
        with_rule(&found, "sealed-wrong-key").is_empty(),
        "{found:#?}"
    );
    let moved = with_rule(&found, "sealed-moved");
    assert_eq!(moved.len(), 1, "{found:#?}");
    assert!(
        moved[0]
            .2
            .contains("with cert `production` (deployed from clusters/production)"),
        "{}",
        moved[0].2
    );
}

/// Certs by `paths:` stay as they were, and apply to a file no root deploys.
#[test]
fn paths_apply_where_no_root_deploys() {
    let dir = repo();
    let config = std::fs::read_to_string(dir.path().join(".sealant.yaml")).unwrap();
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        config.replace(
            "    roots: [clusters/staging]\n",
            "    roots: [clusters/staging]\n    paths: [\"new/**\"]\n",
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("new")).unwrap();
    std::fs::copy(
        dir.path().join(AUTH),
        dir.path().join("new/sealed-auth.yaml"),
    )
    .unwrap();
    let found = scan(dir.path(), &[]);
    let wrong: Vec<&str> = with_rule(&found, "sealed-wrong-key")
        .iter()
        .map(|f| f.0.as_str())
        .collect();
    assert_eq!(wrong, [AUTH, TOKEN, "new/sealed-auth.yaml"]);
    let new = &with_rule(&found, "sealed-wrong-key")[2].2;
    assert!(new.contains("than cert `staging`'s"), "{new}");
}

#[test]
fn a_certs_entry_needs_roots_or_paths_and_roots_stay_inside() {
    let dir = repo();
    let config = std::fs::read_to_string(dir.path().join(".sealant.yaml")).unwrap();
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        config.replace("    roots: [clusters/staging]\n", ""),
    )
    .unwrap();
    let err = fails(sealant_in(Some(dir.path()), &["scan"], b""));
    assert!(
        err.contains("certs entry `staging`")
            && err.contains("names neither `roots:` nor `paths:`"),
        "{err}"
    );
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        config.replace("[clusters/staging]", "[../elsewhere]"),
    )
    .unwrap();
    let err = fails(sealant_in(Some(dir.path()), &["scan"], b""));
    assert!(
        err.contains("root \"../elsewhere\" is outside the configuration file's directory"),
        "{err}"
    );
}

/// The library call `--fix` uses: which certs apply to a path, and through which root.
#[test]
fn certs_for_names_each_clusters_cert_and_root() {
    let dir = repo();
    let mut config = sealant::config::Config::load(None, dir.path()).unwrap();
    config.anchor(dir.path());
    let read = sealant::scan::repository_graph(dir.path(), &[], &config, 1);
    let builds = read.graph().builds();
    let deployments = sealant::graph::Deployments::new(&config, &builds);
    let names = |path: &str| -> Vec<(String, Option<String>)> {
        deployments
            .certs_for(path)
            .into_iter()
            .map(|(c, r)| (c.name.clone(), r.map(str::to_string)))
            .collect()
    };
    let both = names(TOKEN);
    assert_eq!(
        both,
        [
            ("production".into(), Some("clusters/production".into())),
            ("staging".into(), Some("clusters/staging".into()))
        ]
    );
    assert_eq!(
        names("apps/overlays/production/kustomization.yaml"),
        [("production".into(), Some("clusters/production".into()))]
    );
    assert!(names("apps/new/secret.yaml").is_empty());
}

fn where_json(dir: &Path, file: &str) -> Value {
    let out = ok(sealant_in(
        Some(dir),
        &["where", file, "--format", "json"],
        b"",
    ));
    serde_json::from_str(&out).unwrap()
}

/// (namespace, name) of every SealedSecret `kubectl kustomize` builds from `overlay`.
fn kustomize(overlay: &Path) -> Option<Vec<(String, String)>> {
    let out = Command::new("kubectl")
        .args(["kustomize", path_str(overlay)])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "kubectl kustomize: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (_, docs) = sealant::doc::parse_documents(&text, "built").unwrap();
    Some(
        docs.iter()
            .filter(|d| d["kind"] == "SealedSecret")
            .map(|d| {
                let meta = &d["metadata"];
                let ns = meta["namespace"].as_str().unwrap_or_default();
                (ns.to_string(), meta["name"].as_str().unwrap().to_string())
            })
            .collect(),
    )
}

#[test]
fn where_shows_each_cluster_build_and_agrees_with_kubectl_kustomize() {
    let dir = repo();
    let report = where_json(dir.path(), TOKEN);
    let deployments = report["deployments"].as_array().unwrap();
    assert_eq!(deployments.len(), 2, "{report:#}");
    for (d, env, prefix) in [
        (&deployments[0], "production", "prod-"),
        (&deployments[1], "staging", "staging-"),
    ] {
        assert_eq!(d["entry"], format!("clusters/{env}/podinfo.yaml"));
        let chain: Vec<&str> = d["chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["file"].as_str().unwrap())
            .collect();
        let overlay = format!("apps/overlays/{env}/kustomization.yaml");
        let want = [
            format!("clusters/{env}/podinfo.yaml"),
            overlay,
            "apps/base/podinfo/kustomization.yaml".to_string(),
        ];
        assert_eq!(chain, want);
        assert_eq!(d["chain"][0]["path"], format!("apps/overlays/{env}"));
        assert_eq!(d["chain"][1]["namePrefix"], prefix);
        let object = &d["objects"][0];
        let applied = (
            object["appliedNamespace"].as_str().unwrap().to_string(),
            object["appliedName"].as_str().unwrap().to_string(),
        );
        assert_eq!(applied, (env.to_string(), format!("{prefix}podinfo-token")));
        assert_eq!(object["scope"], "strict");
        assert_eq!(object["moved"], true);
        assert_eq!(
            d["certs"][0],
            serde_json::json!({"name": env, "why": "root", "root": format!("clusters/{env}")})
        );
        match kustomize(&dir.path().join(format!("apps/overlays/{env}"))) {
            Some(built) => assert!(
                built.contains(&applied),
                "kubectl builds {built:?}, where says {applied:?}"
            ),
            None => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "kubectl is missing on this machine"
                );
                eprintln!("note: kubectl is not installed; the kustomize cross-check is skipped");
            }
        }
    }
}

#[test]
fn where_in_human_form_names_chain_names_scope_and_cert() {
    let dir = repo();
    let out = ok(sealant_in(Some(dir.path()), &["where", AUTH], b""));
    for line in [
        "  SealedSecret (no namespace)/podinfo-auth (cluster-wide)\n",
        "deployed by 2 builds:\n",
        "  clusters/staging/podinfo.yaml  (Flux Kustomization: path ./apps/overlays/staging, targetNamespace staging)\n",
        "    apps/overlays/staging/kustomization.yaml  (namespace staging, namePrefix staging-)\n",
        "  SealedSecret podinfo-auth → staging/staging-podinfo-auth (cluster-wide)\n",
        "  cert: staging (its root clusters/staging deploys this build)\n",
        "  cert: production (its root clusters/production deploys this build)\n",
    ] {
        assert!(out.contains(line), "{line:?} missing in:\n{out}");
    }
    let ciphertext = std::fs::read_to_string(dir.path().join(AUTH)).unwrap();
    let value = ciphertext.split("password: ").nth(1).unwrap();
    assert!(!out.contains(&value[..40]), "no value in the output");
}

#[test]
fn where_tells_of_a_file_nothing_deploys_and_a_secrets_value_stays_out() {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join("apps/new")).unwrap();
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\nstringData: {password: Zq8r2Lm5Tw9pXk3v}\n";
    std::fs::write(dir.path().join("apps/new/secret.yaml"), secret).unwrap();
    let out = ok(sealant_in(
        Some(dir.path()),
        &["where", "apps/new/secret.yaml"],
        b"",
    ));
    assert!(out.contains("  Secret apps/db (strict)\n"), "{out}");
    assert!(out.contains("no build deploys it"), "{out}");
    assert!(out.contains("cert: none pinned for it"), "{out}");
    assert!(!out.contains("Zq8r2Lm5Tw9pXk3v"), "{out}");
    let json = where_json(dir.path(), "apps/new/secret.yaml");
    assert!(json["deployments"].as_array().unwrap().is_empty());
    assert!(!json.to_string().contains("Zq8r2Lm5Tw9pXk3v"));
}

#[test]
fn where_refuses_a_directory_and_a_missing_file() {
    let dir = repo();
    let err = fails(sealant_in(Some(dir.path()), &["where", "apps"], b""));
    assert!(err.contains("apps is a directory"), "{err}");
    let err = fails(sealant(&["where", "/nonexistent/secret.yaml"], b""));
    assert!(err.contains("does not exist"), "{err}");
}

/// Staging deployed by an Argo CD Application instead of Flux: its file is the root, in the
/// working tree and in `--staged` alike, and `where` shows the Application.
#[test]
fn an_argo_cd_application_is_a_root() {
    let dir = repo();
    std::fs::remove_file(dir.path().join("clusters/staging/podinfo.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join("argocd")).unwrap();
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: podinfo-staging, namespace: argocd}\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/gitops.git\n    path: apps/overlays/staging\n  destination: {server: https://staging.example.com, namespace: staging}\n";
    std::fs::write(dir.path().join("argocd/staging.yaml"), app).unwrap();
    let config = std::fs::read_to_string(dir.path().join(".sealant.yaml")).unwrap();
    std::fs::write(
        dir.path().join(".sealant.yaml"),
        config.replace("[clusters/staging]", "[argocd/staging.yaml]"),
    )
    .unwrap();
    let wrong = |found: &[(String, String, String)]| -> Vec<String> {
        with_rule(found, "sealed-wrong-key")
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f.0,
                    f.2.contains("(deployed from argocd/staging.yaml)")
                )
            })
            .collect()
    };
    let want = [format!("{AUTH} true"), format!("{TOKEN} true")];
    assert_eq!(wrong(&scan(dir.path(), &[])), want);
    git(dir.path(), &["add", "-A"]);
    assert_eq!(wrong(&scan(dir.path(), &["--staged"])), want);
    let report = where_json(dir.path(), AUTH);
    let staging = &report["deployments"][0];
    assert_eq!(staging["entry"], "argocd/staging.yaml", "sorted by entry");
    assert_eq!(staging["chain"][0]["kind"], "ArgoApplication");
    assert_eq!(staging["chain"][0]["destinationNamespace"], "staging");
    assert_eq!(staging["objects"][0]["appliedNamespace"], "staging");
}

/// Both overlays put the base into the same namespace under the same names: each cluster is
/// still judged on its own.
#[test]
fn clusters_that_apply_the_same_names_are_each_judged() {
    let dir = repo();
    for env in ["production", "staging"] {
        std::fs::write(
            dir.path()
                .join(format!("apps/overlays/{env}/kustomization.yaml")),
            "namespace: podinfo\nresources:\n  - ../../base/podinfo\n",
        )
        .unwrap();
    }
    std::fs::remove_file(dir.path().join("apps/overlays/staging/sealed-extra.yaml")).unwrap();
    let flux = dir.path().join("clusters/staging/podinfo.yaml");
    let text = std::fs::read_to_string(&flux).unwrap();
    std::fs::write(&flux, text.replace("  targetNamespace: staging\n", "")).unwrap();
    let keys = both_keys(dir.path());
    let found = scan(dir.path(), &["--keys", path_str(&keys)]);
    let undecryptable: Vec<(&str, bool)> = with_rule(&found, "sealed-undecryptable")
        .iter()
        .map(|f| (f.0.as_str(), f.2.contains("but cert `staging`")))
        .collect();
    assert_eq!(undecryptable, [(AUTH, true), (TOKEN, true)], "{found:#?}");
}

/// With roots, a SealedSecret no root deploys and no `paths:` match is noted, in the working
/// tree and in `--staged` alike.
#[test]
fn a_sealed_secret_no_cert_applies_to_is_noted() {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join("other")).unwrap();
    std::fs::copy(dir.path().join(AUTH), dir.path().join("other/sealed.yaml")).unwrap();
    let note = "note: other/sealed.yaml: no pinned cert applies to this file";
    let out = sealant_in(Some(dir.path()), &["scan"], b"");
    assert!(stdout(&out).contains(note), "{}", stdout(&out));
    git(dir.path(), &["add", "-A"]);
    let out = sealant_in(Some(dir.path()), &["scan", "--staged"], b"");
    assert!(stdout(&out).contains(note), "{}", stdout(&out));
}

/// One Flux file holding two Kustomizations, applied from the root: both builds are deployed
/// from it, so both SealedSecrets (sealed with another cluster's cert) are the wrong key.
#[test]
fn every_kustomization_of_a_file_gets_its_root() {
    let dir = repo_of("roots-multidoc");
    let findings = scan(dir.path(), &[]);
    let wrong: Vec<&str> = with_rule(&findings, "sealed-wrong-key")
        .iter()
        .map(|f| f.0.as_str())
        .collect();
    assert_eq!(
        wrong,
        ["infra/a/sealed.yaml", "infra/b/sealed.yaml"],
        "{findings:?}"
    );
}

/// `where` takes a path as a shell gives it: `..` and `.` in it name the same file.
#[test]
fn where_normalizes_the_path_it_is_given() {
    let dir = repo();
    let plain = where_json(dir.path(), AUTH);
    let roundabout = where_json(
        dir.path(),
        "apps/base/./podinfo/../podinfo/sealed-auth.yaml",
    );
    assert_eq!(roundabout["deployments"], plain["deployments"]);
    assert_eq!(plain["deployments"].as_array().map(Vec::len), Some(2));
}

/// A file one cert reaches through two roots (two Flux entry points of one cluster) is one
/// finding per fingerprint, not one per root.
#[test]
fn one_cert_through_two_roots_reports_each_finding_once() {
    let dir = repo();
    let flux =
        std::fs::read_to_string(dir.path().join("clusters/production/podinfo.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join("clusters/production-eu")).unwrap();
    std::fs::write(dir.path().join("clusters/production-eu/podinfo.yaml"), flux).unwrap();
    let config = std::fs::read_to_string(dir.path().join(".sealant.yaml")).unwrap();
    let config = config.replacen(
        "roots: [clusters/production]",
        "roots: [clusters/production, clusters/production-eu]",
        1,
    );
    assert!(config.contains("production-eu"), "{config}");
    std::fs::write(dir.path().join(".sealant.yaml"), config).unwrap();
    let out = sealant_in(Some(dir.path()), &["scan", "--format", "json"], b"");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut prints: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let all = prints.len();
    assert!(all > 0);
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), all, "{}", stdout(&out));
}

/// A scan of part of the repository (a directory, a file) judges its SealedSecrets against the
/// roots' certs as a scan of all of it does: the roots lie outside the part.
#[test]
fn a_scan_of_part_of_the_repository_judges_by_roots_as_a_whole_scan() {
    let dir = repo();
    let whole = scan(dir.path(), &[]);
    assert!(!with_rule(&whole, "sealed-wrong-key").is_empty());
    assert_eq!(scan(dir.path(), &["apps"]), whole);
    let one: Vec<_> = whole.iter().filter(|f| f.0 == AUTH).cloned().collect();
    assert!(!one.is_empty());
    assert_eq!(scan(dir.path(), &[AUTH]), one);
}

/// `where` names, of two Flux Kustomizations in one file, the one that deploys the file.
#[test]
fn where_names_the_flux_kustomization_of_the_build_among_several_in_a_file() {
    let dir = repo_of("roots-multidoc");
    for (file, dir_of_build) in [
        ("infra/a/sealed.yaml", "infra/a"),
        ("infra/b/sealed.yaml", "infra/b"),
    ] {
        let shown = where_json(dir.path(), file);
        let step = &shown["deployments"][0]["chain"][0];
        assert_eq!(step["kind"], "FluxKustomization", "{shown}");
        assert_eq!(step["path"], dir_of_build, "{shown}");
    }
}

/// Argo CD's `kustomize:` options (namePrefix, namespace) move a SealedSecret like a
/// kustomization's own: it is `sealed-moved`, and `where` shows the names it ends up with.
#[test]
fn argo_cd_kustomize_options_move_a_sealed_secret() {
    let dir = repo_of("argo-kustomize");
    let findings = scan(dir.path(), &[]);
    let moved = with_rule(&findings, "sealed-moved");
    assert_eq!(moved.len(), 1, "{findings:?}");
    assert_eq!(moved[0].0, "apps/x/sealed.yaml");
    let shown = where_json(dir.path(), "apps/x/sealed.yaml");
    assert!(shown.to_string().contains("dev-s"), "{shown}");
}

/// A root that holds no manifest (a typo) is said, not silently left to serve nothing.
#[test]
fn a_root_that_holds_no_manifest_is_noted() {
    let dir = repo();
    let config = std::fs::read_to_string(dir.path().join(".sealant.yaml")).unwrap();
    let typo = config.replacen("roots: [clusters/staging]", "roots: [clusters/stagin]", 1);
    assert_ne!(typo, config);
    std::fs::write(dir.path().join(".sealant.yaml"), typo).unwrap();
    let out = sealant_in(Some(dir.path()), &["scan", "--color", "never"], b"");
    let shown = stdout(&out);
    assert!(
        shown.contains(
            "note: .sealant.yaml: root \"clusters/stagin\" of cert \"staging\" holds no manifest"
        ),
        "{shown}"
    );
    let fine = sealant_in(Some(&testdata("multicluster")), &["scan", "."], b"");
    assert!(
        !stdout(&fine).contains("holds no manifest"),
        "{}",
        stdout(&fine)
    );
}
