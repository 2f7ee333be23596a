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
#                            [--port PORT] [--results DIR] [--no-build] [--rules N]
# --rules N: N sign-in rules configured first (docs/policy.md), none of which
# matches the bench's API sign-ins: the cost of evaluating them all.
# Environment: COUNTERSIGN_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432),
# CARGO_TARGET_DIR; COUNTERSIGN_* variables reach the server (e.g. COUNTERSIGN_LOG_LEVEL).
set -euo pipefail

database=sqlite duration=20 users=1000 port=18080 results="" build=1 rules=0
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --duration) duration="$2"; shift ;;
    --users) users="$2"; shift ;;
    --port) port="$2"; shift ;;
    --results) results="$2"; shift ;;
    --no-build) build=0 ;;
    --rules) rules="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pg_admin="${COUNTERSIGN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
url="http://127.0.0.1:$port"
data="$(mktemp -d -t countersign-bench.XXXXXX)"
# shellcheck source=bench/server.sh
. "$root/bench/server.sh"
bench_trap

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi
countersign="$target/release/countersign"
verify_load="$target/release/verify-load"

bench_database bench

bench_api_key
# Rules of every kind, none matching the bench's API key door: each attempt
# evaluates all of them (groups are not read: no group rule is reached).
for i in $(seq 1 "$rules"); do
  case $((i % 4)) in
    0) "$countersign" --data-dir "$data" rule add "r$i" --doors "radius:nas$i" --outcome deny >/dev/null ;;
    1) "$countersign" --data-dir "$data" rule add "r$i" --networks "10.$i.0.0/16" --outcome skip_second_factor >/dev/null ;;
    2) "$countersign" --data-dir "$data" rule add "r$i" --groups "g$i" --doors "ldap:apps$i" --outcome allow --methods push >/dev/null ;;
    3) "$countersign" --data-dir "$data" rule add "r$i" --doors "api:other$i" --hours 08:00-18:00 --time-zone Europe/Berlin --outcome deny >/dev/null ;;
  esac
done
bench_serve

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
bench_banner
phase throughput
phase latency --rate 1000
exit "$status"
