#!/usr/bin/env bash
# Whole-process cost of Chaperone's agent hook for a typical command, beside
# /bin/true (starting any process here) and a baseline Go binary that reads
# the same JSON and answers without deciding. Measured in one run:
#   chaperone-hook, asking a running `chaperone serve` (decision + audit entry)
#   chaperone hook, asking the same serve (the full binary's start-up + audit)
#   chaperone hook --local, deciding in its own process (no serve, no audit)
# Goal: median <= 3 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/chaperone" ./cmd/chaperone
go build -o "$tmp/chaperone-hook" ./cmd/chaperone-hook
go build -o "$tmp/baseline" ./bench/hookbaseline
go build -o "$tmp/hookbench" ./bench/hookbench
cd "$tmp"
./chaperone init --dir cfg >/dev/null 2>&1
./chaperone --config cfg/chaperone.yaml --log-level warn serve --http-listen 127.0.0.1:0 --pg-listen 127.0.0.1:0 --proxy-listen "" &
serve_pid=$!
for _ in $(seq 100); do [ -S cfg/run/hook.sock ] && break; sleep 0.1; done
[ -S cfg/run/hook.sock ] || { echo "serve did not open its hook socket" >&2; exit 1; }
input='{"session_id":"s","cwd":"/w","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status && npm test"}}'
./hookbench -n "${RUNS:-200}" -input "$input" -- /bin/true -- ./baseline \
  -- ./chaperone-hook claude-code --config cfg/chaperone.yaml --socket cfg/run/hook.sock \
  -- ./chaperone --config cfg/chaperone.yaml hook claude-code \
  -- ./chaperone --config cfg/chaperone.yaml hook claude-code --local
echo "audit entries written during the run: $(./chaperone --config cfg/chaperone.yaml audit export --format jsonl | wc -l)"
