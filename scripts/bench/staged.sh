#!/usr/bin/env bash
# Benchmarks `sealant scan --staged` (the pre-commit hook) on a synthetic repository of 100,000
# tracked files with a kustomize/Flux layout, 10 files staged. The graph checks read the index's
# kustomizations, Flux Kustomizations and SealedSecrets, so this is their cost in a hook.
#
#   scripts/bench/staged.sh                 # builds target/release/sealant first
#   SEALANT=/path/to/sealant scripts/bench/staged.sh   # another binary (e.g. an older build)
#   BENCH_STAGED_REPO=DIR scripts/bench/staged.sh      # where the repository goes
#
# Layout (deterministic): 150 apps, each a base (Deployment, Service, ConfigMap, a strict
# SealedSecret) and dev/prod overlays (namespace, a namespace-wide SealedSecret, a patch):
# 450 kustomizations; a Flux Kustomization per app and cluster under clusters/, with
# flux-system (gotk-sync) per cluster; 4,000 non-Kubernetes YAML files (CI, Helm values,
# settings); the rest Go, Python, TypeScript and Markdown sources. Packed, as a clone is.
# Staged: 8 source files, one app's ConfigMap and one app's base SealedSecret.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=${BENCH_STAGED_REPO:-target/bench/staged-repo}
if [ -z "${SEALANT:-}" ]; then
  cargo build --release -q
  SEALANT=$PWD/target/release/sealant
fi
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }

make_repo() {
  rm -rf "$REPO"; mkdir -p "$REPO"
  python3 - "$REPO" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(11)
count = 0
def write(rel, text):
    global count
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    count += 1
def sealed(name, ns, scope=None):
    value = "Ag" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(730))
    ann = ""
    if scope:
        ann = f"  annotations:\n    sealedsecrets.bitnami.com/{scope}: \"true\"\n"
    return (f"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\n{ann}spec:\n  encryptedData:\n    password: {value}\n"
            f"  template:\n    metadata:\n      name: {name}\n      namespace: {ns}\n")
clusters = ["dev", "prod"]
for c in clusters:
    write(f"clusters/{c}/flux-system/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n")
    write(f"clusters/{c}/flux-system/gotk-components.yaml",
          "".join(f"---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ctl-{i}\n  namespace: flux-system\n" for i in range(20)))
    write(f"clusters/{c}/flux-system/gotk-sync.yaml",
          f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/{c}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
for a in range(150):
    app = f"app-{a:03d}"
    base = f"apps/{app}/base"
    write(f"{base}/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n  - sealed-db.yaml\n")
    write(f"{base}/deployment.yaml",
          f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\nspec:\n  template:\n    spec:\n      containers:\n        - name: {app}\n          image: registry.example.com/{app}:1.{a}\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: {{name: db, key: password}}\n          envFrom:\n            - secretRef: {{name: creds}}\n")
    write(f"{base}/service.yaml", f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\nspec:\n  ports:\n    - port: 80\n")
    write(f"{base}/configmap.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}\ndata:\n  LOG_LEVEL: info\n")
    write(f"{base}/sealed-db.yaml", sealed("db", f"{app}-prod", "cluster-wide"))
    for c in clusters:
        ov = f"apps/{app}/overlays/{c}"
        write(f"{ov}/kustomization.yaml",
              f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {app}-{c}\nresources:\n  - ../../base\n  - sealed-creds.yaml\npatches:\n  - path: patch.yaml\n")
        write(f"{ov}/sealed-creds.yaml", sealed("creds", f"{app}-{c}", "namespace-wide"))
        write(f"{ov}/patch.yaml", f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\nspec:\n  replicas: {1 + a % 3}\n")
        write(f"clusters/{c}/apps/{app}.yaml",
              f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {app}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/{app}/overlays/{c}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
# Non-Kubernetes YAML: CI workflows, Helm values, service settings.
for i in range(4000):
    kind = ("ci", "values", "settings")[i % 3]
    write(f"config/{kind}/group-{i // 100:02d}/{kind}-{i}.yaml",
          f"name: {kind}-{i}\nenabled: true\nreplicas: {i % 5}\nimage:\n  repository: registry.example.com/{kind}\n  tag: \"{i}\"\n")
# Sources, to reach 100,000 files.
ext = [".go", ".py", ".ts", ".md"]
i = 0
while count < 100000:
    e = ext[i % 4]
    write(f"src/pkg{i // 1000:03d}/mod{(i // 50) % 20:02d}/file{i}{e}",
          "".join(f"// line {k} of file {i}: value {rng.randint(0, 1 << 30)}\n" for k in range(rng.randint(3, 30))))
    i += 1
print(f"wrote {count} files")
PY
  git -C "$REPO" init -q -b main
  git -C "$REPO" add -A
  git -C "$REPO" -c gc.auto=0 commit -q -m "import"
  git -C "$REPO" gc -q   # packed, as a cloned repository is
}

[ -d "$REPO/.git" ] || make_repo
git -C "$REPO" reset -q --hard
STAGED=($(git -C "$REPO" ls-files 'src/pkg01*/*.go' | awk 'NR <= 8') apps/app-007/base/configmap.yaml apps/app-042/base/sealed-db.yaml)
for f in "${STAGED[@]:0:9}"; do printf '\n# edited\n' >> "$REPO/$f"; done
sed -i 's/name: db$/name: db-v2/' "$REPO/apps/app-042/base/sealed-db.yaml"
git -C "$REPO" add "${STAGED[@]}"
echo "tracked files: $(git -C "$REPO" ls-files | wc -l), staged: $(git -C "$REPO" diff --cached --name-only | wc -l)"
# The summary line (the staged SealedSecret's rename breaks its Deployment's reference).
(cd "$REPO" && "$SEALANT" scan --staged 2>&1 | tail -1) || true
# Warm: the warmup runs fill .sealant_cache/ (kept by `reset --hard`: it is ignored), as a hook's
# earlier commits do. Cold: the cache removed before each run (what --no-cache costs, plus writing it).
(cd "$REPO" && hyperfine -N -i --warmup 3 --runs 30 "$SEALANT scan --staged --format json")
(cd "$REPO" && hyperfine -N -i --warmup 1 --runs 15 --prepare "rm -rf .sealant_cache" "$SEALANT scan --staged --format json")
