#!/usr/bin/env bash
# Time `sealant scan --fix` on a tree with 1,000 plaintext Secrets (100 kustomize apps of 10
# Secret files each, plus 10 secretGenerators), release build, restored before every run.
#   scripts/bench/fix.sh            # prints hyperfine's summary
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
out=target/bench/fix1k
rm -rf "$out.pristine" && mkdir -p "$out.pristine/certs"
cp testdata/vectors/cert2048.pem "$out.pristine/certs/prod.pem"
pin=$(target/release/sealant cert fingerprint "$out.pristine/certs/prod.pem")
printf 'certs:\n  - name: prod\n    cert: certs/prod.pem\n    sha256: %s\n    paths: ["**"]\n' "$pin" \
  > "$out.pristine/.sealant.yaml"
python3 - "$out.pristine" <<'PY'
import os, sys
root = sys.argv[1]
for a in range(100):
    app = f"{root}/apps/app{a:03d}"
    os.makedirs(app)
    files = [f"secret{s}.yaml" for s in range(10)]
    for s, name in enumerate(files):
        with open(f"{app}/{name}", "w") as f:
            f.write(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{s}\n"
                    f"stringData:\n  password: bench-{a}-{s}-x9Qz\n  user: app{a}\n")
    gen = ""
    if a % 10 == 0:
        gen = f"secretGenerator:\n  - name: gen\n    literals: [token=bench-gen-{a}-k7Lm]\n"
    with open(f"{app}/kustomization.yaml", "w") as f:
        f.write(f"namespace: ns{a}\nresources:\n" + "".join(f"  - {n}\n" for n in files) + gen)
PY
hyperfine -w 1 -r 5 -i \
  --prepare "rm -rf $out && cp -r $out.pristine $out" \
  "target/release/sealant scan --fix $out"
