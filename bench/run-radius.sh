#!/usr/bin/env bash
# Benchmarks the RADIUS door: builds the release binaries, starts
# `countersign serve` with a RADIUS listener on a temporary data directory
# (SQLite, or a fresh PostgreSQL database with --postgres), adds 127.0.0.1 as
# an otp-flow client and runs radius-load with fresh users:
#   (a) the most it can do: closed loop, concurrency 32, 10% wrong codes;
#   (b) latency at a fixed rate (open loop, --rate, default 2,000/s).
# Everything it made is removed on exit. See docs/benchmarks.md.
#
# Usage: bench/run-radius.sh [--postgres] [--duration SECONDS] [--users N]
#                            [--rate N] [--port PORT] [--results DIR]
#                            [--closed-only] [--no-build]
# Environment: COUNTERSIGN_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432),
# CARGO_TARGET_DIR (where the release binaries are); COUNTERSIGN_* variables reach the server.
set -euo pipefail

database=sqlite duration=20 users=1000 rate=2000 port=18380 results="" build=1 open_loop=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --duration) duration="$2"; shift ;;
    --users) users="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --port) port="$2"; shift ;;
    --results) results="$2"; shift ;;
    --closed-only) open_loop=0 ;;
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
radius_port=$((port + 1))
data="$(mktemp -d -t countersign-radius-bench.XXXXXX)"
# shellcheck source=bench/server.sh
. "$root/bench/server.sh"
bench_trap

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi
countersign="$target/release/countersign"
radius_load="$target/release/radius-load"

bench_database radbench

secret="bench-radius-secret-$RANDOM$RANDOM"
printf '%s\n' "$secret" >"$data/radius.secret"
bench_api_key
export COUNTERSIGN_BENCH_RADIUS_SECRET="$secret"
"$countersign" --data-dir "$data" radius client add --name bench --address 127.0.0.1 \
  --secret-file "$data/radius.secret" >/dev/null
export COUNTERSIGN_RADIUS_LISTEN="127.0.0.1:$radius_port"
bench_serve

status=0
phase() {
  local name="$1"; shift
  echo
  echo "== $name: $database, $(nproc) cores shared by the server and the load generator =="
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
  "$radius_load" --radius "127.0.0.1:$radius_port" --url "$url" --server-pid "$server" \
    --setup --users "$users" --duration "$duration" --concurrency 32 \
    ${results:+--json-file "$results/radius-$database-$name.json"} "$@" || status=1
}

[ -n "$results" ] && mkdir -p "$results"
bench_banner
phase throughput
[ "$open_loop" = 1 ] && phase latency --rate "$rate"
exit "$status"
