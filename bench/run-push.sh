#!/usr/bin/env bash
# Benchmarks push approval with many idle device streams: builds the release
# binaries, and for each stream count (default 1,000 then 10,000) starts a
# fresh `countersign serve` on a temporary data directory (SQLite, or a fresh
# PostgreSQL database with --postgres), makes an API key with the CLI and runs
# push-load: it enrols one user and device per stream, holds the streams
# open and idle, reads the server's RSS, then drives verify(push) → event on
# the stream → signed approve with the number → long-poll returns accepted,
# first closed loop (--concurrency in flight), then open loop at --rate.
# The 100,000-stream figure it prints is a linear extrapolation from the
# measured RSS per stream, not a measurement. Everything it made is removed
# on exit. See docs/benchmarks.md.
#
# Usage: bench/run-push.sh [--postgres] [--streams "1000 10000"] [--pushes M]
#                          [--concurrency C] [--rate R] [--port PORT] [--no-build]
#                          [--bin DIR]
# --bin DIR takes countersign and push-load from DIR (no build): binaries
# copied aside right after building, which a build by someone else in the
# shared target directory cannot replace.
# Environment: COUNTERSIGN_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432),
# CARGO_TARGET_DIR; COUNTERSIGN_* variables reach the server.
set -euo pipefail

database=sqlite sizes="1000 10000" pushes=5000 concurrency=8 rate=100 port=18090 build=1 from=""
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --streams) sizes="$2"; shift ;;
    --pushes) pushes="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --port) port="$2"; shift ;;
    --no-build) build=0 ;;
    --bin) from="$2"; build=0; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pg_admin="${COUNTERSIGN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
url="http://127.0.0.1:$port"
data="" server="" pg_db="" bin=""

stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=""
  if [ -n "$pg_db" ]; then
    psql -q "$pg_admin/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
  fi
  pg_db=""
  if [ -n "$data" ]; then rm -rf "$data"; fi
  data=""
}
cleanup() {
  stop_server
  if [ -n "$bin" ]; then rm -rf "$bin"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each stream is an open socket in the server and in the generator.
largest=0
for n in $sizes; do [ "$n" -gt "$largest" ] && largest=$n; done
want=$((largest + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "open files limit: $(ulimit -n) (for $largest streams)"

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench --bin countersign --bin push-load)
fi
# Copies, so that a rebuild in the shared target directory cannot swap them mid-run.
bin="$(mktemp -d -t countersign-push-bin.XXXXXX)"
cp "${from:-$target/release}/countersign" "${from:-$target/release}/push-load" "$bin/"
countersign="$bin/countersign"
push_load="$bin/push-load"

# Pushes go round-robin over the users: the limits allow 60 a minute each.
export COUNTERSIGN_PUSH_PER_MINUTE=60 COUNTERSIGN_PUSH_PER_HOUR=1000
# An activation then makes no TOTP token (offline codes are not what is measured).
export COUNTERSIGN_PUSH_OFFLINE_CODES=false
# Every stream comes from this one address: no per-address connection cap
# (http.max_connections_per_address, 256 by default, is for real clients).
export COUNTERSIGN_HTTP_MAX_CONNECTIONS_PER_ADDRESS=0

start_server() {
  data="$(mktemp -d -t countersign-push-bench.XXXXXX)"
  if [ "$database" = postgres ]; then
    pg_db="cs_push_bench_$$_$RANDOM"
    psql -q "$pg_admin/postgres" -c "CREATE DATABASE $pg_db" >/dev/null
    export COUNTERSIGN_DATABASE_URL="$pg_admin/$pg_db"
  fi
  if curl -s -o /dev/null "$url/healthz"; then
    echo "something already answers on port $port: pick another with --port" >&2
    exit 1
  fi
  COUNTERSIGN_API_KEY="$("$countersign" --data-dir "$data" apikey create --name bench --scope verify,admin 2>/dev/null)"
  export COUNTERSIGN_API_KEY
  # Logs at the server's default level go to a file, as in production.
  "$countersign" --data-dir "$data" serve --listen "127.0.0.1:$port" >"$data/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    curl -sf "$url/healthz" >/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "the server did not answer on $url within 10 s" >&2
  exit 1
}

echo "$("$countersign" --version) ($(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)) on $database; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared by the server and the generator; $(date -u +%FT%TZ)"
status=0
for n in $sizes; do
  start_server
  echo
  echo "=== $n streams: $database, server pid $server ==="
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
  for kind in cpu io; do
    [ -r "/proc/pressure/$kind" ] && echo "$kind pressure: $(head -1 "/proc/pressure/$kind")"
  done
  "$push_load" --url "$url" --server-pid "$server" --streams "$n" --pushes "$pushes" \
    --concurrency "$concurrency" --rate "$rate" --max-seconds 1200 ${pg_db:+--database-process "$pg_db"} || status=1
  warnings="$(grep -cE '"level":"(ERROR|WARN)"|\b(ERROR|WARN)\b' "$data/server.log" || true)"
  if [ "$warnings" -gt 0 ]; then
    echo "server log: $warnings warnings and errors; the first 3 (cut at 400 characters):"
    grep -m 3 -E '"level":"(ERROR|WARN)"|\b(ERROR|WARN)\b' "$data/server.log" | cut -c 1-400
  fi
  stop_server
done
exit "$status"
