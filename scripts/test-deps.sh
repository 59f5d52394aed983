#!/usr/bin/env bash
# Installs what the test suite needs beyond the Go toolchain. Idempotent.
set -euo pipefail
need=()
command -v go >/dev/null || { echo "test-deps: Go is required (https://go.dev/dl)" >&2; exit 1; }
command -v git >/dev/null || need+=(git)
if ((${#need[@]})); then
	echo "test-deps: installing ${need[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
go mod download
