#!/usr/bin/env bash
# Throughput of the PostgreSQL gateway beside the two things it replaces, in
# one run against one server: PostgreSQL direct, pgbouncer (session mode) and
# Chaperone (SCRAM token in, sealed credential out, every statement parsed,
# classified, decided and written to the audit chain, group-committed):
# pgbench -S (select-only) in the simple and the extended protocol, and
# pgbench -N (writes), CLIENTS clients, ROUNDS rounds of DURATION seconds,
# targets interleaved so machine noise falls on all three alike; the median
# round is reported.
# Then the memory each proxy holds for IDLE idle clients.
# With FLOOR=1 (the default) the simple mode also runs bench/floor, proxies
# that forward the bytes unread: two goroutines per connection as
# Chaperone's gateway does, and one epoll thread as PgBouncer does; what a
# Go proxy costs here before it does any work.
# Goals: Chaperone TPS >= pgbouncer's in every mode; RSS with 200 idle clients <= 64 MiB, <= 32 MiB of it anonymous.
#
#   bash bench/pg.sh                       # defaults: 8 clients, 3 x 10 s
#   DURATION=30 ROUNDS=5 bash bench/pg.sh
#   MODES=simple IDLE=0 bash bench/pg.sh     # one mode, no idle-memory run
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3} CLIENTS=${CLIENTS:-8} IDLE=${IDLE:-200} SCALE=${SCALE:-10} FLOOR=${FLOOR:-1} SETTLE=${SETTLE:-12}

if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
	echo "bench/pg: installing pgbouncer" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
PGBIN=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")

# PostgreSQL and pgbouncer both refuse to run as root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }
rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }
# Anonymous memory: RSS less the pages of the binary and libraries mapped
# from disk, which are shared and can be dropped.
anon_mib() { awk '/^RssAnon/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
serve_pid=
declare -A floor_pid=()
cleanup() {
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
	for p in "${floor_pid[@]}"; do kill "$p" 2>/dev/null; done
	[ -f "$tmp/bouncer/pid" ] && kill "$(cat "$tmp/bouncer/pid")" 2>/dev/null
	[ -d "$tmp/data" ] && as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/chaperone" ./cmd/chaperone
# The linker leaves its output in the page cache as 2 MiB folios, and Linux
# maps a folio whole on the first touch: run straight from the build, the
# gateway's RSS counts about 12 MiB more of its own executable than after a
# reboot or a deploy, when the binary is read from disk. Measure that case.
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$tmp/chaperone"
go build -o "$tmp/pgidle" ./bench/pgidle

pass=bench-$RANDOM$RANDOM
pg_port=$(free_port) bouncer_port=$(free_port) chap_port=$(free_port)
mkdir "$tmp/data" "$tmp/bouncer"
[ "$(id -u)" = 0 ] && chown postgres "$tmp/data" "$tmp/bouncer"
echo "$pass" >"$tmp/pw" && chmod 644 "$tmp/pw"
as_pg "$PGBIN/initdb" -D "$tmp/data" -U postgres --auth=scram-sha-256 --pwfile="$tmp/pw" >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -w -l "$tmp/data/log" -o "-c listen_addresses=127.0.0.1 -c port=$pg_port \
  -c unix_socket_directories=$tmp/data -c max_connections=$((IDLE * 2 + 50)) -c shared_buffers=128MB" start >/dev/null
export PGPASSWORD=$pass PGSSLMODE=disable
direct="postgres://postgres@127.0.0.1:$pg_port/bench"
psql -q "postgres://postgres@127.0.0.1:$pg_port/postgres" -c "CREATE DATABASE bench"
pgbench -i -q -s "$SCALE" "$direct" 2>/dev/null

cat >"$tmp/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$pg_port dbname=bench user=postgres password=$pass
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $tmp/userlist.txt
pool_mode = session
max_client_conn = $((IDLE + 50))
default_pool_size = $((IDLE + 20))
logfile = $tmp/bouncer/log
pidfile = $tmp/bouncer/pid
EOF
echo "\"postgres\" \"$pass\"" >"$tmp/userlist.txt"
chmod 644 "$tmp/pgbouncer.ini" "$tmp/userlist.txt"
as_pg "$PGBOUNCER" -d "$tmp/pgbouncer.ini"
wait_port "$bouncer_port"

"$tmp/chaperone" init --dir "$tmp/cfg" >/dev/null 2>&1
cfg="$tmp/cfg/chaperone.yaml"
"$tmp/chaperone" --config "$cfg" upstream add bench --env staging --dsn "$direct?password=$pass" >/dev/null
# One token holds every client of the bench, idle ones included: lift the
# per-token and per-upstream session limits above them.
sed -i -e "s/max_connections_per_token: 10/max_connections_per_token: $((IDLE + 50))/" \
	-e "s/^    env: staging$/    env: staging\n    max_connections: $((IDLE + 50))/" "$cfg"
token=$("$tmp/chaperone" --config "$cfg" token create --env staging --upstream bench --name bench 2>/dev/null)
"$tmp/chaperone" --config "$cfg" --log-level warn serve --pg-listen "127.0.0.1:$chap_port" --http-listen 127.0.0.1:0 --proxy-listen "" &
serve_pid=$!
wait_port "$chap_port"

declare -A url=(
	[direct]="$direct"
	[pgbouncer]="postgres://postgres@127.0.0.1:$bouncer_port/bench"
	[chaperone]="postgres://agent:$token@127.0.0.1:$chap_port/bench"
)
targets=(direct pgbouncer chaperone)
floors=()
if [ "$FLOOR" = 1 ]; then
	go build -o "$tmp/floor" ./bench/floor
	for m in goroutines epoll; do
		p=$(free_port)
		"$tmp/floor" -mode "$m" -listen "127.0.0.1:$p" -upstream "127.0.0.1:$pg_port" &
		floor_pid[$m]=$!
		url[floor-$m]="postgres://postgres@127.0.0.1:$p/bench"
		floors+=("floor-$m")
	done
fi
declare -A tps cpu
proxy_pid() { case $1 in pgbouncer) cat "$tmp/bouncer/pid" ;; chaperone) echo "$serve_pid" ;; floor-*) echo "${floor_pid[${1#floor-}]}" ;; esac; }
cpu_ticks() { if [ -n "$1" ]; then awk '{ print $14 + $15 }' "/proc/$1/stat"; else echo 0; fi; }
# run TARGET MODE: one pgbench run; records its TPS and the proxy's CPU time
# per transaction in microseconds.
run() {
	local pid out v t0 t1
	pid=$(proxy_pid "$1")
	t0=$(cpu_ticks "$pid")
	out=$(PGPASSWORD=$pass pgbench -n ${flags[$2]} -c "$CLIENTS" -j 2 -T "$DURATION" "${url[$1]}" 2>&1) || true
	t1=$(cpu_ticks "$pid")
	v=$(awk '/^tps = / { print $3 }' <<<"$out")
	[ -n "$v" ] || { echo "pgbench against $1 ($2) failed:" >&2; echo "$out" >&2; exit 1; }
	tps[$1.$2]="${tps[$1.$2]:-} $v"
	cpu[$1.$2]="${cpu[$1.$2]:-} $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$v" -v d="$DURATION" \
		'BEGIN { printf "%.1f", t / hz * 1e6 / (n * d) }')"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# simple and extended: pgbench -S (one primary-key SELECT per transaction);
