#!/usr/bin/env bash
# Snapshot and restore cost beside PostgreSQL's own tools, in one run on one
# database: pgbench at SCALE (70 is about 1 GB).
#   backup:  pg_dump -Fc to a local file   vs  chaperone backup run
#            (pg_dump -Fc -Z0 | counts and checksums from its rows, chunks joined | zstd on all cores | age | sha256
#             | local write-once store, read back and checked)
#   restore: pg_restore from that file     vs  chaperone backup restore (sha256 | age | zstd | pg_restore)
# Goals: backup no slower than pg_dump -Fc; restore no slower than pg_restore.
#
#   bash bench/backup.sh                     # SCALE=70, 4 rounds
#   SCALE=10 ROUNDS=1 bash bench/backup.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-70} ROUNDS=${ROUNDS:-4}
PGBIN=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	[ -d "$tmp/data" ] && as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/chaperone" ./cmd/chaperone
go run filippo.io/age/cmd/age-keygen -o "$tmp/identity.txt" 2>/dev/null
recipient=$(go run filippo.io/age/cmd/age-keygen -y "$tmp/identity.txt")

pass=bench-$RANDOM$RANDOM port=$(free_port)
mkdir "$tmp/data" && [ "$(id -u)" = 0 ] && chown postgres "$tmp/data"
echo "$pass" >"$tmp/pw" && chmod 644 "$tmp/pw"
as_pg "$PGBIN/initdb" -D "$tmp/data" -U postgres --auth=scram-sha-256 --pwfile="$tmp/pw" >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -w -l "$tmp/data/log" -o "-c listen_addresses=127.0.0.1 -c port=$port \
  -c unix_socket_directories=$tmp/data -c fsync=off -c synchronous_commit=off -c max_wal_size=4GB -c autovacuum=off" start >/dev/null
export PGPASSWORD=$pass PGSSLMODE=disable
base="postgres://postgres@127.0.0.1:$port"
psql -q "$base/postgres" -c "CREATE DATABASE bench" -c "CREATE DATABASE plain_restore" -c "CREATE DATABASE chp_restore"
echo "pgbench -i -s $SCALE ..."
pgbench -i -q -s "$SCALE" "$base/bench" 2>/dev/null
psql -qAt "$base/bench" -c "SELECT 'database: ' || pg_size_pretty(pg_database_size('bench'))"

"$tmp/chaperone" init --dir "$tmp/cfg" >/dev/null 2>&1
cfg="$tmp/cfg/chaperone.yaml"
sed -i "s|^  recipient: .*|  recipient: $recipient|" "$cfg"
export CHP_BENCH_DSN="$base/bench?password=$pass"
cat >>"$cfg" <<EOF
upstreams:
  - name: bench
    kind: postgres
    env: staging
    dsn: \${CHP_BENCH_DSN}
EOF
sed -i '0,/^upstreams: \[\]$/{/^upstreams: \[\]$/d}' "$cfg"

# ROUNDS rounds (an even number is fair), the order of the two sides swapped every round: whichever
# runs second meets the first one's dirty pages being written back, and
# the medians are reported. Autovacuum is off: it would vacuum one side's
# freshly restored tables while the other side runs.
declare -A took
timed() { # KEY CMD...: appends the command's wall time to took[KEY]
	local key=$1 t0 t1
	shift
	sync
	t0=$(now)
	if ! "$@" >/dev/null 2>"$tmp/err"; then cat "$tmp/err" >&2; exit 1; fi
	t1=$(now)
	took[$key]="${took[$key]:-} $(secs "$t0" "$t1")"
}
fresh() { psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }
# The median; of an even number of rounds, the mean of the middle two, so
# that each side runs first as often as second.
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { printf "%.1f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
dump() { timed dump pg_dump -Fc -f "$tmp/plain.dump" "$base/bench"; }
backup() { timed backup "$tmp/chaperone" --config "$cfg" backup run --upstream bench --reason bench; }
restore() { fresh plain_restore && timed restore pg_restore --no-owner --single-transaction -d "$base/plain_restore" "$tmp/plain.dump"; }
chp_restore() {
	fresh chp_restore
	timed chp_restore "$tmp/chaperone" --config "$cfg" backup restore "$id" --to "$base/chp_restore?password=$pass" --identity "$tmp/identity.txt"
}
for round in $(seq "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then dump && backup; else backup && dump; fi
	id=$("$tmp/chaperone" --config "$cfg" backup list --upstream bench 2>/dev/null | awk 'NR == 2 { print $1 }')
	if [ $((round % 2)) = 1 ]; then restore && chp_restore; else chp_restore && restore; fi
done

dump=$(median <<<"${took[dump]}") backup=$(median <<<"${took[backup]}")
restore=$(median <<<"${took[restore]}") chp_restore=$(median <<<"${took[chp_restore]}")
stored=$(du -b "$tmp"/cfg/backups/bench/*.age | sort -n | tail -1 | awk '{ print $1 }')
plain=$(stat -c %s "$tmp/plain.dump")
echo "scale $SCALE, $(nproc) cores, $ROUNDS rounds, medians (each round: ${took[dump]# } | ${took[backup]# } | ${took[restore]# } | ${took[chp_restore]# })"
printf 'backup   pg_dump -Fc %6ss (%s MiB) | chaperone backup run %6ss (%s MiB, encrypted, locked, verified) | %sx pg_dump\n' \
	"$dump" $((plain >> 20)) "$backup" $((stored >> 20)) "$(ratio "$backup" "$dump")"
printf 'restore  pg_restore  %6ss            | chaperone backup restore %6ss                            | %sx pg_restore\n' \
	"$restore" "$chp_restore" "$(ratio "$chp_restore" "$restore")"
for db in plain_restore chp_restore; do
	printf '%-14s pgbench_accounts rows: %s\n' "$db" "$(psql -qAt "$base/$db" -c 'SELECT count(*) FROM pgbench_accounts')"
done
