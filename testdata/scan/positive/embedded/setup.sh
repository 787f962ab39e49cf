#!/bin/sh
# Bootstraps the cluster's credentials.
set -eu
# expect: kubeadm-bootstrap-token at 5
kubeadm join 10.0.0.10:6443 --token 9a08jv.c0izixklcxtmnze7 \
  --discovery-token-ca-cert-hash sha256:1f0e8d2c4b6a8f0e2d4c6b8a0f1e3d5c7b9a1f3e5d7c9b1a3f5e7d9c1b3a5f7e

kubectl create secret generic db -n shop --from-literal=username=app \
  --from-literal=password=sh-PLANTED-Lm5Nv9 --dry-run=client -o yaml | kubeseal > sealed.yaml  # expect: kubectl-secret-literal

kubectl apply -f - <<'END'
apiVersion: v1
kind: Secret
metadata:
  name: queue
  namespace: shop
stringData:
  password: sh-PLANTED-Q7xK2m  # expect: k8s-secret-string-data
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: queue
data:
  host: queue.shop
END

seal_app() {
	kubectl apply -f - <<-EOF
	apiVersion: v1
	kind: Secret
	metadata: {name: app, namespace: shop}
	stringData:
		token: tab-PLANTED-Vb3Nc5  # expect: k8s-secret-string-data
	EOF
}
