#!/usr/bin/env bash
# `make run`: the whole product on local defaults. With nothing configured it
# starts a local PostgreSQL (data in .data/postgres, kept across runs) and
# Mailpit, migrates, loads the sample items and subscribers, and runs
# `enews serve`. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

data=$PWD/.data
mkdir -p "$data/bin"
chmod 755 "$data"
pids=()
started_pg=""
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "$started_pg" ]; then
		echo "stopping PostgreSQL"
		pg_stop "$started_pg"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building enews"
go build -o "$data/bin/enews" ./cmd/enews
enews=$data/bin/enews

if [ -z "${ENEWS_DATABASE_URL:-}" ]; then
	port=${ENEWS_DEV_PG_PORT:-54329}
	if ! pg_running_port "$data/postgres" >/dev/null || ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "starting PostgreSQL on 127.0.0.1:$port (data in .data/postgres)"
		rm -f "$data/postgres/postmaster.pid" 2>/dev/null || true
		pg_start "$data/postgres" "$port"
		started_pg=$data/postgres
	fi
	bin=$(pg_bin_dir)
	"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='enews'" 2>/dev/null | grep -q 1 ||
		"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres enews
	export ENEWS_DATABASE_URL="postgres://postgres@127.0.0.1:$port/enews?sslmode=disable"
fi

mailpit_ui=""
if [ -z "${ENEWS_SMTP_HOST:-}" ]; then
	if [ ! -x "$data/bin/mailpit" ]; then
		echo "building Mailpit (first run only)"
		GOBIN="$data/bin" go install github.com/axllent/mailpit@v1.33.1
	fi
	"$data/bin/mailpit" --listen 127.0.0.1:8025 --smtp 127.0.0.1:1025 --database "$data/mailpit.db" >"$data/mailpit.log" 2>&1 &
	pids+=($!)
	export ENEWS_SMTP_HOST=127.0.0.1 ENEWS_SMTP_PORT=1025 ENEWS_SMTP_TLS=none
	mailpit_ui=http://127.0.0.1:8025
fi

if [ -z "${ENEWS_WEB_SECRET_KEY:-}${ENEWS_WEB_SECRET_KEY_FILE:-}" ]; then
	[ -s "$data/secret_key" ] || (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n=+/' >"$data/secret_key")
	export ENEWS_WEB_SECRET_KEY_FILE=$data/secret_key
fi

"$enews" migrate
# A demo admin for the console, made only when there is no admin yet, with
# a fresh random password shown once below (nothing keeps it).
demo_admin=admin@example.org
demo_password=""
if [ "$("$enews" users list --role admin | wc -l)" -le 1 ]; then
	demo_password=$(head -c 18 /dev/urandom | base64 | tr -d '\n=+/')
	printf '%s\n' "$demo_password" | "$enews" users add --email "$demo_admin" --role admin --name "Demo admin" >/dev/null
fi
"$enews" items import configs/sample/items.json
"$enews" subscribers import configs/sample/subscribers.csv
# The whole loop at once: the May 2022 sample issue is created, frozen and
# sent to the sample subscribers (a second run finds it sent and does nothing).
# The local demo has neither https nor DNS records: no compliance receipt,
# neither here nor for the sends of serve below.
export ENEWS_COMPLIANCE_BEFORE_SEND=${ENEWS_COMPLIANCE_BEFORE_SEND:-off}
"$enews" issue send --period 2022-05 --yes

cat <<MSG

enews is running.
  the May 2022 issue:       ${ENEWS_WEB_BASE_URL:-http://127.0.0.1:8080}/archive/2022-05
  subscribe page:           ${ENEWS_WEB_BASE_URL:-http://127.0.0.1:8080}/subscribe
  console:                  ${ENEWS_WEB_BASE_URL:-http://127.0.0.1:8080}/admin/
  metrics and status:       http://${ENEWS_WEB_OPS_LISTEN:-127.0.0.1:9090}/metrics, /statusz
MSG
[ -n "$mailpit_ui" ] && echo "  mail (Mailpit):           $mailpit_ui"
if [ -n "$demo_password" ]; then
	cat <<MSG

  A console admin was made for this demo; its password is shown this once:
    email:    $demo_admin
    password: $demo_password
  Change it with: enews users set-password --email $demo_admin
MSG
fi
echo "Press Ctrl-C to stop."
echo

"$enews" serve &
pids+=($!)
wait "${pids[-1]}"
