#!/usr/bin/env python3
"""Generates a large, deterministic GitOps + source tree for benchmarks, with planted secrets.

  gen_tree.py OUT [--apps N] [--source-mb MB] [--small]

Writes OUT/ and OUT.planted.json: every planted secret (path, line, form, value) and every file
that must not be reported (SealedSecrets, SOPS, Helm templates, ExternalSecrets).
"""

import argparse
import base64
import json
import os
import random
import shutil

VERSION = 4
WORDS = ("alpha beta gamma delta request response handler config value index buffer stream client server "
         "cache token_count retry timeout deadline context logger metrics router session user account").split()


class Tree:
    def __init__(self, root, seed):
        self.root = root
        self.rng = random.Random(seed)
        self.planted = []
        self.quiet = []
        self.files = 0
        self.bytes = 0

    def write(self, rel, text, mode="w"):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = text.encode() if isinstance(text, str) else text
        with open(path, "wb") as f:
            f.write(data)
        self.files += 1
        self.bytes += len(data)

    def marker(self, n):
        return f"PLANTED-{n}-{self.rng.getrandbits(48):012x}"

    def plant(self, rel, text, form, value):
        """Writes `text` (which contains `value` on exactly one line) and records where."""
        needle = value if value in text else base64.b64encode(value.encode()).decode()
        line = text[: text.index(needle)].count("\n") + 1
        self.planted.append({"path": rel, "line": line, "form": form, "value": value})
        self.write(rel, text)

    def token(self, n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
        return "".join(self.rng.choice(alphabet) for _ in range(n))


def ciphertext(t):
    """Shaped like a value sealed to a 4096-bit key: u16 512, the RSA part, AES-GCM and tag."""
    body = bytes(t.rng.getrandbits(8) for _ in range(512 + 16 + t.rng.randint(4, 120)))
    return base64.b64encode(b"\x02\x00" + body).decode()


def app(t, i):
    name = f"app-{i:04d}"
    base = f"apps/{name}/base"
    t.write(f"{base}/kustomization.yaml", f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n  - sealedsecret.yaml\n")
    env = "\n".join(f"            - name: {w.upper()}_{k}\n              value: \"{t.rng.randint(1, 9999)}\"" for k, w in enumerate(t.rng.sample(WORDS, 6)))
    t.write(f"{base}/deployment.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: {t.rng.randint(1, 5)}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.{i % 40}.{i % 7}
          env:
{env}
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {{name: {name}-db, key: password}}
          ports: [{{containerPort: 8080}}]
""")
    t.write(f"{base}/service.yaml", f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n")
    t.write(f"{base}/configmap.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"{','.join(t.rng.sample(WORDS, 4))}\"\n")
    sealed = f"{base}/sealedsecret.yaml"
    t.quiet.append(sealed)
    t.write(sealed, f"""apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: {name}-db
  namespace: {name}
spec:
  encryptedData:
    password: {ciphertext(t)}
    username: {ciphertext(t)}
  template:
    metadata:
      name: {name}-db
      namespace: {name}
""")
    for env_name in ("dev", "prod"):
        overlay = f"apps/{name}/overlays/{env_name}"
        t.write(f"{overlay}/kustomization.yaml", f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {name}-{env_name}\nnamePrefix: {env_name}-\nresources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n")
        t.write(f"{overlay}/replicas.yaml", f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {t.rng.randint(1, 9)}\n")
    t.write(f"clusters/{'prod' if i % 2 else 'dev'}/{name}.yaml", f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/{name}/overlays/{'prod' if i % 2 else 'dev'}\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n")


def quiet_files(t, i):
    sops = f"secrets/sops/s{i:04d}.yaml"
    t.quiet.append(sops)
    t.write(sops, f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\n  namespace: ops\nstringData:\n  password: ENC[AES256_GCM,data:{t.token(24)}=,iv:{t.token(16)}=,tag:{t.token(22)}==,type:str]\nsops:\n  age:\n    - recipient: age1{t.token(58).lower()}\n  lastmodified: \"2026-01-01T00:00:00Z\"\n  mac: ENC[AES256_GCM,data:{t.token(40)},type:str]\n  version: 3.9.0\n")
    helm = f"charts/chart-{i:04d}/templates/secret.yaml"
    t.quiet.append(helm)
    t.write(helm, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ include \"chart.fullname\" . }}\n{{- with .Values.labels }}\n  labels: {{ toYaml . | nindent 4 }}\n{{- end }}\ndata:\n  password: {{ .Values.password | b64enc | quote }}\nstringData:\n  token: \"{{ .Values.token }}\"\n")
    t.write(f"charts/chart-{i:04d}/values.yaml", "password: \"\"\ntoken: \"\"\nreplicas: 2\n")
    ext = f"secrets/external/e{i:04d}.yaml"
    t.quiet.append(ext)
    t.write(ext, f"apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: e{i}\nspec:\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  target: {{name: e{i}}}\n  data:\n    - secretKey: password\n      remoteRef: {{key: secret/e{i}, property: password}}\n")


def source_file(t, i, size):
    ext = t.rng.choice([".go", ".py", ".rs", ".ts", ".md"])
    lines = []
    total = 0
    while total < size:
        w = t.rng.sample(WORDS, 5)
        line = f"    let {w[0]}_{w[1]} = {w[2]}.{w[3]}({w[4]}, {t.rng.randint(0, 1 << 20)}); // {w[1]} {w[0]}\n"
        lines.append(line)
        total += len(line)
    t.write(f"src/mod{i // 500:03d}/file{i:05d}{ext}", "".join(lines))


def plants(t):
    n = 0
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    def nxt():
        nonlocal n
        n += 1
        return t.marker(n)
    for k in range(8):
        v = nxt(); t.plant(f"apps/app-{k:04d}/base/secret-data.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak{k}\n  namespace: app\ntype: Opaque\ndata:\n  password: {b64(v)}\n", "secret-data", v)
        v = nxt(); t.plant(f"apps/app-{k:04d}/base/secret-string.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak{k}s\n  namespace: app\nstringData:\n  token: {v}\n", "secret-stringData", v)
    v = nxt(); t.plant("legacy/secret.json", f'{{\n  "apiVersion": "v1",\n  "kind": "Secret",\n  "metadata": {{"name": "j", "namespace": "x"}},\n  "data": {{"key": "{b64(v)}"}}\n}}\n', "secret-json", v)
    v = nxt(); t.plant("legacy/list.yaml", f"apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {{name: l, namespace: x}}\n    stringData:\n      pw: {v}\n", "secret-list", v)
    v = nxt(); t.plant("legacy/multi.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata: {{a: b}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: m, namespace: x}}\nstringData:\n  pw: {v}\n", "secret-multidoc", v)
    v = nxt(); t.plant("legacy/flow.yaml", f'{{apiVersion: v1, kind: Secret, metadata: {{name: f, namespace: x}}, stringData: {{"pw": "{v}"}}}}\n', "secret-flow", v)
    v = nxt(); t.plant("legacy/crlf.yaml", f"apiVersion: v1\r\nkind: Secret\r\nmetadata:\r\n  name: r\r\n  namespace: x\r\nstringData:\r\n  pw: {v}\r\n", "secret-crlf", v)
    v = nxt(); t.plant("apps/app-0010/base/kustomization-gen/kustomization.yaml", f"secretGenerator:\n  - name: gen\n    literals:\n      - PASSWORD={v}\n    envs:\n      - app.env\n", "kustomize-literal", v)
    v = nxt(); t.plant("apps/app-0010/base/kustomization-gen/app.env", f"API_TOKEN={v}\n", "kustomize-env", v)
    v = "-----BEGIN DSA PRIVATE KEY-----\n" + "\n".join(t.token(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(6)) + "\n-----END DSA PRIVATE KEY-----"
    body = v.split("\n")[1]
    t.plant("src/keys/id_dsa", v + "\n", "private-key", body)
    v = "AKIA" + t.token(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"); t.plant("src/mod000/aws.go", f"package aws\n\nconst accessKey = \"{v}\"\n", "aws-access-key", v)
    v = "ghp_" + t.token(36); t.plant("src/mod001/ci.py", f"# CI\nGITHUB = \"{v}\"\n", "github-token", v)
    v = "xoxb-" + t.token(11, "0123456789") + "-" + t.token(12, "0123456789") + "-" + t.token(24); t.plant("src/mod002/notify.ts", f"const slack = '{v}';\n", "slack-token", v)
    v = t.token(14); t.plant("deploy/db.env", f"DATABASE_URL=postgres://app:{v}@db.internal:5432/app\n", "database-url", v)


def generate(out, apps, source_mb, small):
    if os.path.exists(out):
        shutil.rmtree(out)
    t = Tree(out, seed=42)
    t.write(".gitignore", "build/\n*.log\n")
    t.write("build/ignored.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: ignored}\nstringData: {pw: not-scanned-ignored}\n")
    plants(t)
    if small:
        # The 13-file tree: one plant of each Kubernetes form, a private key and a database URL.
        keep = {p["path"] for p in t.planted if p["path"].startswith(("apps/app-0000/", "apps/app-0010/", "legacy/", "src/keys/", "deploy/"))}
        for p in [p for p in t.planted if p["path"] not in keep]:
            os.remove(os.path.join(out, p["path"]))
            t.files -= 1
        t.planted = [p for p in t.planted if p["path"] in keep]
        return t
    for i in range(apps):
        app(t, i)
    for i in range(apps // 5):
        quiet_files(t, i)
    for i in range(20):
        t.write(f"assets/blob{i:02d}.bin", bytes(t.rng.getrandbits(8) for _ in range(4096)) + b"\0" * (1 << 20))
    budget = source_mb * 1024 * 1024 - t.bytes
    count = 0
    while budget > 0:
        size = t.rng.randint(2_000, 22_000)
        source_file(t, count, size)
        budget -= size
        count += 1
    return t


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--apps", type=int, default=4000)
    parser.add_argument("--source-mb", type=int, default=520)
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    t = generate(args.out, args.apps, args.source_mb, args.small)
    manifest = {"version": VERSION, "files": t.files, "bytes": t.bytes, "planted": t.planted, "quiet": t.quiet}
    with open(args.out.rstrip("/") + ".planted.json", "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{args.out}: {t.files} files, {t.bytes / 1e6:.0f} MB, {len(t.planted)} planted, {len(t.quiet)} quiet")


if __name__ == "__main__":
    main()
