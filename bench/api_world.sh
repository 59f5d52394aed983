# Sourced by bench/http.sh and bench/proxy.sh: the world both measure in.
# A local API (bench/apistub), nginx as a plain reverse proxy in front of
# it, and chaperone serve with one http upstream for it; then a token.
# Sourcing it makes the scratch directory $tmp and the pids array, both
# cleaned up on exit; api_world needs NGINX, and sets stub_port,
# nginx_port, chap_port, cfg, token and serve_pid. Its $1 is serve's
# --proxy-listen ("" for none).

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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }

api_world() {
	local proxy_listen=$1
	go build -o "$tmp/chaperone" ./cmd/chaperone
	go build -o "$tmp/apistub" ./bench/apistub
	stub_port=$(free_port) nginx_port=$(free_port) chap_port=$(free_port)
	"$tmp/apistub" -addr "127.0.0.1:$stub_port" &
	pids+=($!)
	wait_port "$stub_port"

	mkdir "$tmp/nginx"
	cat >"$tmp/nginx.conf" <<CONF
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
CONF
	"$NGINX" -c "$tmp/nginx.conf" -p "$tmp/nginx"
	wait_port "$nginx_port"

	"$tmp/chaperone" init --dir "$tmp/cfg" >/dev/null 2>&1
	cfg="$tmp/cfg/chaperone.yaml"
	"$tmp/chaperone" --config "$cfg" upstream add bench --kind http --provider railway --env staging \
		--url "http://127.0.0.1:$stub_port" --credential BENCH-CREDENTIAL >/dev/null
	token=$("$tmp/chaperone" --config "$cfg" token create --env staging --upstream bench --name bench 2>/dev/null)
	"$tmp/chaperone" --config "$cfg" --log-level warn serve --http-listen "127.0.0.1:$chap_port" --pg-listen 127.0.0.1:0 \
		--proxy-listen "$proxy_listen" &
	serve_pid=$!
	pids+=("$serve_pid")
	wait_port "$chap_port"
}
