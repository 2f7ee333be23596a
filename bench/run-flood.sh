#!/usr/bin/env bash
# Issue 24's flood bench: can one client that floods the sign-in pages with
# wrong passwords stall the other doors? Builds the release binaries (and
# copies them, so a concurrent build cannot swap them mid-run), starts
# `countersign serve` with a RADIUS listener (SQLite, or PostgreSQL with
# --postgres) and its default [limits], then:
#   (a) alone: RADIUS open loop at --rate (default 500/s) for --duration s;
#   (b) flood: the same, while flood-load keeps 16 connections posting
#       wrong passwords to /portal/login and /admin/login (each fetches the
#       form's csrf first, like a browser).
# Prints p50/p99/max and RADIUS timeouts of both, the flood's answers by
# status code, and the verdict: p99 during the flood <= max(3 x alone,
# 20 ms), 0 timeouts, and the flood answered 429. With --no-limits the
# per-address and global sign-in limits are off (the work pool alone).
# The load generators run on the same cores as the server. See docs/benchmarks.md.
#
# Usage: bench/run-flood.sh [--postgres] [--duration SECONDS] [--rate N]
#                           [--connections N] [--port PORT] [--results DIR]
#                           [--no-limits] [--no-build]
set -euo pipefail

database=sqlite duration=12 rate=500 connections=16 port=18480 results="" build=1 limits=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --duration) duration="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --port) port="$2"; shift ;;
    --results) results="$2"; shift ;;
    --no-limits) limits=0 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pg_admin="${COUNTERSIGN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
url="http://127.0.0.1:$port"
radius_port=$((port + 1))
data="$(mktemp -d -t countersign-flood-bench.XXXXXX)"
# shellcheck source=bench/server.sh
. "$root/bench/server.sh"
bench_trap

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi
mkdir -p "$data/bin"
for bin in countersign radius-load flood-load; do cp "$target/release/$bin" "$data/bin/"; done
countersign="$data/bin/countersign"
[ -z "$results" ] && results="$data/results"
mkdir -p "$results"

bench_database floodbench
secret="bench-radius-secret-$RANDOM$RANDOM"
printf '%s\n' "$secret" >"$data/radius.secret"
bench_api_key
export COUNTERSIGN_BENCH_RADIUS_SECRET="$secret"
"$countersign" --data-dir "$data" radius client add --name bench --address 127.0.0.1 \
  --secret-file "$data/radius.secret" >/dev/null
export COUNTERSIGN_RADIUS_LISTEN="127.0.0.1:$radius_port"
if [ "$limits" = 0 ]; then
  export COUNTERSIGN_LIMITS_SIGNIN_PER_ADDRESS=0 COUNTERSIGN_LIMITS_SIGNIN_GLOBAL=0
fi
bench_serve

run_id="flood$RANDOM"
radius() {
  "$data/bin/radius-load" --radius "127.0.0.1:$radius_port" --url "$url" --server-pid "$server" \
    --users 200 --run-id "$run_id" --duration "$duration" --rate "$rate" --concurrency 32 "$@"
}

bench_banner
echo "limits: $([ "$limits" = 1 ] && echo "defaults ([limits])" || echo "sign-in limits off (--no-limits): the work pool alone")"
echo
echo "== (a) RADIUS alone: open loop at $rate/s for $duration s =="
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
radius --setup --json-file "$results/alone.json" || true

echo
echo "== (b) RADIUS at $rate/s during a flood of $connections connections posting wrong passwords =="
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$data/bin/flood-load" --url "$url" --connections "$connections" \
  --duration "$(awk -v d="$duration" 'BEGIN { print d + 3 }')" \
  --json-file "$results/flood.json" >/dev/null &
flood=$!
sleep 1
radius --json-file "$results/during.json" || true
wait "$flood"

echo
echo "== the flood's answers =="
jq -c '{statuses, errors, latency_ms, elapsed_seconds}' "$results/flood.json"
echo
echo "== server: refusals counted on /metrics =="
curl -s "$url/metrics" | grep -E '^countersign_(rate_limited_total\{door="(portal|console)_signin"|work_pool_refused_total)' || true

# The verdict, from the JSON the generators wrote.
verdict="$(jq -rn --slurpfile a "$results/alone.json" --slurpfile d "$results/during.json" \
  --slurpfile f "$results/flood.json" '
  ($a[0].latency_ms) as $al | ($d[0].latency_ms) as $dl |
  ([$f[0].statuses[] | .["429"] // 0] | add) as $limited |
  (($d[0].errors.timeout // 0)) as $timeouts |
  ([($al.p99 * 3), 20] | max) as $bound |
  "alone:  p50 \($al.p50) ms  p99 \($al.p99) ms  max \($al.max) ms  timeouts \($a[0].errors.timeout // 0)\n" +
  "during: p50 \($dl.p50) ms  p99 \($dl.p99) ms  max \($dl.max) ms  timeouts \($timeouts)\n" +
  "p99 during <= max(3 x alone, 20 ms) = \($bound) ms: \(if $dl.p99 <= $bound then "yes" else "NO" end)\n" +
  "0 RADIUS timeouts: \(if $timeouts == 0 then "yes" else "NO" end)\n" +
  "flood answered 429: \($limited) times: \(if $limited > 0 then "yes" else "NO" end)\n" +
  (if $dl.p99 <= $bound and $timeouts == 0 and $limited > 0 then "PASS" else "FAIL" end)')"
echo
echo "== verdict =="
echo "$verdict"
[ "$(echo "$verdict" | tail -1)" = PASS ]
