# Sourced by the bench scripts: a release `countersign serve` on a temporary
# data directory (SQLite, or a fresh PostgreSQL database), an API key for the
# load generators, and everything removed on exit.
#
# The caller sets: database (sqlite|postgres), port, pg_admin, url, data, and
# calls bench_trap once, bench_database, bench_api_key, then bench_serve.
server="" pg_db=""

bench_cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    psql -q "$pg_admin/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$data"
}

bench_trap() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# A fresh PostgreSQL database for --postgres, named after the bench ($1).
bench_database() {
  if [ "$database" = postgres ]; then
    pg_db="cs_${1}_$$_$RANDOM"
    psql -q "$pg_admin/postgres" -c "CREATE DATABASE $pg_db" >/dev/null
    export COUNTERSIGN_DATABASE_URL="$pg_admin/$pg_db"
  fi
  if curl -s -o /dev/null "$url/healthz"; then
    echo "something already answers on port $port: pick another with --port" >&2
    exit 1
  fi
}

bench_api_key() {
  COUNTERSIGN_API_KEY="$("$countersign" --data-dir "$data" apikey create --name bench --scope verify,admin 2>/dev/null)"
  export COUNTERSIGN_API_KEY
}

# Starts the server (logs at its default level go to a file, as in
# production) and waits until it answers /healthz. The load generators
# verify with one API key: its rate limit (limits.verify_per_key) is off
# unless the caller sets it.
bench_serve() {
  export COUNTERSIGN_LIMITS_VERIFY_PER_KEY="${COUNTERSIGN_LIMITS_VERIFY_PER_KEY:-0}"
  "$countersign" --data-dir "$data" serve --listen "127.0.0.1:$port" >"$data/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    curl -sf "$url/healthz" >/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
    sleep 0.1
  done
}

bench_banner() {
  echo "$("$countersign" --version) ($(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)) on $database; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $(date -u +%FT%TZ)"
}
