#!/usr/bin/env bash
# Throughput of the forward proxy (MITM of a provider host) beside the same
# request through /u/<upstream>/ and through nginx as a plain reverse proxy,
# in one run, in front of the same local API (bench/apistub), with the same
# small GraphQL query. Through the proxy the client opens a CONNECT tunnel
# to backboard.railway.app and TLS with Chaperone's CA on each connection;
# then every request is gated exactly as through /u/. wrk cannot use a
# proxy, so bench/proxyload drives all three targets: CONNS keep-alive
# connections, ROUNDS rounds of DURATION seconds, targets interleaved; the
# median round is reported, with each server's CPU time per request.
# Goal: the proxy >= 0.8x /u/ (TLS to the agent is the difference).
#
#   bash bench/proxy.sh                      # defaults: 32 connections, 3 x 10 s
#   DURATION=30 ROUNDS=5 bash bench/proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/api_world.sh
DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3} CONNS=${CONNS:-32}

if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; then
	echo "bench/proxy: installing nginx-light" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

go build -o "$tmp/proxyload" ./bench/proxyload
proxy_port=$(free_port)
api_world "127.0.0.1:$proxy_port"
wait_port "$proxy_port"

declare -A args=(
	[nginx]="-url http://127.0.0.1:$nginx_port/u/bench/graphql/v2"
	[gateway]="-url http://127.0.0.1:$chap_port/u/bench/graphql/v2"
	[proxy]="-url https://backboard.railway.app/graphql/v2 -proxy http://127.0.0.1:$proxy_port -cacert $tmp/cfg/state/proxy-ca.pem"
)
targets=(nginx gateway proxy)
declare -A rps cpu p99
cpu_ticks() {
	local p total=0
	if [ "$1" = nginx ]; then
		for p in $(cat "$tmp/nginx.pid") $(pgrep -P "$(cat "$tmp/nginx.pid")"); do
			total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
		done
		echo "$total"
	else
		awk '{ print $14 + $15 }' "/proc/$serve_pid/stat"
	fi
}
run() {
	local out v t0 t1
	t0=$(cpu_ticks "$1")
	# shellcheck disable=SC2086
	out=$("$tmp/proxyload" ${args[$1]} -token "$token" -conns "$CONNS" -duration "${DURATION}s")
	t1=$(cpu_ticks "$1")
	if ! grep -q 'non-200 0$' <<<"$out"; then echo "$1 answered other than 200 during the run: $out" >&2; exit 1; fi
	v=$(awk '{ print $2 }' <<<"$out")
	rps[$1]="${rps[$1]:-} $v"
	p99[$1]="${p99[$1]:-} $(awk '{ print $4 }' <<<"$out")"
	cpu[$1]="${cpu[$1]:-} $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$v" -v d="$DURATION" \
		'BEGIN { printf "%.1f", t / hz * 1e6 / (n * d) }')"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "proxyload POST of a GraphQL query, $CONNS keep-alive connections, $ROUNDS x ${DURATION}s per target, $(nproc) cores"
echo "(cpu: the server's CPU time per request; p99 in ms, per round)"
for round in $(seq "$ROUNDS"); do
	for t in "${targets[@]}"; do run "$t"; done
done
n=$(median <<<"${rps[nginx]}") g=$(median <<<"${rps[gateway]}") p=$(median <<<"${rps[proxy]}")
line() { printf '%-24s %8.0f req/s  cpu %6s us/req  p99 %s\n' "$1" "$2" "$(median <<<"${cpu[$3]}")" "$(tr ' ' '\n' <<<"${p99[$3]}" | grep . | paste -sd' ')"; }
line "nginx" "$n" nginx
line "chaperone /u/" "$g" gateway
line "chaperone proxy (MITM)" "$p" proxy
printf 'proxy / gateway: %.2fx; proxy / nginx: %.2fx (goal >= 0.70x)\n' "$(awk -v a="$p" -v b="$g" 'BEGIN { print a / b }')" "$(awk -v a="$p" -v b="$n" 'BEGIN { print a / b }')"
