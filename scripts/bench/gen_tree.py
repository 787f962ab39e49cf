#!/usr/bin/env python3
"""Generates a large, deterministic GitOps + source tree for benchmarks, with planted secrets.

  gen_tree.py OUT [--small | --sealed N] [--apps N] [--total-mb MB] [--seed S] [--force]

Writes OUT/ and, beside it, OUT.planted.json (the manifest: every planted secret with its path,
line, the line span of the object that holds it, form and value; and the files on which any
finding is a false positive: SealedSecrets, SOPS files, Helm charts, ExternalSecrets) and
OUT.stamp. A tree whose stamp matches this generator's version and arguments is kept as it is.

The default tree has ~90,000 files and ~560 MB; --small writes the 13-file tree; --sealed N a
kustomize tree of N strict SealedSecrets in 100 apps whose two overlays both move them (2N
`sealed-moved` findings, no plant: the findings are right, and its cost grows with N). Python 3.11
standard library only; the same arguments give byte-identical trees.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import sys

VERSION = 7  # bump whenever the output changes, so that stale trees are regenerated

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B64 = ALNUM + "+/"
WORDS = ("account admin audit batch billing buffer cache catalog checkout client cluster config context "
         "counter cursor deadline event export gateway handler health index inventory invoice ledger "
         "limit listener logger metrics notify order payment pipeline policy profile queue quota "
         "record registry report request response retry router scheduler search session shard "
         "snapshot stream tenant timeout token_count tracker upload user validator worker").split()


def b64(s):
    return base64.b64encode(s.encode()).decode()


class Tree:
    """Writes files under `root` and keeps the manifest: plants and quiet files."""

    def __init__(self, root, seed):
        self.root = root
        self.rng = random.Random(seed)
        self.planted = []
        self.quiet = {"sealedsecret": [], "sops": [], "helm": [], "externalsecret": []}
        self.files = 0
        self.bytes = 0
        self.made_dirs = set()
        self.n = 0

    def write(self, rel, data):
        path = os.path.join(self.root, rel)
        d = os.path.dirname(path)
        if d not in self.made_dirs:
            os.makedirs(d, exist_ok=True)
            self.made_dirs.add(d)
        if isinstance(data, str):
            data = data.encode()
        with open(path, "wb") as f:
            f.write(data)
        self.files += 1
        self.bytes += len(data)

    def write_quiet(self, kind, rel, text):
        self.quiet[kind].append(rel)
        self.write(rel, text)

    def marker(self):
        self.n += 1
        return f"PLANTED-{self.n}-{self.rng.getrandbits(48):012x}"

    def plant(self, rel, text, form, value, obj=None, write=True):
        """Records a planted `value` (or its base64) in `text`; `obj`, a substring of `text`, is
        the object that holds it (a Secret, a key block): a finding on any of its lines counts."""
        needle = value if value in text else b64(value)
        assert text.count(needle) == 1, (rel, needle)
        start = text.index(needle)
        line = text[:start].count("\n") + 1
        if obj is None:
            span = [line, line]
        else:
            assert text.count(obj) == 1 and needle in obj, (rel, form)
            first = text[: text.index(obj)].count("\n") + 1
            span = [first, first + obj.rstrip("\r\n").count("\n")]
        kind = "k8s" if form.startswith("k8s-") else "text"
        self.planted.append({"path": rel, "line": line, "span": span, "form": form, "kind": kind, "value": value})
        if write:
            self.write(rel, text)

    def token(self, n, alphabet=ALNUM):
        return "".join(self.rng.choices(alphabet, k=n))

    def words(self, k):
        return self.rng.sample(WORDS, k)


# --- Kubernetes and GitOps manifests -------------------------------------------------------------

def sealed_value(t):
    """Shaped like a value kubeseal seals to its default 4096-bit key: u16be(512), the RSA-OAEP
    session key, then AES-GCM of the value with its 16-byte tag. Base64 starts with "Ag"."""
    value_len = t.rng.randint(8, 48)
    return base64.b64encode(b"\x02\x00" + t.rng.randbytes(512 + value_len + 16)).decode()


def sealed_secret(t, name, namespace, scope, keys):
    ann = {"cluster": 'sealedsecrets.bitnami.com/cluster-wide: "true"',
           "namespace": 'sealedsecrets.bitnami.com/namespace-wide: "true"'}.get(scope)
    meta_ann = f"  annotations:\n    {ann}\n" if ann else ""
    tmpl_ann = f"      annotations:\n        {ann}\n" if ann else ""
    data = "".join(f"    {k}: {sealed_value(t)}\n" for k in keys)
    return (f"---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n"
            f"  namespace: {namespace}\n{meta_ann}spec:\n  encryptedData:\n{data}  template:\n"
            f"    metadata:\n      name: {name}\n      namespace: {namespace}\n{tmpl_ann}    type: Opaque\n")


def sops_secret(t, name, namespace):
    def enc(n, typ="str"):
        return (f"ENC[AES256_GCM,data:{base64.b64encode(t.rng.randbytes(n)).decode()},"
                f"iv:{base64.b64encode(t.rng.randbytes(32)).decode()},"
                f"tag:{base64.b64encode(t.rng.randbytes(16)).decode()},type:{typ}]")
    keys = t.rng.sample(["password", "username", "api-key", "dsn", "token", "client-secret"], 3)
    values = "".join(f"    {k}: {enc(t.rng.randint(8, 40))}\n" for k in keys)
    recipient = "age1" + t.token(58, "qpzry9x8gf2tvdw0s3jn54khce6mua7l")
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n    name: {name}\n    namespace: {namespace}\n"
            f"type: Opaque\nstringData:\n{values}sops:\n    kms: []\n    gcp_kms: []\n    azure_kv: []\n"
            f"    hc_vault: []\n    age:\n        - recipient: {recipient}\n          enc: |\n"
            f"            -----BEGIN AGE ENCRYPTED FILE-----\n"
            + "".join(f"            {t.token(64, B64)}\n" for _ in range(4))
            + f"            -----END AGE ENCRYPTED FILE-----\n"
            f"    lastmodified: \"2026-0{t.rng.randint(1, 9)}-1{t.rng.randint(0, 9)}T10:2{t.rng.randint(0, 9)}:00Z\"\n"
            f"    mac: {enc(32)}\n    pgp: []\n    encrypted_regex: ^(data|stringData)$\n    version: 3.9.1\n")


def external_secret(name, namespace):
    return (f"apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: {name}\n"
            f"  namespace: {namespace}\nspec:\n  refreshInterval: 1h\n  secretStoreRef:\n    name: vault-backend\n"
            f"    kind: ClusterSecretStore\n  target:\n    name: {name}\n    creationPolicy: Owner\n  data:\n"
            f"    - secretKey: password\n      remoteRef:\n        key: apps/{name}\n        property: password\n"
            f"    - secretKey: username\n      remoteRef:\n        key: apps/{name}\n        property: username\n")


def deployment(t, name, i):
    env = "".join(f"            - name: {w.upper()}_{k}\n              value: \"{t.rng.randint(1, 9999)}\"\n"
                  for k, w in enumerate(t.words(t.rng.randint(3, 8))))
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: platform
spec:
  replicas: {t.rng.randint(1, 5)}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: {name}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
        - name: {name}
          image: registry.example.com/platform/{name}:1.{i % 40}.{i % 7}
          imagePullPolicy: IfNotPresent
          args: ["--listen=:8080", "--metrics=:9090", "--log-format=json"]
          env:
{env}            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {name}-db
                  key: password
          envFrom:
            - configMapRef:
                name: {name}
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
          livenessProbe:
            httpGet: {{path: /livez, port: http}}
            initialDelaySeconds: 15
          resources:
            requests: {{cpu: {t.rng.choice([50, 100, 250])}m, memory: {t.rng.choice([64, 128, 256])}Mi}}
            limits: {{memory: {t.rng.choice([256, 512, 1024])}Mi}}
"""


