#!/usr/bin/env bash
# Start-up cost of `chaperone run -- true` beside `true`: what confining an
# agent adds to starting it (minting and revoking the session's token, the
# workspace scan, the namespaces, the listeners inside, the audit entries).
# Needs a kernel that allows the namespaces (root, or unprivileged user
# namespaces). Uses hyperfine when installed (Debian: apt-get install
# hyperfine), else a timed loop.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/chaperone" ./cmd/chaperone
cd "$tmp"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
./chaperone init --dir cfg >/dev/null 2>&1
sed -i -e "s/pg: 127.0.0.1:6543/pg: 127.0.0.1:$(port)/" -e "s/http: 127.0.0.1:8750/http: 127.0.0.1:$(port)/" \
  -e "s/proxy: 127.0.0.1:8751/proxy: 127.0.0.1:$(port)/" -e 's/^upstreams: \[\]$//' cfg/chaperone.yaml
cat >>cfg/chaperone.yaml <<'YAML'
upstreams:
  - name: app-staging
    kind: postgres
    env: staging
    dsn: ${BENCH_DSN}
YAML
export BENCH_DSN=postgres://app:pw@127.0.0.1:1/app
./chaperone --config cfg/chaperone.yaml --log-level warn serve &
serve_pid=$!
for _ in $(seq 100); do [ -S cfg/run/hook.sock ] && [ -f cfg/state/proxy-ca.pem ] && break; sleep 0.1; done
mkdir ws && cd ws
run=(../chaperone --config ../cfg/chaperone.yaml --log-level warn run --env staging -- true)
"${run[@]}" || { echo "chaperone run -- true failed" >&2; exit 1; }
runs=${RUNS:-50}
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 --runs "$runs" --export-json ../hf.json true "${run[*]}" >&2
  python3 - ../hf.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base, chp = r[0]["median"] * 1000, r[1]["median"] * 1000
print(f"true                     median {base:.2f} ms (hyperfine, {len(r[0]['times'])} runs)")
print(f"chaperone run -- true    median {chp:.2f} ms, mean {r[1]['mean'] * 1000:.2f} ms")
print(f"added by run             {chp - base:.2f} ms")
PY
else
  t() { local s e; s=$(date +%s%N); for _ in $(seq "$runs"); do "$@" >/dev/null; done; e=$(date +%s%N); echo $(((e - s) / runs / 1000)); }
  base=$(t true); chp=$(t "${run[@]}")
  awk -v b="$base" -v c="$chp" -v n="$runs" 'BEGIN {
    printf "true                     median %.2f ms (a loop of %d, mean)\n", b / 1000, n
    printf "chaperone run -- true    median %.2f ms\n", c / 1000
    printf "added by run             %.2f ms\n", (c - b) / 1000 }'
fi
echo "audit entries written: $(../chaperone --config ../cfg/chaperone.yaml audit export --format jsonl | grep -c '"run.ended"')"
