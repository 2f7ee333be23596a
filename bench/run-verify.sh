#!/usr/bin/env bash
# Benchmarks POST /api/v1/verify: builds the release binaries, starts
# `countersign serve` on a temporary data directory (SQLite, or a fresh
# PostgreSQL database with --postgres), makes an API key with the CLI and runs
# verify-load twice with fresh users:
#   (a) the most it can do: closed loop, concurrency 64, 10% wrong codes;
#   (b) latency at a fixed 1,000 req/s (open loop), 10% wrong codes.
# Everything it made is removed on exit. See docs/benchmarks.md.
#
# Usage: bench/run-verify.sh [--postgres] [--duration SECONDS] [--users N]
#                            [--port PORT] [--results DIR] [--no-build]
# Environment: COUNTERSIGN_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432),
# CARGO_TARGET_DIR; COUNTERSIGN_* variables reach the server (e.g. COUNTERSIGN_LOG_LEVEL).
set -euo pipefail

database=sqlite duration=20 users=1000 port=18080 results="" build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --duration) duration="$2"; shift ;;
    --users) users="$2"; shift ;;
    --port) port="$2"; shift ;;
    --results) results="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pg_admin="${COUNTERSIGN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
url="http://127.0.0.1:$port"
data="$(mktemp -d -t countersign-bench.XXXXXX)"
server="" pg_db=""

cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    psql -q "$pg_admin/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi
countersign="$target/release/countersign"
verify_load="$target/release/verify-load"

if [ "$database" = postgres ]; then
  pg_db="cs_bench_$$_$RANDOM"
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
  curl -sf "$url/healthz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
  sleep 0.1
done

# CPU seconds used so far by the PostgreSQL processes (their share of the cores).
postgres_cpu() {
  local stats
  stats="$(pgrep -u postgres | sed 's|.*|/proc/&/stat|')"
  # shellcheck disable=SC2086 # one path per word
  awk -v t="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { printf "%.2f", s / t }' $stats 2>/dev/null
}

status=0
phase() {
  local name="$1" pg_before=""; shift
  [ "$database" = postgres ] && pg_before="$(postgres_cpu)"
  echo
  echo "== $name: $database, $(nproc) cores shared by the server and the load generator =="
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
  "$verify_load" --url "$url" --setup --users "$users" --concurrency 64 --duration "$duration" \
    --invalid-ratio 0.1 --server-pid "$server" ${results:+--json-file "$results/$database-$name.json"} "$@" || status=1
  if [ -n "$pg_before" ]; then
    echo "PostgreSQL CPU $(awk -v a="$(postgres_cpu)" -v b="$pg_before" 'BEGIN { printf "%.2f", a - b }') s (setup and run)"
  fi
}

[ -n "$results" ] && mkdir -p "$results"
echo "$("$countersign" --version) ($(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)) on $database; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $(date -u +%FT%TZ)"
phase throughput
phase latency --rate 1000
exit "$status"
