#!/usr/bin/env bash
# Runs every fuzz target in the module for a bounded time each.
#
# Minimising each new interesting input is capped at 1s: at Go's default (60s)
# the workers spend most of a short run minimising large inputs, and a run
# that ends mid-minimisation fails with a bare "context deadline exceeded".
# That message can also come from a race in Go 1.26's fuzz coordinator
# (golang/go#75804, fixed in 1.27) with no failing input behind it (about
# one run in ten of FuzzClientMessages here), so a failure that wrote no
# input to testdata/fuzz is run again, up to twice; failing three times
# fails the run, which is what a real hang does.
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/.."
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fuzz() {
	go test -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s "$1" >"$log" 2>&1
}
inputs() { { find "$1/testdata/fuzz/$2" -type f 2>/dev/null || true; } | wc -l; }
while read -r pkg; do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "fuzz: $pkg $target ($fuzztime)"
		before=$(inputs "$dir" "$target")
		if fuzz "$pkg" "$target"; then
			continue
		fi
		again=0
		for _ in 1 2; do
			if [ "$(inputs "$dir" "$target")" != "$before" ] || ! grep -q 'context deadline exceeded' "$log"; then
				break
			fi
			echo "fuzz: $pkg $target stopped at its deadline without a failing input; running it again"
			if fuzz "$pkg" "$target"; then
				again=1
				break
			fi
		done
		if [ "$again" = 1 ]; then
			continue
		fi
		tail -n 30 "$log"
		echo "fuzz: $pkg $target FAILED (a failing input, if any, is saved under $dir/testdata/fuzz/$target)"
		status=1
	done
done < <(go list ./...)
exit $status
