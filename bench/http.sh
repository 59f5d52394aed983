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
#
#   bash bench/http.sh                       # defaults: 32 connections, 3 x 10 s
#   DURATION=30 ROUNDS=5 bash bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-3} CONNS=${CONNS:-32} THREADS=${THREADS:-2}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
	echo "bench/http: installing ${need[*]}" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
	[ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/chaperone" ./cmd/chaperone
go build -o "$tmp/apistub" ./bench/apistub

stub_port=$(free_port) nginx_port=$(free_port) chap_port=$(free_port)
"$tmp/apistub" -addr "127.0.0.1:$stub_port" &
pids+=($!)
wait_port "$stub_port"

mkdir "$tmp/nginx"
cat >"$tmp/nginx.conf" <<EOF
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	upstream api { server 127.0.0.1:$stub_port; keepalive 64; }
	server {
		listen 127.0.0.1:$nginx_port;
		location /u/bench/ {
			proxy_pass http://api/;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Authorization "Bearer BENCH-CREDENTIAL";
		}
	}
}
EOF
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp/nginx"
wait_port "$nginx_port"

"$tmp/chaperone" init --dir "$tmp/cfg" >/dev/null 2>&1
cfg="$tmp/cfg/chaperone.yaml"
"$tmp/chaperone" --config "$cfg" upstream add bench --kind http --provider railway --env staging \
	--url "http://127.0.0.1:$stub_port" --credential BENCH-CREDENTIAL >/dev/null
token=$("$tmp/chaperone" --config "$cfg" token create --env staging --upstream bench --name bench 2>/dev/null)
"$tmp/chaperone" --config "$cfg" --log-level warn serve --http-listen "127.0.0.1:$chap_port" --pg-listen 127.0.0.1:0 --proxy-listen "" &
serve_pid=$!
pids+=("$serve_pid")
wait_port "$chap_port"

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
declare -A rps cpu p99
# CPU ticks of a proxy: nginx's master and workers, or serve.
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
