#!/usr/bin/env bash
# Agreement of the shell guard with the dcg peer corpus (../shared/corpora/dcg).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpora/dcg}
python3 bench/corpus/extract.py "$corpus" | go run ./bench/corpus