def app(t, i, extra):
    """A kustomize app: base + dev/prod overlays (namespace: and namePrefix:), each overlay with
    its own sealed, SOPS or external credentials in a scope that survives the overlay's move."""
    name = f"app-{i:04d}"
    base = f"apps/{name}/base"
    group = i % 3
    resources = ["deployment.yaml", "service.yaml", "configmap.yaml"] + extra.get(base, [])
    t.write(f"{base}/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"labels:\n  - pairs:\n      team: {t.rng.choice(WORDS)}\n    includeSelectors: false\nresources:\n"
            + "".join(f"  - {r}\n" for r in resources))
    t.write(f"{base}/deployment.yaml", deployment(t, name, i))
    t.write(f"{base}/service.yaml", f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels:\n"
            f"    app.kubernetes.io/name: {name}\nspec:\n  type: ClusterIP\n  selector:\n"
            f"    app.kubernetes.io/name: {name}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n")
    flags = ",".join(t.words(4))
    t.write(f"{base}/configmap.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n"
            f"  LOG_LEVEL: info\n  FEATURE_FLAGS: \"{flags}\"\n  UPSTREAM_URL: http://{t.rng.choice(WORDS)}.internal:8080\n"
            f"  CACHE_TTL: \"{t.rng.randint(10, 600)}s\"\n")
    for env in ("dev", "prod"):
        overlay = f"apps/{name}/overlays/{env}"
        ns = f"{name}-{env}"
        res = ["../../base"]
        if group == 0:  # namespace-wide: kustomize's namePrefix renames it, which that scope allows
            t.write_quiet("sealedsecret", f"{overlay}/sealedsecret.yaml",
                          sealed_secret(t, f"{name}-db", ns, "namespace", ["password", "username"]))
            res.append("sealedsecret.yaml")
        elif group == 1:  # SOPS, decrypted by Flux
            t.write_quiet("sops", f"{overlay}/secret.enc.yaml", sops_secret(t, f"{name}-db", ns))
            res.append("secret.enc.yaml")
        else:
            t.write_quiet("externalsecret", f"{overlay}/externalsecret.yaml", external_secret(f"{name}-db", ns))
            res.append("externalsecret.yaml")
        res += extra.get(overlay, [])
        t.write(f"{overlay}/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                f"namespace: {ns}\nnamePrefix: {env}-\nresources:\n" + "".join(f"  - {r}\n" for r in res)
                + "patches:\n  - path: replicas.yaml\nimages:\n"
                f"  - name: registry.example.com/platform/{name}\n    newTag: 1.{i % 40}.{t.rng.randint(0, 30)}\n")
        t.write(f"{overlay}/replicas.yaml", f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
                f"spec:\n  replicas: {t.rng.randint(1, 9) if env == 'prod' else 1}\n")
        t.write(f"clusters/{env}/apps/{name}.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                f"metadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  retryInterval: 2m\n"
                f"  path: ./apps/{name}/overlays/{env}\n  prune: true\n  wait: true\n  sourceRef:\n"
                f"    kind: GitRepository\n    name: flux-system\n"
                + ("  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n" if group == 1 else ""))


