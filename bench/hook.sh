#!/usr/bin/env bash
# Whole-process cost of `chaperone hook claude-code` for a typical command,
# beside /bin/true (starting any process here) and a baseline Go binary that
# reads the same JSON and answers without deciding. Goal: median <= 3 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/chaperone" ./cmd/chaperone
go build -o "$tmp/baseline" ./bench/hookbaseline
go build -o "$tmp/hookbench" ./bench/hookbench
input='{"session_id":"s","cwd":"/w","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status && npm test"}}'
cd "$tmp"
./hookbench -n "${RUNS:-200}" -input "$input" -- /bin/true -- ./baseline -- ./chaperone hook claude-code