# writes: pgbench -N (TPC-B-like without the branch and teller updates:
# BEGIN, UPDATE, SELECT, INSERT, END): the writes run once their audit
# entries are queued, and END waits until they are durable.
declare -A flags=([simple]="-S -M simple" [extended]="-S -M extended" [writes]="-N -M simple")
echo "pgbench, $CLIENTS clients, $ROUNDS x ${DURATION}s per target and mode, scale $SCALE, $(nproc) cores"
echo "(cpu: the proxy process's CPU time per transaction)"
for mode in ${MODES:-simple extended writes}; do
	for round in $(seq "$ROUNDS"); do
		for t in "${targets[@]}" $([ "$mode" = simple ] && echo "${floors[@]}"); do run "$t" "$mode"; done
	done
	d=$(median <<<"${tps[direct.$mode]}") b=$(median <<<"${tps[pgbouncer.$mode]}") c=$(median <<<"${tps[chaperone.$mode]}")
	printf '%-9s direct %7.0f tps | pgbouncer %7.0f tps (%.2fx direct, cpu %s us) | chaperone %7.0f tps (%.2fx direct, %.2fx pgbouncer, cpu %s us)\n' \
		"$mode" "$d" "$b" "$(ratio "$b" "$d")" "$(median <<<"${cpu[pgbouncer.$mode]}")" \
		"$c" "$(ratio "$c" "$d")" "$(ratio "$c" "$b")" "$(median <<<"${cpu[chaperone.$mode]}")"
	if [ "$mode" = simple ]; then
		for f in "${floors[@]}"; do
			v=$(median <<<"${tps[$f.$mode]}")
			printf '%-16s %-9s %7.0f tps (%.2fx pgbouncer, cpu %s us): forwards the bytes unread\n' "$f" "$mode" "$v" "$(ratio "$v" "$b")" "$(median <<<"${cpu[$f.$mode]}")"
		done
	fi
done

# Idle clients: each proxy holds IDLE established sessions that ran a query.
# Each figure is taken SETTLE seconds after the load before it stopped, so
# that it is the memory an idle proxy holds: Chaperone gives a burst's freed
# heap back after 5–10 s of quiet (internal/idlemem).
idle() {
	local pid=$1 name=$2 dsn=$3 before after
	sleep "$SETTLE"
	before=$(rss_mib "$pid")
	coproc IDLER { PGPASSWORD=$pass "$tmp/pgidle" -n "$IDLE" "$dsn"; }
	local ready
	read -r ready <&"${IDLER[0]}" || true
	[ "$ready" = ready ] || { echo "pgidle against $name failed" >&2; exit 1; }
	sleep "$SETTLE"
	after=$(rss_mib "$pid") anon=$(anon_mib "$pid")
	exec {IDLER[1]}>&-
	wait "$IDLER_PID" 2>/dev/null || true
	printf '%-9s RSS %6s MiB idle, %6s MiB with %d idle clients (%s MiB of it anonymous)\n' "$name" "$before" "$after" "$IDLE" "$anon"
}
if [ "$IDLE" -gt 0 ]; then
	idle "$(cat "$tmp/bouncer/pid")" pgbouncer "${url[pgbouncer]}"
	idle "$serve_pid" chaperone "${url[chaperone]}"
fi
