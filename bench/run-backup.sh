#!/usr/bin/env bash
# Backup under load: runs bench/run-verify.sh (SQLite) and, 5 s into its
# throughput phase, `countersign backup` on the server's data directory; then
# restores the backup into a new directory and counts what came back.
# Prints the backup's time next to the bench's numbers. See docs/benchmarks.md.
# Usage: bench/run-backup.sh [--duration SECONDS] [--port PORT] [--no-build]
set -euo pipefail
duration=20 port=18099 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --port) port="$2"; shift ;;
    --no-build) build=0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
cs="$target/release/countersign"
T=$(mktemp -d -t countersign-backup-bench.XXXXXX); bench=""
trap '[ -n "$bench" ] && kill "$bench" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
[ "$build" = 1 ] && (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
"$root/bench/run-verify.sh" --no-build --duration "$duration" --port "$port" >"$T/bench.log" 2>&1 &
bench=$!
until grep -q "running (reuse" "$T/bench.log"; do
  sleep 0.2; kill -0 "$bench" 2>/dev/null || { cat "$T/bench.log"; exit 1; }
done
sleep 5
data=$(ls -dt "${TMPDIR:-/tmp}"/countersign-bench.* | head -1)
t0=$(date +%s.%N)
"$cs" --data-dir "$data" backup "$T/backup.csb"
t1=$(date +%s.%N)
wait "$bench"; bench=""
"$cs" --data-dir "$T/restored" restore "$T/backup.csb"
users=$("$cs" --data-dir "$T/restored" --json user list --limit 100000 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
grep -E "^== |^requests|^latency|errors" "$T/bench.log"
echo "backup during the throughput phase: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, $(du -h "$T/backup.csb" | cut -f1); restored $users users"
