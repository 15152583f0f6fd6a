# shellcheck shell=bash
# Helpers to run a private PostgreSQL cluster from the system's server binaries.
# Sourced by test.sh, run.sh and bench.sh. initdb refuses to run as root, so as
# root the cluster runs as the unprivileged user "nobody"; as a normal user it
# runs as that user.

pg_bin_dir() {
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(readlink -f "$(command -v initdb)")"
		return 0
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	cat >&2 <<'MSG'
enews: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin.
Install them, for example on Debian or Ubuntu:
    sudo apt-get update && sudo apt-get install -y postgresql
or point the tests at a server you already run:
    export ENEWS_TEST_DATABASE_URL='postgres://user:pass@localhost:5432/postgres?sslmode=disable'
MSG
	return 1
}

# pg_as_owner runs a command as the cluster's owner.
pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

# pg_free_port prints a TCP port on 127.0.0.1 that nothing answers on.
pg_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "enews: no free port found" >&2
	return 1
}

# pg_start DATADIR PORT: initialises DATADIR when empty, then starts the server
# on 127.0.0.1:PORT with trust authentication (local, throwaway use only).
pg_start() {
	local dir=$1 port=$2 bin
	bin=$(pg_bin_dir) || return 1
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then
		chown nobody:nogroup "$dir"
		if ! setpriv --reuid=nobody --regid=nogroup --clear-groups -- test -w "$dir"; then
			echo "enews: $dir is not reachable by user nobody (a parent directory is not world-executable); clone the project somewhere like /tmp or /srv, or run as a normal user" >&2
			return 1
		fi
	fi
	chmod 700 "$dir"
	if [ ! -f "$dir/PG_VERSION" ]; then
		pg_as_owner "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 || {
			cat "$dir.initdb.log" >&2
			return 1
		}
		rm -f "$dir.initdb.log"
	fi
	pg_as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c max_connections=200 -c fsync=${ENEWS_PG_FSYNC:-on} -c full_page_writes=${ENEWS_PG_FSYNC:-on} -c synchronous_commit=${ENEWS_PG_SYNC_COMMIT:-on}" \
		start >/dev/null || {
		tail -20 "$dir/server.log" >&2
		return 1
	}
}

# pg_stop DATADIR [MODE]
pg_stop() {
	local dir=$1 mode=${2:-fast} bin
	bin=$(pg_bin_dir) || return 1
	[ -f "$dir/postmaster.pid" ] || return 0
	pg_as_owner "$bin/pg_ctl" -D "$dir" -m "$mode" -w stop >/dev/null 2>&1 || true
}

# pg_running_port DATADIR prints the port of a running cluster, if any.
pg_running_port() {
	local dir=$1
	[ -f "$dir/postmaster.pid" ] || return 1
	sed -n 4p "$dir/postmaster.pid"
}