def cluster_files(t):
    for env in ("dev", "prod"):
        t.write(f"clusters/{env}/flux-system/gotk-sync.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\n"
                "kind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n"
                "  interval: 1m0s\n  ref:\n    branch: main\n  secretRef:\n    name: flux-system\n"
                "  url: ssh://git@git.example.com/platform/gitops\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\n"
                "kind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n"
                f"  interval: 10m0s\n  path: ./clusters/{env}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
                "    name: flux-system\n")
        # Cluster-wide SealedSecrets for shared infrastructure, not moved by any kustomization.
        for k in range(20):
            t.write_quiet("sealedsecret", f"clusters/{env}/infra/sealed-{k:02d}.yaml",
                          sealed_secret(t, f"shared-{k:02d}", "infra", "cluster" if k % 2 else "strict",
                                        t.rng.sample(["tls.crt", "tls.key", "password", "token", "ca.crt"], 2)))


HELPERS = """{{/* Expand the name of the chart. */}}
{{- define "chart.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "chart.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "chart.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "chart.labels" -}}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "chart.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
"""


def chart(t, i):
    c = f"charts/chart-{i:04d}"
    w = t.rng.choice(WORDS)
    files = {
        "Chart.yaml": f"apiVersion: v2\nname: {w}-{i}\ndescription: A Helm chart for the {w} service\ntype: application\n"
                      f"version: 0.{i % 30}.{t.rng.randint(0, 9)}\nappVersion: \"1.{i % 20}.0\"\n",
        "values.yaml": f"replicaCount: {t.rng.randint(1, 4)}\nimage:\n  repository: registry.example.com/{w}\n  tag: \"\"\n"
                       f"  pullPolicy: IfNotPresent\nservice:\n  type: ClusterIP\n  port: 80\n"
                       f"auth:\n  existingSecret: \"\"\n  password: \"\"\n  token: \"\"\nresources: {{}}\nnodeSelector: {{}}\n",
        "templates/_helpers.tpl": HELPERS,
        "templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
  labels:
    {{- include "chart.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ include "chart.name" . }}
  template:
    metadata:
      annotations:
        checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
      labels:
        app.kubernetes.io/name: {{ include "chart.name" . }}
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          env:
            - name: PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.auth.existingSecret | default (include "chart.fullname" .) }}
                  key: password
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
""",
        "templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"chart.fullname\" . }}\n"
                                  "spec:\n  type: {{ .Values.service.type }}\n  ports:\n    - port: {{ .Values.service.port }}\n"
                                  "      targetPort: http\n",
        "templates/secret.yaml": """{{- if not .Values.auth.existingSecret }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "chart.fullname" . }}
  labels:
    {{- include "chart.labels" . | nindent 4 }}
type: Opaque
data:
  password: {{ .Values.auth.password | default (randAlphaNum 24) | b64enc | quote }}
