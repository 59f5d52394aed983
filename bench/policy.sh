#!/usr/bin/env bash
# Policy evaluation cost per decision: the built-in policy (a read walks every
# built-in rule, the worst case) and a configured rule set in front of it.
# Goal: one decision <= 2 us on the 2-core reference machine.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench BenchmarkDecide -benchmem -count 5 ./internal/policy/
