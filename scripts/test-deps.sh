#!/usr/bin/env bash
# Installs what the test suite needs beyond the Go toolchain. Idempotent.
#   PostgreSQL server binaries (initdb, pg_ctl) for the gateway tests
#   psql and pgbench, which the tests drive through the gateway
#   script(1), which gives approval tests a terminal
#   a C compiler: the SQL classifier links PostgreSQL's parser (cgo)
#   node and node-postgres, a second client implementation for the gateway
#   chromium, which the approval console's browser tests drive (headless)
#   versitygw, a real S3 server with Object Lock for the backup tests
#   Gemini CLI's hook runner (@google/gemini-cli-core), run on the entry
#   chaperone install writes
set -euo pipefail
need=()
command -v go >/dev/null || { echo "test-deps: Go is required (https://go.dev/dl)" >&2; exit 1; }
command -v git >/dev/null || need+=(git)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v psql >/dev/null || need+=(postgresql-client)
command -v pgbench >/dev/null || need+=(postgresql-contrib postgresql-client)
command -v script >/dev/null || need+=(util-linux)
command -v npm >/dev/null || need+=(nodejs npm)
command -v chromium >/dev/null || need+=(chromium)
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	need+=(postgresql)
fi
if ((${#need[@]})); then
	echo "test-deps: installing ${need[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
go mod download
# The version is internal/s3test.Version.
command -v versitygw >/dev/null || [ -x "$(go env GOPATH)/bin/versitygw" ] ||
	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
npm ci --silent --no-audit --no-fund --prefix internal/gateway/pg/testdata/node
npm ci --silent --no-audit --no-fund --ignore-scripts --prefix internal/hook/judge/testdata/gemini
# Real migration tools, driven through the gateway by cmd/chaperone's
# tools_e2e_test.go: Django, psycopg2, SQLAlchemy and Alembic from Debian
# (for the system python3), knex and Sequelize from npm.
py=()
for p in python3-django:django python3-psycopg2:psycopg2 python3-sqlalchemy:sqlalchemy python3-alembic:alembic; do
	/usr/bin/python3 -c "import ${p#*:}" 2>/dev/null || py+=("${p%%:*}")
done
if ((${#py[@]})); then
	echo "test-deps: installing ${py[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${py[@]}"
fi
npm ci --silent --no-audit --no-fund --prefix cmd/chaperone/testdata/tools
