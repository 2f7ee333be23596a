#!/usr/bin/env bash
# Where the audit stream's CPU goes (issue 29): the release server without
# and with [audit.syslog] (TCP to syslog-discard), each under a profiler
# while verify-load drives it, the users made beforehand and not counted.
#
#   --tool callgrind (default): instructions counted by valgrind, which are
#     the same from run to run however busy the machine is; the server runs
#     ~50x slower, so the load is an open loop at --rate for --requests.
#     Prints instructions per verification and keeps the callgrind files.
#   --tool perf: `perf record --call-graph dwarf` of the server during a
#     closed loop (concurrency 64) of --duration seconds; keeps perf.data.
#
# Usage: bench/profile-audit-stream.sh [--tool callgrind|perf] [--rate N]
#        [--requests N] [--duration S] [--out DIR] [--variants "without with"]
# CARGO_TARGET_DIR: where the release binaries are (built beforehand).
set -euo pipefail

tool=callgrind rate=40 requests=800 duration=15 out="" variants="without with"
while [ $# -gt 0 ]; do
  case "$1" in
    --tool) tool="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --requests) requests="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --out) out="$2"; shift ;;
    --variants) variants="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
countersign="$target/release/countersign"
verify_load="$target/release/verify-load"
out="${out:-$(mktemp -d -t countersign-profile.XXXXXX)}"
mkdir -p "$out"
database=sqlite port=18090 pg_admin="" url="http://127.0.0.1:18090"
collector=""
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sink_port="$(free_port)"
"$target/release/syslog-discard" --listen "127.0.0.1:$sink_port" --status "$out/received.status" &
collector=$!
# shellcheck source=bench/server.sh
. "$root/bench/server.sh"
stop_all() {
  bench_cleanup
  [ -n "$collector" ] && kill -TERM "$collector" 2>/dev/null && wait "$collector" 2>/dev/null
  true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# The server's main pid (valgrind runs it in its own process).
serve() {
  data="$(mktemp -d -t countersign-profile-data.XXXXXX)"
  bench_api_key
  export COUNTERSIGN_LIMITS_VERIFY_PER_KEY=0
  local wrap=()
  [ "$tool" = callgrind ] && wrap=(valgrind --tool=callgrind --instr-atstart=no
    "--callgrind-out-file=$out/callgrind.$1.out" --separate-threads=no)
  "${wrap[@]}" "$countersign" --data-dir "$data" serve --listen "127.0.0.1:$port" >"$out/server.$1.log" 2>&1 &
  server=$!
  for _ in $(seq 600); do
    curl -sf "$url/healthz" >/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { cat "$out/server.$1.log" >&2; exit 1; }
    sleep 0.1
  done
}

for variant in $variants; do
  if [ "$variant" = with ]; then
    export COUNTERSIGN_AUDIT_SYSLOG_ADDRESS="127.0.0.1:$sink_port" COUNTERSIGN_AUDIT_SYSLOG_TRANSPORT=tcp
  else
    unset COUNTERSIGN_AUDIT_SYSLOG_ADDRESS COUNTERSIGN_AUDIT_SYSLOG_TRANSPORT
  fi
  serve "$variant"
  run_id="p$RANDOM$variant"
  "$verify_load" --url "$url" --setup --run-id "$run_id" --users 50 --concurrency 8 --requests 50 >/dev/null
  echo "== $variant the stream: $tool, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$tool" = callgrind ]; then
    callgrind_control -i on "$server" >/dev/null
    callgrind_control -z "$server" >/dev/null
    "$verify_load" --url "$url" --run-id "$run_id" --users 50 --concurrency 16 --rate "$rate" \
      --requests "$requests" --duration 600 --invalid-ratio 0.1 | grep -E '^requests|PROBLEM' || true
    sleep 3 # the stream sends what the run wrote (it lingers 200 ms, polls every second)
    callgrind_control -d "$server" >/dev/null
    callgrind_control -i off "$server" >/dev/null
    file="$out/callgrind.$variant.out.1" # the dump (.out: the rest, at exit)
    total="$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')"
    total="${total:-0}"
    echo "instructions $total for $requests verifications: $(( total / requests )) per verification ($file)"
  else
    perf record -F 499 --call-graph dwarf,32768 -p "$server" -o "$out/perf.$variant.data" -- sleep "$duration" 2>/dev/null &
    perf_pid=$!
    "$verify_load" --url "$url" --run-id "$run_id" --users 50 --concurrency 64 --duration "$duration" \
      --invalid-ratio 0.1 --server-pid "$server" | grep -E '^requests|CPU|PROBLEM' || true
    wait "$perf_pid" || true
  fi
  bench_cleanup
  server=""
done
echo "collector: $(tr '\n' ' ' <"$out/received.status")"
echo "files in $out"
