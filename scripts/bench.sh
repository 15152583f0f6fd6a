#!/usr/bin/env bash
# `make bench`: send the May 2022 sample issue to N subscribers (default
# 100,000) through a local SMTP sink and print messages/second, peak RSS and
# CPU, next to the sink's own ceiling measured with smtp-source at the same
# message size and concurrency, in the same run on the same machine.
#   SINK=go|postfix|both (default both: postfix's smtp-sink, then the
#   project's own test server in its counting mode)
#   N=1000000 make bench
#   CONNECTIONS=8 BATCH=500 make bench   # instead of the configured defaults
#   PROFILE=/tmp/cpu.prof make bench     # a CPU profile of the (last) send
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

N=${N:-100000}
SINK=${SINK:-both}
tmp=$(mktemp -d /tmp/enews-bench.XXXXXX)
chmod 755 "$tmp"
sink_pid=""
cleanup() {
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
	pg_stop "$tmp/pg" immediate
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$SINK" in
go) sinks=(go) ;;
postfix) sinks=(postfix) ;;
both) sinks=(postfix go) ;;
*) echo "bench: SINK=$SINK: want go, postfix or both" >&2; exit 2 ;;
esac
postfix_bin() { command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true; }
src=$(postfix_bin smtp-source)
if [ -z "$src" ]; then
	echo "bench: smtp-source (postfix) measures each sink's ceiling: apt-get install postfix" >&2
	exit 2
fi

go build -o "$tmp/enews" ./cmd/enews
go build -o "$tmp/sink" ./internal/smtptest/sink

port=$(pg_free_port)
pg_start "$tmp/pg" "$port"
bin=$(pg_bin_dir)
psql() { "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres enews "$@"; }
"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres enews

export ENEWS_DATABASE_URL="postgres://postgres@127.0.0.1:$port/enews?sslmode=disable"
export ENEWS_SMTP_TLS=none ENEWS_SMTP_HOST=127.0.0.1
export ENEWS_WEB_SECRET_KEY=bench-secret-bench-secret-bench-secret-0123 ENEWS_LOG_LEVEL=warn
[ -n "${CONNECTIONS:-}" ] && export ENEWS_SENDING_CONNECTIONS=$CONNECTIONS
[ -n "${BATCH:-}" ] && export ENEWS_SENDING_BATCH_SIZE=$BATCH
# A local sink has no DNS records to check: no compliance receipt.
export ENEWS_COMPLIANCE_BEFORE_SEND=off
connections=$("$tmp/enews" config | awk '$1 == "connections:" { print $2; exit }')
batch=$("$tmp/enews" config | awk '$1 == "batch_size:" { print $2; exit }')

# PostgreSQL's CPU seconds so far: the postmaster with its reaped backends
# (cutime, cstime), plus every live child. Compared before and after a send.
pg_cpu() {
	local pm tick
	pm=$(head -1 "$tmp/pg/postmaster.pid")
	tick=$(getconf CLK_TCK)
	{
		awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
		for c in $(cat "/proc/$pm/task/$pm/children"); do
			awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || true
		done
	} | awk -v t="$tick" '{ s += $1 } END { printf "%.2f", s / t }'
}

# proc_cpu PID: a live process's CPU seconds so far, its threads included.
proc_cpu() {
	awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"
}

"$tmp/enews" migrate >/dev/null
"$tmp/enews" items import configs/sample/items.json >/dev/null
psql -c "INSERT INTO subscribers (email, name, status) SELECT 'reader' || g || '@example.org', 'Reader ' || g, 'active' FROM generate_series(1, $N) g"
"$tmp/enews" issue create --period 2022-05 >/dev/null
size=$("$tmp/enews" issue preview --period 2022-05 2>/dev/null | wc -c)
text=$("$tmp/enews" issue preview --period 2022-05 --text 2>/dev/null | wc -c)
size=$((size + text + 1500)) # both parts plus headers, as sent

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(go version | awk '{print $3}'); PostgreSQL $("$bin/postgres" --version | awk '{print $3}')"
echo "message ≈ $size bytes; subscribers $N; connections $connections, batch $batch"

for sink in "${sinks[@]}"; do
	sink_port=$(pg_free_port)
	if [ "$sink" = postfix ]; then
		s=$(postfix_bin smtp-sink)
		[ -n "$s" ] || { echo "bench: smtp-sink missing: apt-get install postfix" >&2; exit 2; }
		user_flag=()
		[ "$(id -u)" = 0 ] && user_flag=(-u nobody)
		"$s" "${user_flag[@]}" -c 127.0.0.1:"$sink_port" 1024 >/dev/null 2>&1 &
		name="postfix smtp-sink"
	else
		"$tmp/sink" -addr 127.0.0.1:"$sink_port" >/dev/null &
		name="enews test sink (go-smtp, counting)"
	fi
	sink_pid=$!
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null && break; sleep 0.1; done

	m=$((N < 50000 ? N : 50000))
	start=$(date +%s.%N)
	"$src" -c -l "$size" -m "$m" -s "$connections" -f bench@example.org -t sink@example.org 127.0.0.1:"$sink_port" >/dev/null
	end=$(date +%s.%N)
	ceiling=$(awk -v m="$m" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", m / (e - s) }')

	# A fresh ledger for each sink: the same issue, approved again, and the
	# deleted rows vacuumed away, so the second sink's run does not walk the
	# first one's dead tuples.
	psql -c "DELETE FROM deliveries; UPDATE issues SET status = 'draft', approved_at = NULL, started_at = NULL, sent_at = NULL"
	psql -c "VACUUM ANALYZE deliveries, issues"
	pg_before=$(pg_cpu)
	sink_before=$(proc_cpu "$sink_pid")
	start=$(date +%s.%N)
	ENEWS_SMTP_PORT=$sink_port /usr/bin/time -f "%M %U %S" -o "$tmp/rss" "$tmp/enews" ${PROFILE:+--cpuprofile "$PROFILE"} \
		issue send --period 2022-05 --yes >"$tmp/send.log"
	end=$(date +%s.%N)
	pg_after=$(pg_cpu)
	sink_after=$(proc_cpu "$sink_pid")
	secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
	rate=$(awk -v n="$N" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')
	rss=$(awk '{ printf "%.1f", $1 / 1024 }' "$tmp/rss")
	cpu=$(awk -v n="$N" '{ printf "%.1f s user + %.1f s system = %.3f ms/message", $2, $3, 1000 * ($2 + $3) / n }' "$tmp/rss")
	echo "--- $name on 127.0.0.1:$sink_port"
	echo "ceiling (smtp-source, $m messages of $size bytes, $connections sessions): $ceiling msg/s"
	echo "enews: $N messages in $secs s = $rate msg/s, peak RSS $rss MB, CPU $cpu"
	echo "sink: $(awk -v a="$sink_before" -v b="$sink_after" -v n="$N" 'BEGIN { printf "%.1f s CPU = %.3f ms/message", b - a, 1000 * (b - a) / n }')"
	echo "PostgreSQL: $(awk -v a="$pg_before" -v b="$pg_after" -v n="$N" 'BEGIN { printf "%.1f s CPU = %.3f ms/message", b - a, 1000 * (b - a) / n }')"
	echo "ratio to the ceiling: $(awk -v r="$rate" -v c="$ceiling" 'BEGIN { printf "%.2f×", r / c }')"
	kill "$sink_pid" 2>/dev/null || true
	wait "$sink_pid" 2>/dev/null || true
	sink_pid=""
done