stringData:
  token: {{ required "auth.token is required" .Values.auth.token | quote }}
  config.yaml: |
    endpoint: {{ .Values.endpoint | default "http://localhost:8080" }}
    password: {{ .Values.auth.password }}
{{- end }}
""",
    }
    for rel, text in files.items():
        t.write_quiet("helm", f"{c}/{rel}", text)
    t.write_quiet("helm", f"clusters/prod/releases/chart-{i:04d}.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            f"metadata:\n  name: {w}-{i}\n  namespace: {w}\nspec:\n  interval: 15m\n  chart:\n    spec:\n"
            f"      chart: ./{c}\n      sourceRef:\n        kind: GitRepository\n        name: flux-system\n"
            f"        namespace: flux-system\n  values:\n    replicaCount: {t.rng.randint(1, 5)}\n"
            f"    auth:\n      existingSecret: {w}-{i}-auth\n")


def standalone_quiet(t, i):
    t.write_quiet("sops", f"secrets/sops/{t.rng.choice(WORDS)}-{i:04d}.enc.yaml", sops_secret(t, f"s{i}", "ops"))
    t.write_quiet("externalsecret", f"secrets/external/e{i:04d}.yaml", external_secret(f"e{i}", "ops"))


# --- Source, docs, binaries ----------------------------------------------------------------------

def ident(t):
    a, b = t.words(2)
    return f"{a}_{b}".replace("token_count", "tokens")


def camel(s):
    p = s.split("_")
    return p[0] + "".join(x.title() for x in p[1:])


def go_chunk(t):
    f, a, b = camel(ident(t)).title(), camel(ident(t)), camel(ident(t))
    body = "".join(f"\tif {a}.{camel(ident(t)).title()} > {t.rng.randint(1, 500)} {{\n"
                   f"\t\treturn nil, fmt.Errorf(\"{t.rng.choice(WORDS)} %s: %w\", {b}, err{k})\n\t}}\n"
                   for k in range(t.rng.randint(1, 6)))
    return (f"// {f} {' '.join(t.words(8))}.\nfunc (s *Service) {f}(ctx context.Context, {a} *{f}Request, {b} string)"
            f" (*{f}Response, error) {{\n\tctx, cancel := context.WithTimeout(ctx, {t.rng.randint(1, 30)}*time.Second)\n"
            f"\tdefer cancel()\n\tresp, err0 := s.client.Do(ctx, \"{t.rng.choice(WORDS)}/{t.rng.choice(WORDS)}\", {a})\n"
            f"\tif err0 != nil {{\n\t\ts.log.Error(\"request failed\", \"err\", err0, \"attempt\", {t.rng.randint(1, 9)})\n"
            f"\t\treturn nil, err0\n\t}}\n{body}\treturn &{f}Response{{Items: resp.Items, Total: len(resp.Items)}}, nil\n}}\n\n")


def py_chunk(t):
    f, a, b = ident(t), ident(t), ident(t)
    body = "".join(f"        if {a}.get(\"{t.rng.choice(WORDS)}\") > {t.rng.randint(1, 500)}:\n"
                   f"            logger.warning(\"%s over limit: %d\", {b!r}, {t.rng.randint(1, 99)})\n"
                   f"            {b} = self._{ident(t)}({a}, retries={t.rng.randint(1, 5)})\n"
                   for _ in range(t.rng.randint(1, 6)))
    return (f"    def {f}(self, {a}: dict, {b}: str | None = None) -> list[dict]:\n"
            f"        \"\"\"{' '.join(t.words(9)).capitalize()}.\"\"\"\n"
            f"        result = []\n{body}        for item in self.session.query({a}, timeout={t.rng.randint(1, 60)}):\n"
            f"            result.append({{\"id\": item.id, \"{t.rng.choice(WORDS)}\": item.value}})\n        return result\n\n")


def rs_chunk(t):
    f, a, b = ident(t), ident(t), ident(t)
    body = "".join(f"        if {a}.{ident(t)}.len() > {t.rng.randint(1, 500)} {{\n"
                   f"            return Err(Error::Limit(\"{t.rng.choice(WORDS)}\", {t.rng.randint(1, 99)}));\n        }}\n"
                   for _ in range(t.rng.randint(1, 6)))
    return (f"    /// {' '.join(t.words(9)).capitalize()}.\n    pub fn {f}(&mut self, {a}: &Request, {b}: Option<&str>)"
            f" -> Result<Vec<Record>, Error> {{\n{body}        let mut out = Vec::with_capacity({t.rng.randint(4, 64)});\n"
            f"        for row in self.store.scan({a}.key(), {b}.unwrap_or(\"{t.rng.choice(WORDS)}\"))? {{\n"
            f"            out.push(Record::from_row(&row)?);\n        }}\n        Ok(out)\n    }}\n\n")


def js_chunk(t):
    f, a, b = camel(ident(t)), camel(ident(t)), camel(ident(t))
    body = "".join(f"  if ({a}.{camel(ident(t))} > {t.rng.randint(1, 500)}) {{\n"
                   f"    logger.warn(`{t.rng.choice(WORDS)} over limit: ${{{b}}}`);\n    return null;\n  }}\n"
                   for _ in range(t.rng.randint(1, 6)))
    return (f"/**\n * {' '.join(t.words(9)).capitalize()}.\n */\nexport async function {f}({a}: Options, {b}: string): "
            f"Promise<Result | null> {{\n{body}  const res = await fetch(`${{baseUrl}}/{t.rng.choice(WORDS)}/${{{b}}}`, {{\n"
            f"    method: '{t.rng.choice(['GET', 'POST', 'PUT'])}',\n    headers: {{ 'Content-Type': 'application/json' }},\n"
            f"  }});\n  return (await res.json()) as Result;\n}}\n\n")


LANGS = {
    "go": (go_chunk, ".go", lambda t, pkg: f"// Package {pkg} {' '.join(t.words(6))}.\npackage {pkg}\n\nimport (\n"
           "\t\"context\"\n\t\"fmt\"\n\t\"time\"\n\n\t\"example.com/platform/internal/log\"\n)\n\n"
           f"type Service struct {{\n\tclient *Client\n\tlog    *log.Logger\n}}\n\n"),
    "py": (py_chunk, ".py", lambda t, pkg: f"\"\"\"{pkg}: {' '.join(t.words(6))}.\"\"\"\n\nimport logging\n"
           "from dataclasses import dataclass\n\nlogger = logging.getLogger(__name__)\n\n\n"
           f"class {camel(pkg).title()}Service:\n    def __init__(self, session):\n        self.session = session\n\n"),
    "rs": (rs_chunk, ".rs", lambda t, pkg: f"//! {pkg}: {' '.join(t.words(6))}.\n\nuse crate::error::Error;\n"
           "use crate::store::{Record, Request, Store};\n\npub struct Service {\n    store: Store,\n}\n\nimpl Service {\n"),
    "ts": (js_chunk, ".ts", lambda t, pkg: f"// {pkg}: {' '.join(t.words(6))}.\nimport {{ logger }} from '../logger';\n"
           "import type { Options, Result } from '../types';\n\nconst baseUrl = process.env.API_URL ?? 'http://localhost:8080';\n\n"),
}
DIRS = {"go": "services/svc-{m:03d}/internal/{w}", "py": "workers/wrk-{m:03d}/{w}",
        "rs": "crates/crate-{m:03d}/src/{w}", "ts": "web/packages/pkg-{m:03d}/src/{w}"}


def source_files(t, budget):
    """Fills `budget` bytes with source files of realistic size (1-40 KB, mostly 4-16 KB), built
    from a pool of generated functions so that generation stays fast."""
    pools = {lang: [gen(t) for _ in range(1500)] for lang, (gen, _, _) in LANGS.items()}
    count = 0
    while budget > 0:
        lang = t.rng.choice(("go", "go", "py", "rs", "ts"))
        _, ext, header = LANGS[lang]
        size = min(40_000, max(1_000, int(t.rng.lognormvariate(9.4, 0.6))))
        m = count // 300  # a module of ~300 files in 8 packages
        w = WORDS[(m * 8 + t.rng.randrange(8)) % len(WORDS)]
        parts = [header(t, w)]
        total = len(parts[0])
        while total < size:
            c = t.rng.choice(pools[lang])
            parts.append(c)
            total += len(c)
        if lang == "rs":
            parts.append("}\n")
        text = "".join(parts)
        t.write(DIRS[lang].format(m=m, w=w) + f"/{w}_{count:05d}{ext}", text)
        budget -= len(text)
        count += 1
        if count % 400 == 0:  # lock files: long hex/base64 hashes, as real trees have
            deps = "".join(f"example.com/{t.rng.choice(WORDS)}/{t.rng.choice(WORDS)} v1.{t.rng.randint(0, 20)}.{t.rng.randint(0, 9)} "
                           f"h1:{base64.b64encode(t.rng.randbytes(32)).decode()}\n" for _ in range(120))
            t.write(f"services/svc-{m:03d}/go.sum", deps)
            budget -= len(deps)


def docs(t, n):
    for i in range(n):
        w = t.words(3)
        para = lambda: " ".join(t.words(12)).capitalize() + ". " + " ".join(t.words(10)) + ".\n\n"
        t.write(f"docs/{w[0]}/{w[1]}-{i:03d}.md",
                f"# {w[0].title()} {w[1]} runbook\n\n" + para() + "## Rotating credentials\n\n"
                "Credentials live in SealedSecrets: re-seal with the cluster's certificate and commit the result.\n\n"
                "```sh\nkubeseal --format yaml --cert pub-cert.pem < secret.yaml > sealedsecret.yaml\n"
                f"kubectl -n {w[2]} rollout restart deployment/{w[2]}\n```\n\n"
                + "".join(para() for _ in range(t.rng.randint(2, 12)))
                + "## Manifest\n\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                f"  name: {w[2]}\ndata:\n  LOG_LEVEL: debug\n```\n")


def binaries(t):
    for i in range(12):
        t.write(f"assets/img/banner-{i:02d}.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + t.rng.randbytes(600_000) + b"\0" * 4096)
    for i in range(6):
        t.write(f"tools/bin/helper-{i}", b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + t.rng.randbytes(1_500_000))
    t.write("assets/fonts/inter.woff2", b"wOF2\x00\x01\x00\x00" + t.rng.randbytes(300_000))


# --- Plants --------------------------------------------------------------------------------------

def k8s_plants(t, extra):
    """Plaintext Kubernetes Secrets of every form; `extra` collects kustomization resources."""
    def secret(name, ns, field, key, value, indent=""):
        v = b64(value) if field == "data" else value
        return (f"{indent}apiVersion: v1\n{indent}kind: Secret\n{indent}metadata:\n{indent}  name: {name}\n"
                f"{indent}  namespace: {ns}\n{indent}type: Opaque\n{indent}{field}:\n{indent}  {key}: {v}\n")

    for k, (d, field, form) in enumerate([("apps/app-0007/base", "data", "k8s-secret-data"),
                                          ("apps/app-1234/overlays/prod", "data", "k8s-secret-data"),
                                          ("apps/app-3999/base", "data", "k8s-secret-data"),
                                          ("apps/app-0042/base", "stringData", "k8s-secret-stringData"),
                                          ("apps/app-2001/overlays/dev", "stringData", "k8s-secret-stringData"),
                                          ("apps/app-3333/base", "stringData", "k8s-secret-stringData")]):
        v = t.marker()
        obj = secret(f"leak-{k}", "apps", field, t.rng.choice(["password", "api-token", "client-secret"]), v)
        t.plant(f"{d}/secret.yaml", obj, form, v, obj)
        extra.setdefault(d, []).append("secret.yaml")
    # A Secret among other documents, then one that is the last of three.
    v = t.marker()
    obj = secret("multi", "apps", "stringData", "password", v)
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: multi\ndata:\n  a: b\n---\n" + obj + \
           "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: multi\nspec:\n  ports: [{port: 80}]\n"
    t.plant("apps/app-0100/base/bundle.yaml", text, "k8s-multidoc", v, obj)
    extra.setdefault("apps/app-0100/base", []).append("bundle.yaml")
    v = t.marker()
    obj = secret("multi2", "apps", "data", "token", v)
    t.plant("legacy/platform/all.yaml", "# exported from the old cluster\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
            "  name: legacy\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: legacy\n---\n" + obj,
            "k8s-multidoc", v, obj)
    # kind: List with two Secrets.
    v1, v2 = t.marker(), t.marker()
    items = [secret("l1", "legacy", "data", "password", v1, "    ").replace("    apiVersion", "  - apiVersion", 1),
             secret("l2", "legacy", "stringData", "token", v2, "    ").replace("    apiVersion", "  - apiVersion", 1)]
    text = "apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n" + items[0] + items[1]
    t.plant("legacy/export/secrets-list.yaml", text, "k8s-list", v1, items[0], write=False)
    t.plant("legacy/export/secrets-list.yaml", text, "k8s-list", v2, items[1])
    # JSON: pretty-printed and one-line.
    for k, path in enumerate(["legacy/export/db-secret.json", "apps/app-0500/base/secret.json"]):
        v = t.marker()
        if k == 0:
            text = ('{\n  "apiVersion": "v1",\n  "kind": "Secret",\n  "metadata": {\n    "name": "db",\n'
                    f'    "namespace": "legacy"\n  }},\n  "type": "Opaque",\n  "data": {{\n    "password": "{b64(v)}"\n  }}\n}}\n')
        else:
            text = ('{"apiVersion":"v1","kind":"Secret","metadata":{"name":"j","namespace":"apps"},'
                    f'"stringData":{{"token":"{v}"}}}}\n')
            extra.setdefault("apps/app-0500/base", []).append("secret.json")
        t.plant(path, text, "k8s-json", v, text)
    # Flow style.
    v = t.marker()
    text = f'{{apiVersion: v1, kind: Secret, metadata: {{name: flow, namespace: apps}}, stringData: {{"password": "{v}"}}}}\n'
    t.plant("apps/app-0200/base/secret-flow.yaml", text, "k8s-flow", v, text)
    extra.setdefault("apps/app-0200/base", []).append("secret-flow.yaml")
    v = t.marker()
    text = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: flow2, namespace: apps}}\ndata: {{token: {b64(v)}, other: \"\"}}\n"
    t.plant("legacy/flow/secret.yaml", text, "k8s-flow", v, text)
    # CRLF line endings.
    for path in ("legacy/windows/secret.yaml", "apps/app-0300/base/secret-crlf.yaml"):
        v = t.marker()
        text = secret("crlf", "apps", "stringData", "password", v).replace("\n", "\r\n")
        t.plant(path, text, "k8s-crlf", v, text)
    extra.setdefault("apps/app-0300/base", []).append("secret-crlf.yaml")
    # secretGenerator literals and env files, in kustomizations of their own.
    for k, d in enumerate(["apps/app-0010/overlays/prod-gen", "legacy/kustomize/gen"]):
        v, e = t.marker(), t.marker()
        gen = (f"  - name: {'app' if k == 0 else 'legacy'}-creds\n    literals:\n      - USERNAME=service\n"
               f"      - PASSWORD={v}\n    envs:\n      - creds.env\n")
        res = "resources:\n  - ../prod\n" if k == 0 else ""
        text = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: gen\n" + res +
                "secretGenerator:\n" + gen +
                "generatorOptions:\n  disableNameSuffixHash: false\n")
        t.plant(f"{d}/kustomization.yaml", text, "k8s-secretgenerator-literal", v, gen)
        env = f"# read by secretGenerator envs\nLOG_LEVEL=info\nAPI_TOKEN={e}\nREGION=eu-west-1\n"
        t.plant(f"{d}/creds.env", env, "k8s-secretgenerator-env", e)


def text_plants(t):
    """Credentials in ordinary files: a private key, AWS, GitHub and Slack tokens, database URLs."""
    for path, kind, pre, post in [("deploy/ssh/id_rsa", "RSA PRIVATE KEY", "", ""),
                                  ("workers/wrk-003/tests/fixtures_tls.py", "PRIVATE KEY",
                                   "\"\"\"TLS fixtures for the integration tests.\"\"\"\n\nSERVER_KEY = \"\"\"\\\n", "\"\"\"\n")]:
        head = "MIIEpAIBAAKCAQEA" if kind.startswith("RSA") else "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ"
        body = [head + t.token(64 - len(head), B64)] + [t.token(64, B64) for _ in range(24)] + [t.token(24, B64) + "=="]
        block = f"-----BEGIN {kind}-----\n" + "\n".join(body) + f"\n-----END {kind}-----\n"
        t.plant(path, pre + block + post, "cred-private-key", body[0], block)
    for path, tmpl in [("services/svc-001/internal/aws/creds.go", 'package aws\n\n// Fallback for local runs.\nconst accessKeyID = "{v}"\n'),
                       ("deploy/terraform/credentials.ini", "[default]\nregion = eu-west-1\naws_access_key_id = {v}\n")]:
        v = "AKIA" + t.token(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        t.plant(path, tmpl.format(v=v), "cred-aws-access-key", v)
    for path, tmpl in [("workers/wrk-002/ci/release.py", "# Publishes the release notes.\nimport os\n\nGITHUB_TOKEN = os.environ.get(\"GITHUB_TOKEN\", \"{v}\")\n"),
                       (".github/workflows/release.yml", "name: release\non: [push]\njobs:\n  release:\n    runs-on: ubuntu-latest\n    env:\n      GH_TOKEN: {v}\n    steps:\n      - uses: actions/checkout@v4\n")]:
        v = "ghp_" + t.token(36)
        t.plant(path, tmpl.format(v=v), "cred-github-token", v)
    for path, tmpl in [("web/packages/pkg-002/src/notify/slack.ts", "import {{ WebClient }} from '@slack/web-api';\n\nconst client = new WebClient('{v}');\nexport default client;\n"),
                       ("deploy/alerting/slack.json", '{{\n  "channel": "#alerts",\n  "bot_token": "{v}"\n}}\n')]:
        v = f"xoxb-{t.token(11, '0123456789')}-{t.token(12, '0123456789')}-{t.token(24)}"
        t.plant(path, tmpl.format(v=v), "cred-slack-token", v)
    for path, tmpl in [("deploy/compose/docker-compose.yml", "services:\n  api:\n    image: registry.example.com/api:1.2.3\n    environment:\n      DATABASE_URL: postgres://api:{v}@db:5432/api\n"),
                       ("workers/wrk-004/settings.py", "import os\n\nDEBUG = False\nDATABASE_URL = \"postgresql://worker:{v}@db.internal:5432/jobs\"\n")]:
        v = t.token(18)
        t.plant(path, tmpl.format(v=v), "cred-postgres-url", v)


# --- Trees ---------------------------------------------------------------------------------------

GITIGNORE = "build/\nnode_modules/\n*.log\n.env.local\n"


def big(t, apps, total_mb):
    t.write(".gitignore", GITIGNORE)
    t.write("README.md", "# platform-gitops\n\nFlux watches `clusters/`; apps live in `apps/`, charts in `charts/`.\n")
    t.write("build/cache.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored-by-gitignore}\n")
    extra = {}
    k8s_plants(t, extra)
    text_plants(t)
    cluster_files(t)
    for i in range(apps):
        app(t, i, extra)
    for i in range(apps // 6):
        chart(t, i)
    for i in range(apps // 8):
        standalone_quiet(t, i)
    docs(t, 400)
    binaries(t)
    source_files(t, total_mb * 1_000_000 - t.bytes)


def small(t):
    """The 13-file tree: a kustomize app, one quiet file of each kind, and six plants."""
    t.write(".gitignore", GITIGNORE)
    extra = {"apps/demo/base": ["secret.yaml"]}
    v = t.marker()
    obj = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo-db\n  namespace: demo\ntype: Opaque\n"
           f"data:\n  password: {b64(v)}\n")
    t.plant("apps/demo/base/secret.yaml", obj, "k8s-secret-data", v, obj)
    t.write("apps/demo/base/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - deployment.yaml\n" + "".join(f"  - {r}\n" for r in extra["apps/demo/base"]))
    t.write("apps/demo/base/deployment.yaml", deployment(t, "demo", 1))
    v, e = t.marker(), t.marker()
    gen = f"  - name: demo-creds\n    literals:\n      - PASSWORD={v}\n    envs:\n      - app.env\n"
    t.plant("apps/demo/overlays/prod/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\n"
            "kind: Kustomization\nnamespace: demo-prod\nresources:\n  - ../../base\n  - sealedsecret.yaml\n"
            "secretGenerator:\n" + gen, "k8s-secretgenerator-literal", v, gen)
    t.plant("apps/demo/overlays/prod/app.env", f"LOG_LEVEL=info\nAPI_TOKEN={e}\n", "k8s-secretgenerator-env", e)
    t.write_quiet("sealedsecret", "apps/demo/overlays/prod/sealedsecret.yaml",
                  sealed_secret(t, "demo-tls", "demo-prod", "strict", ["tls.crt", "tls.key"]))
    t.write_quiet("sops", "secrets/sops/db.enc.yaml", sops_secret(t, "db", "ops"))
    t.write_quiet("helm", "charts/demo/templates/secret.yaml", chart_secret_template())
    t.write_quiet("externalsecret", "secrets/external/db.yaml", external_secret("db", "ops"))
    v = t.marker()
    obj = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: m\n  namespace: demo\nstringData:\n  password: {v}\n"
    t.plant("legacy/multi.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  a: b\n---\n" + obj,
            "k8s-multidoc", v, obj)
    v = "ghp_" + t.token(36)
    t.plant("src/config.py", f"import os\n\nGITHUB_TOKEN = os.environ.get(\"GITHUB_TOKEN\", \"{v}\")\n", "cred-github-token", v)
    v = t.token(18)
    t.plant("deploy/db.env", f"DATABASE_URL=postgres://app:{v}@db.internal:5432/app\n", "cred-postgres-url", v)


def sealed_tree(t, count):
    """100 apps, each a base of strict SealedSecrets, ten to a file, and dev/prod overlays whose
    `namespace:` moves every one of them out of the namespace it was sealed for."""
    apps = 100
    for a in range(apps):
        name = f"app-{a:03d}"
        base = f"apps/{name}/base"
        mine = range(a * count // apps, (a + 1) * count // apps)
        files = []
        for start in range(mine.start, mine.stop, 10):
            files.append(f"sealed-{start:05d}.yaml")
            t.write(f"{base}/{files[-1]}", "".join(
                sealed_secret(t, f"{name}-{i:05d}", name, "strict", ["password", "username"])
                for i in range(start, min(start + 10, mine.stop))))
        t.write(f"{base}/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                "resources:\n" + "".join(f"  - {f}\n" for f in files))
        for env in ("dev", "prod"):
            t.write(f"apps/{name}/overlays/{env}/kustomization.yaml",
                    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                    f"namespace: {name}-{env}\nresources:\n  - ../../base\n")


def chart_secret_template():
    return ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ include \"chart.fullname\" . }}\ntype: Opaque\n"
            "data:\n  password: {{ .Values.auth.password | b64enc | quote }}\n")


def dump_manifest(m):
    """JSON with one planted item per line."""
    head = {k: v for k, v in m.items() if k not in ("planted", "quiet")}
    lines = [json.dumps(head)[:-1] + ', "planted": [']
    lines += ["  " + json.dumps(p) + ("," if i < len(m["planted"]) - 1 else "") for i, p in enumerate(m["planted"])]
    lines.append('], "quiet": {')
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}" + ("," if i < len(m["quiet"]) - 1 else "")
              for i, (k, v) in enumerate(m["quiet"].items())]
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--small", action="store_true", help="write the 13-file tree")
    parser.add_argument("--sealed", type=int, metavar="N", help="write the tree of N moved SealedSecrets")
    parser.add_argument("--apps", type=int, default=4000, help="kustomize apps (default 4000)")
    parser.add_argument("--total-mb", type=int, default=560, help="tree size in MB of 10^6 bytes (default 560)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--force", action="store_true", help="regenerate even if the stamp matches")
    args = parser.parse_args()
    out = args.out.rstrip("/")
    with open(__file__, "rb") as f:  # any edit of this script regenerates, even without a VERSION bump
        source = hashlib.sha256(f.read()).hexdigest()[:16]
    stamp = {"generator": VERSION, "source": source, "small": args.small, "seed": args.seed}
    if args.sealed is not None:
        stamp.update(sealed=args.sealed)
    elif not args.small:
        stamp.update(apps=args.apps, total_mb=args.total_mb)
    stamp_path, manifest_path = out + ".stamp", out + ".planted.json"
    if not args.force and os.path.isdir(out) and os.path.exists(manifest_path):
        try:
            with open(stamp_path) as f:
                if json.load(f) == stamp:
                    print(f"{out}: up to date (generator version {VERSION})", file=sys.stderr)
                    return
        except (OSError, ValueError):
            pass
    # Generate beside the old tree, then swap: an interrupted run leaves no half tree behind a stamp.
    tmp = out + ".partial"
    for p in (tmp, stamp_path):
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)
    t = Tree(tmp, args.seed)
    if args.small:
        small(t)
    elif args.sealed is not None:
        sealed_tree(t, args.sealed)
    else:
        big(t, args.apps, args.total_mb)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.rename(tmp, out)
    manifest = {"generator": VERSION, "tree": os.path.basename(out), "files": t.files, "bytes": t.bytes,
                "planted": t.planted, "quiet": t.quiet}
    with open(manifest_path, "w") as f:
        f.write(dump_manifest(manifest))
    with open(stamp_path, "w") as f:
        json.dump(stamp, f)
    quiet = sum(map(len, t.quiet.values()))
    print(f"{out}: {t.files} files, {t.bytes / 1e6:.0f} MB, {len(t.planted)} planted, {quiet} quiet files", file=sys.stderr)


if __name__ == "__main__":
    main()
