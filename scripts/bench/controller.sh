#!/usr/bin/env bash
# Load test of `sealant controller serve` on loopback (not run by the tests).
#
# Starts a release build with the vectors' two keys, then runs wrk (Debian: apt-get install
# wrk) for a bounded time against GET /v1/cert.pem and POST /v1/verify, checking every
# response (the cert body byte for byte; verify must answer 200). Reports requests/s,
# p50/p99 latency, the wrong answers, and the server's peak RSS (VmHWM). The verify rate
# limit is disabled for the run (--rate-limit 0). Traffic goes to 127.0.0.1 only.
#
#   scripts/bench/controller.sh            # 10 s per route, 16 connections, 2 wrk threads
#   DURATION=30s CONNECTIONS=64 scripts/bench/controller.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

duration="${DURATION:-10s}"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
vectors="${SEALANT_VECTORS:-testdata/vectors}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }

cargo build --release --quiet --features server
bin="$PWD/target/release/sealant"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; wait "$server_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" controller import --keys-dir "$work/keys" "$vectors/backup-list.json" >/dev/null
"$bin" controller serve --keys-dir "$work/keys" --listen 127.0.0.1:0 \
  --key-renew-period 0 --rate-limit 0 2>"$work/server.log" &
server_pid=$!
addr=""
for _ in $(seq 1 500); do
  addr="$(grep -o '"msg":"listening","addr":"[^"]*"' "$work/server.log" | sed 's/.*"addr":"//; s/"$//' || true)"
  [ -n "$addr" ] && break
  sleep 0.02
done
[ -n "$addr" ] || { echo "server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
echo "server $addr (pid $server_pid), $duration per route, $connections connections, $threads wrk threads"

# Lua for wrk: count answers that are not the expected status (and body, when given).
lua() { # $1 method, $2 body file or "", $3 expected status, $4 expected body file or ""
  cat <<LUA
local function slurp(p) if p == "" then return nil end local f = assert(io.open(p, "rb")) local s = f:read("*a") f:close() return s end
wrk.method = "$1"
local body = slurp("$2")
if body then wrk.body = body wrk.headers["Content-Type"] = "application/json" end
local expected_body = slurp("$4")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() wrong = 0 answered = 0 end
function response(status, headers, b)
  answered = answered + 1
  if status ~= $3 or (expected_body and b ~= expected_body) then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local w, a = 0, 0
  for _, t in ipairs(threads) do w = w + t:get("wrong") a = a + t:get("answered") end
  io.write(string.format("checked %d responses, %d wrong\n", a, w))
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f wrong=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, w,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
LUA
}

lua GET "" 200 "$vectors/cert2048.pem" >"$work/cert.lua"
lua POST "$vectors/sealedsecret-strict.json" 200 "" >"$work/verify.lua"

for route in cert verify; do
  path=/v1/cert.pem; [ "$route" = verify ] && path=/v1/verify
  echo "== $path"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/$route.lua" "http://$addr$path" \
    | tee "$work/$route.out" | grep -E "Requests/sec|Latency|50%|99%|checked|RESULT|Non-2xx|Socket errors" || true
done

# Still answering correctly after the load, and what the server counted.
curl -sf "http://$addr/healthz" >/dev/null && echo "healthz after load: ok"
curl -sf "http://$addr/metrics" | grep -E '^sealant_http_(requests|request_failures)_total\{route="/v1/(cert.pem|verify)"\}|^sealant_unseal_errors_total'
echo "server peak RSS: $(grep VmHWM "/proc/$server_pid/status" | awk '{print $2, $3}')"
kill -TERM "$server_pid"
wait "$server_pid" && echo "server stopped cleanly on SIGTERM"
server_pid=""
grep -c '"msg":"request"' "$work/server.log" | sed 's/^/request log lines: /'
