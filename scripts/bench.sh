#!/usr/bin/env bash
# make bench: runs every script under bench/, keeps each one's full output,
# and writes bench/RESULTS.md: the machine, the date, each figure as a ratio
# against the baseline measured in the same run, and the command that
# reproduces it. A script that fails fails the run; RESULTS.md is then left
# as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

scripts=(hook pg http proxy backup policy corpus run)
for s in "${scripts[@]}"; do
	echo "== bench/$s.sh" >&2
	start=$(date +%s)
	bash "bench/$s.sh" >"$out/$s.txt" 2>"$out/$s.err" || { cat "$out/$s.err" "$out/$s.txt" >&2; echo "bench/$s.sh failed" >&2; exit 1; }
	echo "$(($(date +%s) - start))" >"$out/$s.secs"
	cat "$out/$s.txt" >&2
done

# Pick figures out of each script's summary lines.
field() { grep -m1 -- "$2" "$out/$1.txt" || true; }
num() { grep -oE -- "$1" <<<"$2" | head -1 | grep -oE '[0-9]+(\.[0-9]+)?' | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "?" }'; }

hook_base=$(num 'median +[0-9.]+' "$(field hook './baseline')")
hook_chp=$(num 'median +[0-9.]+' "$(field hook 'chaperone-hook')")
pg_simple=$(field pg '^simple')
pg_ext=$(field pg '^extended')
pg_writes=$(field pg '^writes')
pg_rss=$(field pg '^chaperone .*RSS')
pg_fg=$(field pg '^floor-goroutines') pg_fe=$(field pg '^floor-epoll')
http_fh=$(field http '^floor-http ') http_ff=$(field http '^floor-fasthttp')
http_n=$(num '^nginx +[0-9]+' "$(field http '^nginx ')")
http_c=$(num '^chaperone +[0-9]+' "$(field http '^chaperone ')")
proxy_g=$(num '[0-9]+ req/s' "$(field proxy '^chaperone /u/')")
proxy_p=$(num '[0-9]+ req/s' "$(field proxy '^chaperone proxy')")
proxy_n=$(num '[0-9]+ req/s' "$(field proxy '^nginx ')")
bk=$(field backup '^backup ')
rs=$(field backup '^restore ')
policy_ns=$(grep -E '^BenchmarkDecide/builtin' "$out/policy.txt" | awk '{ print $3 }' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
corpus=$(field corpus '^agreement:')
run_base=$(num 'median +[0-9.]+' "$(field run '^true ')")
run_chp=$(num 'median +[0-9.]+' "$(field run '^chaperone run')")

{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` ($(basename "$0")); every ratio compares Chaperone with a baseline measured in the same run, on the same machine."
	echo
	echo "- **Date:** $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- **Commit:** $(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "- **Machine:** $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.1f GiB", $2/1048576 }' /proc/meminfo) RAM, Linux $(uname -r)"
	echo "- **Software:** $(go version | awk '{ print $3 }'), PostgreSQL $(pg_dump --version | awk '{ print $3 }'), $(/usr/sbin/pgbouncer --version 2>/dev/null | head -1 || echo pgbouncer), $( (nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1) | sed 's/.*: //'), wrk $(wrk --version 2>&1 | head -1 | awk '{ print $2 }')"
	echo
	echo "| what | Chaperone | baseline | ratio | goal | reproduce |"
	echo "|---|---|---|---|---|---|"
	echo "| agent hook, one decision, whole process (median) | ${hook_chp} ms | ${hook_base} ms (a Go binary that reads the JSON and answers) | $(ratio "$hook_chp" "$hook_base") | ≤ 1.2x the baseline | \`bash bench/hook.sh\` |"
	echo "| PostgreSQL gateway, pgbench -S simple protocol | $(num 'chaperone +[0-9]+' "$pg_simple") tps | $(num 'pgbouncer +[0-9]+' "$pg_simple") tps (pgbouncer); $(num 'direct +[0-9]+' "$pg_simple") tps direct | $(num '[0-9.]+x pgbouncer' "$pg_simple")x | ≥ 1x pgbouncer | \`bash bench/pg.sh\` |"
	echo "| PostgreSQL gateway, pgbench -S extended protocol | $(num 'chaperone +[0-9]+' "$pg_ext") tps | $(num 'pgbouncer +[0-9]+' "$pg_ext") tps (pgbouncer); $(num 'direct +[0-9]+' "$pg_ext") tps direct | $(num '[0-9.]+x pgbouncer' "$pg_ext")x | ≥ 1x pgbouncer | \`bash bench/pg.sh\` |"
	echo "| PostgreSQL gateway, pgbench -N (writes; each transaction's COMMIT waits for its audit entries) | $(num 'chaperone +[0-9]+' "$pg_writes") tps | $(num 'pgbouncer +[0-9]+' "$pg_writes") tps (pgbouncer); $(num 'direct +[0-9]+' "$pg_writes") tps direct | $(num '[0-9.]+x pgbouncer' "$pg_writes")x | ≥ 1x pgbouncer | \`bash bench/pg.sh\` |"
	echo "| PostgreSQL gateway RSS, 200 idle clients | $(num '[0-9.]+ MiB with' "$pg_rss") MiB ($(num '[0-9.]+ MiB of it anonymous' "$pg_rss") MiB anonymous) | $(num '[0-9.]+ MiB with' "$(field pg '^pgbouncer .*RSS')") MiB (pgbouncer) | | ≤ 64 MiB, ≤ 32 MiB anonymous | \`bash bench/pg.sh\` |"
	echo "| cloud API gateway, small GraphQL POSTs (wrk) | ${http_c} req/s | ${http_n} req/s (nginx reverse proxy) | $(ratio "$http_c" "$http_n") | ≥ 0.8x nginx | \`bash bench/http.sh\` |"
	echo "| for scale: a Go proxy forwarding the bytes unread, pgbench -S simple | $(num '[0-9]+ tps' "$pg_fg") tps with two goroutines per connection (as Chaperone); $(num '[0-9]+ tps' "$pg_fe") tps with one epoll thread (as pgbouncer) | pgbouncer | $(num '[0-9.]+x pgbouncer' "$pg_fg")x; $(num '[0-9.]+x pgbouncer' "$pg_fe")x | | \`bash bench/pg.sh\` |"
	echo "| for scale: a Go reverse proxy doing no work of its own, same POSTs | $(num '[0-9]+ req/s' "$http_fh") req/s with net/http (as Chaperone); $(num '[0-9]+ req/s' "$http_ff") req/s with fasthttp | nginx | $(ratio "$(num '[0-9]+ req/s' "$http_fh")" "$http_n"); $(ratio "$(num '[0-9]+ req/s' "$http_ff")" "$http_n") | | \`bash bench/http.sh\` |"
	echo "| forward proxy (MITM of a provider host), small GraphQL POSTs | ${proxy_p} req/s | ${proxy_n} req/s (nginx reverse proxy); ${proxy_g} req/s (the same through /u/, $(ratio "$proxy_p" "$proxy_g")) | $(ratio "$proxy_p" "$proxy_n") | ≥ 0.7x nginx | \`bash bench/proxy.sh\` |"
	echo "| backup of a database | $(num 'backup run +[0-9.]+' "$bk") s | $(num 'pg_dump -Fc +[0-9.]+' "$bk") s (pg_dump -Fc) | $(num '[0-9.]+x pg_dump' "$bk")x | ≤ 1x pg_dump | \`bash bench/backup.sh\` |"
	echo "| restore of that backup | $(num 'backup restore +[0-9.]+' "$rs") s | $(num 'pg_restore +[0-9.]+' "$rs") s (pg_restore) | $(num '[0-9.]+x pg_restore' "$rs")x | ≤ 1x pg_restore | \`bash bench/backup.sh\` |"
	echo "| policy decision, built-in rules (median of 5) | ${policy_ns} ns | | | ≤ 2 µs | \`bash bench/policy.sh\` |"
	echo "| \`chaperone run -- true\`, start-up of a confined command (median) | ${run_chp} ms | ${run_base} ms (\`true\` alone) | $(ratio "$run_chp" "$run_base") | | \`bash bench/run.sh\` |"
	echo "| shell guard agreement with the dcg corpus | ${corpus#agreement: } | | | | \`bash bench/corpus.sh\` |"
	echo
	echo "Each script's own output follows, as it printed it."
	for s in "${scripts[@]}"; do
		echo
		echo "## bench/$s.sh ($(cat "$out/$s.secs") s)"
		echo
		echo '```'
		if [ "$s" = corpus ]; then grep -v $'\t' "$out/$s.txt"; else cat "$out/$s.txt"; fi
		echo '```'
	done
} >"$out/RESULTS.md"
mv "$out/RESULTS.md" bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
