#!/usr/bin/env bash
# Throughput of the cloud API gateway beside nginx as a plain reverse proxy,
# in one run, in front of the same local API (bench/apistub), with the same
# small GraphQL query body. nginx forwards bytes and sets the credential
# header; Chaperone also verifies the agent's token, parses and validates
# every body against Railway's schema, asks the policy, swaps the token for
# the credential, and forwards. wrk with CONNS connections, ROUNDS rounds of
# DURATION seconds, targets interleaved so machine noise falls on both; the
# median round is reported, with each proxy's CPU time per request.
# Goal: Chaperone >= 0.8x nginx's requests/s.
# With FLOOR=1 (the default) two proxies that do no work of their own run
# too (bench/floor): Go's net/http with httputil.ReverseProxy, and fasthttp.
# FLOOR_MODES picks others of bench/floor's modes, e.g. to split net/http's
# cost between its server and its client:
#   FLOOR_MODES="http http-transport http-fastclient fasthttp" bash bench/http.sh
#
#   bash bench/http.sh                       # defaults: 32 connections, 3 x 10 s
#   DURATION=30 ROUNDS=5 bash bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/api_world.sh
DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3} CONNS=${CONNS:-32} THREADS=${THREADS:-2} FLOOR=${FLOOR:-1}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
	echo "bench/http: installing ${need[*]}" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

api_world ""

# The request: a small GraphQL query, with the agent's token (nginx ignores it).
cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"query":"query Me { me { id name email } }","operationName":"Me"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
EOF

declare -A url=(
	[nginx]="http://127.0.0.1:$nginx_port/u/bench/graphql/v2"
	[chaperone]="http://127.0.0.1:$chap_port/u/bench/graphql/v2"
)
targets=(nginx chaperone)
# FLOOR=1: bench/floor in front of the same API, doing no work of its own:
# Go's net/http with httputil.ReverseProxy, and fasthttp.
declare -A floor_pid=()
if [ "$FLOOR" = 1 ]; then
	go build -o "$tmp/floor" ./bench/floor
	for m in ${FLOOR_MODES:-http fasthttp}; do
		p=$(free_port)
		"$tmp/floor" -mode "$m" -listen "127.0.0.1:$p" -upstream "127.0.0.1:$stub_port" &
		floor_pid[$m]=$!
		pids+=($!)
		wait_port "$p"
		url[floor-$m]="http://127.0.0.1:$p/u/bench/graphql/v2"
		targets+=("floor-$m")
	done
fi
declare -A rps cpu p99
# CPU ticks of a proxy: nginx's master and workers, or serve.
cpu_ticks() {
	local p total=0
	if [[ $1 == floor-* ]]; then
		awk '{ print $14 + $15 }' "/proc/${floor_pid[${1#floor-}]}/stat"
	elif [ "$1" = nginx ]; then
		for p in $(cat "$tmp/nginx.pid") $(pgrep -P "$(cat "$tmp/nginx.pid")"); do
			total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
		done
		echo "$total"
	else
		awk '{ print $14 + $15 }' "/proc/$serve_pid/stat"
	fi
}
# Every answer must be the upstream's 200: a refusal would be cheaper than
# forwarding, and would flatter the proxy.
check_answer() {
	local code
	code=$(curl -s -o "$tmp/answer" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data '{"query":"query Me { me { id name email } }","operationName":"Me"}' "${url[$1]}")
	[ "$code" = 200 ] && grep -q 'Bench User' "$tmp/answer" || { echo "$1 answered $code: $(cat "$tmp/answer")" >&2; exit 1; }
}
run() {
	local out v t0 t1
	t0=$(cpu_ticks "$1")
	out=$(wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency -s "$tmp/post.lua" "${url[$1]}")
	t1=$(cpu_ticks "$1")
	if grep -q 'Non-2xx' <<<"$out"; then echo "$1 answered non-2xx during the run:" >&2; echo "$out" >&2; exit 1; fi
	v=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	rps[$1]="${rps[$1]:-} $v"
	p99[$1]="${p99[$1]:-} $(awk '$1 == "99%" { print $2 }' <<<"$out")"
	cpu[$1]="${cpu[$1]:-} $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$v" -v d="$DURATION" \
		'BEGIN { printf "%.1f", t / hz * 1e6 / (n * d) }')"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for t in "${targets[@]}"; do check_answer "$t"; done
echo "wrk POST of a GraphQL query, $CONNS connections, $THREADS threads, $ROUNDS x ${DURATION}s per target, $(nproc) cores"
echo "(cpu: the proxy's CPU time per request; p99: of the median round's latencies, per round)"
for round in $(seq "$ROUNDS"); do
	for t in "${targets[@]}"; do run "$t"; done
done
n=$(median <<<"${rps[nginx]}") c=$(median <<<"${rps[chaperone]}")
printf 'nginx     %8.0f req/s  cpu %6s us/req  p99 %s\n' "$n" "$(median <<<"${cpu[nginx]}")" "$(tr ' ' '\n' <<<"${p99[nginx]}" | grep . | paste -sd' ')"
printf 'chaperone %8.0f req/s  cpu %6s us/req  p99 %s\n' "$c" "$(median <<<"${cpu[chaperone]}")" "$(tr ' ' '\n' <<<"${p99[chaperone]}" | grep . | paste -sd' ')"
printf 'chaperone / nginx: %.2fx (goal >= 0.80x)\n' "$(awk -v a="$c" -v b="$n" 'BEGIN { print a / b }')"
for f in "${targets[@]}"; do
	[[ $f == floor-* ]] || continue
	v=$(median <<<"${rps[$f]}")
	printf '%-15s %8.0f req/s  cpu %6s us/req  %.2fx nginx: no work of its own\n' "$f" "$v" "$(median <<<"${cpu[$f]}")" "$(awk -v a="$v" -v b="$n" 'BEGIN { print a / b }')"
done
