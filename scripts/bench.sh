#!/usr/bin/env bash
# `make bench`: send the May 2022 sample issue to N subscribers (default
# 100,000) through a local SMTP sink and print messages/second and peak RSS,
# next to the sink's own ceiling measured with smtp-source at the same message
# size and concurrency, in the same run on the same machine.
#   N=1000000 CONNECTIONS=8 make bench
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

N=${N:-100000}
CONNECTIONS=${CONNECTIONS:-8}
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

go build -o "$tmp/enews" ./cmd/enews

port=$(pg_free_port)
pg_start "$tmp/pg" "$port"
bin=$(pg_bin_dir)
"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres enews
sink_port=$(pg_free_port)

if command -v smtp-sink >/dev/null 2>&1 || [ -x /usr/sbin/smtp-sink ]; then
	sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
	user_flag=()
	[ "$(id -u)" = 0 ] && user_flag=(-u nobody)
	"$sink" "${user_flag[@]}" -c 127.0.0.1:"$sink_port" 1024 >/dev/null 2>&1 &
	sink_pid=$!
	sink_name="postfix smtp-sink"
else
	go build -o "$tmp/sink" ./internal/smtptest/sink
	"$tmp/sink" -addr 127.0.0.1:"$sink_port" >/dev/null &
	sink_pid=$!
	sink_name="enews test sink (go-smtp)"
fi
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null && break; sleep 0.1; done

export ENEWS_DATABASE_URL="postgres://postgres@127.0.0.1:$port/enews?sslmode=disable"
export ENEWS_SMTP_HOST=127.0.0.1 ENEWS_SMTP_PORT=$sink_port ENEWS_SMTP_TLS=none
export ENEWS_WEB_SECRET_KEY=bench-secret-bench-secret-bench-secret-0123
export ENEWS_SENDING_CONNECTIONS=$CONNECTIONS ENEWS_SENDING_BATCH_SIZE=${BATCH:-500} ENEWS_LOG_LEVEL=warn
export ENEWS_DATABASE_MAX_OPEN_CONNS=10
# A local sink has no DNS records to check: no compliance receipt.
export ENEWS_COMPLIANCE_BEFORE_SEND=off

"$tmp/enews" migrate >/dev/null
"$tmp/enews" items import configs/sample/items.json >/dev/null
"$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres enews -c \
	"INSERT INTO subscribers (email, name, status) SELECT 'reader' || g || '@example.org', 'Reader ' || g, 'active' FROM generate_series(1, $N) g"
"$tmp/enews" issue create --period 2022-05 >/dev/null
size=$("$tmp/enews" issue preview --period 2022-05 2>/dev/null | wc -c)
text=$("$tmp/enews" issue preview --period 2022-05 --text 2>/dev/null | wc -c)
size=$((size + text + 1500)) # both parts plus headers, as sent

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(go version | awk '{print $3}'); PostgreSQL $("$bin/postgres" --version | awk '{print $3}')"
echo "sink: $sink_name on 127.0.0.1:$sink_port; message ≈ $size bytes; connections $CONNECTIONS; subscribers $N"

ceiling=""
if command -v smtp-source >/dev/null 2>&1 || [ -x /usr/sbin/smtp-source ]; then
	src=$(command -v smtp-source || echo /usr/sbin/smtp-source)
	m=$((N < 50000 ? N : 50000))
	start=$(date +%s.%N)
	"$src" -c -l "$size" -m "$m" -s "$CONNECTIONS" -f bench@example.org -t sink@example.org 127.0.0.1:"$sink_port" >/dev/null
	end=$(date +%s.%N)
	ceiling=$(awk -v m="$m" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", m / (e - s) }')
	echo "sink ceiling (smtp-source, $m messages of $size bytes, $CONNECTIONS sessions): $ceiling msg/s"
else
	echo "sink ceiling: smtp-source not installed (apt-get install postfix), not measured"
fi

start=$(date +%s.%N)
/usr/bin/time -f "%M %U %S" -o "$tmp/rss" "$tmp/enews" ${PROFILE:+--cpuprofile "$PROFILE"} issue send --period 2022-05 --yes >"$tmp/send.log"
end=$(date +%s.%N)
rate=$(awk -v n="$N" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')
rss=$(awk '{ printf "%.1f", $1 / 1024 }' "$tmp/rss")
cpu=$(awk '{ printf "%.1f s user, %.1f s system", $2, $3 }' "$tmp/rss")
tail -2 "$tmp/send.log"
echo "enews: $N messages in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s = $rate msg/s, peak RSS $rss MB, CPU $cpu"
if [ -n "$ceiling" ]; then
	echo "ratio to the sink's ceiling: $(awk -v r="$rate" -v c="$ceiling" 'BEGIN { printf "%.0f%%", 100 * r / c }')"
fi
