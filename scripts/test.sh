#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL. With
# ENEWS_TEST_DATABASE_URL set it uses that server; otherwise it starts a
# throwaway cluster in a temporary directory and removes it afterwards, also
# when the tests fail or are interrupted. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

if [ -z "${ENEWS_TEST_DATABASE_URL:-}" ]; then
	tmp=$(mktemp -d /tmp/enews-test-pg.XXXXXX)
	chmod 755 "$tmp"
	cleanup() {
		pg_stop "$tmp/data" immediate
		rm -rf "$tmp"
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	port=$(pg_free_port)
	# Durability is pointless for a throwaway cluster and slows every test.
	ENEWS_PG_FSYNC=off ENEWS_PG_SYNC_COMMIT=off pg_start "$tmp/data" "$port"
	export ENEWS_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	echo "test database: throwaway PostgreSQL $("$(pg_bin_dir)/postgres" --version | awk '{print $3}') on port $port"
fi

if [ "${CI:-}" = true ]; then
	# In CI, list every test by name (so the log shows which ran against
	# PostgreSQL and SMTP), keeping failure output and dropping the chatter.
	go test -count=1 -v "${@:-./...}" | grep -vE '^=== (RUN|PAUSE|CONT|NAME)'
else
	go test -count=1 "${@:-./...}"
fi
