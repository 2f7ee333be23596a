#!/usr/bin/env bash
# The audit stream's cost on verification (issue 29): bench/run-verify.sh
# without a stream and with [audit.syslog] over TCP to a collector on a free
# port, alternating A and B for several rounds since the machine's load
# varies. Prints each round's lines, then a summary: throughput without and
# with, the ratio, the server's CPU per verification both ways (closed loop
# and the open loop at 1,000/s), the load average, and what the collector
# received. See docs/benchmarks.md.
#
# --collector rsyslog (default): a real rsyslog with its own configuration,
# writing every message to a file. --collector discard: syslog-discard (bench
# crate), which splits the octet-counted frames, counts them and checks the
# seq continuity, keeping nothing: on a small machine the collector shares
# the cores with the server, and the bench is about the server's cost.
#
# Usage: bench/run-audit-stream.sh [--rounds N] [--duration SECONDS] [--no-build] [--collector rsyslog|discard]
set -euo pipefail

rounds=3 duration=20 build=1 collector=rsyslog
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --no-build) build=0 ;;
    --collector) collector="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d -t countersign-audit-bench.XXXXXX)"
rsyslog=""
cleanup() {
  [ -n "$rsyslog" ] && kill -TERM "$rsyslog" 2>/dev/null && wait "$rsyslog" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
if [ "$collector" = discard ]; then
  "$target/release/syslog-discard" --listen "127.0.0.1:$port" --status "$work/received.status" &
  rsyslog=$!
  counts() { cat "$work/received.status" 2>/dev/null || echo "received 0"; }
  received() { counts | awk '$1 == "received" { print $2 }'; }
else
  mkdir -p "$work/rsyslog"
  cat >"$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imtcp" maxSessions="500")
input(type="imtcp" address="127.0.0.1" port="$port")
action(type="omfile" file="$work/received.log")
CONF
  /usr/sbin/rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslogd.pid" &
  rsyslog=$!
  counts() { echo "received $(received)"; }
  received() { ( (wc -l <"$work/received.log") 2>/dev/null || echo 0 ) | tr -d ' '; }
fi
sleep 1

# From one run-verify.sh output: the throughput phase's req/s, server µs per
# verification in both phases, and the load average before the throughput phase.
numbers() {
  awk '
    /^== throughput/ { phase = "t" } /^== latency/ { phase = "l" }
    /^load average before/ && phase == "t" { load = $4 }
    /^requests/ && phase == "t" { rps = $(NF - 1) }
    /^server CPU/ { us = $0; sub(/.*, /, "", us); sub(/ µs.*/, "", us); if (phase == "t") ct = us; else cl = us }
    END { printf "%s %s %s %s\n", rps, ct, cl, load }' "$1"
}

summary="$work/summary"
for round in $(seq "$rounds"); do
  for variant in without with; do
    echo
    echo "#### round $round, $variant the syslog stream"
    out="$work/$round-$variant.txt"
    if [ "$variant" = with ]; then
      before=$(received)
      COUNTERSIGN_AUDIT_SYSLOG_ADDRESS="127.0.0.1:$port" COUNTERSIGN_AUDIT_SYSLOG_TRANSPORT=tcp \
        "$root/bench/run-verify.sh" --no-build --duration "$duration" >"$out" || true
      sleep 3
      got=$(( $(received) - before ))
    else
      "$root/bench/run-verify.sh" --no-build --duration "$duration" >"$out" || true
      got=-
    fi
    grep -E '^==|^load average|throughput|req/s|CPU|p99|PROBLEM' "$out" || true
    [ "$got" = - ] || echo "the collector ($collector) received $got messages (all rounds: $(counts | tr '\n' ' '))"
    echo "$round $variant $(numbers "$out") $got" >>"$summary"
  done
done

echo
echo "#### summary ($collector collector, $rounds rounds of ${duration} s, $(nproc) cores, $(git -C "$root" describe --always --dirty 2>/dev/null))"
awk '
  { rps[$1, $2] = $3; ct[$1, $2] = $4; cl[$1, $2] = $5; load[$1, $2] = $6; got[$1] = $7; n = $1 }
  END {
    print "round | without req/s | with req/s | with/without | server µs/verification closed loop (without, with) | open loop 1,000/s (without, with) | load avg (without, with) | collector received"
    for (r = 1; r <= n; r++) {
      printf "%d | %.0f | %.0f | %.1f%% | %s, %s | %s, %s | %s, %s | %s\n", r, rps[r, "without"], rps[r, "with"],
        100 * rps[r, "with"] / rps[r, "without"], ct[r, "without"], ct[r, "with"], cl[r, "without"], cl[r, "with"],
        load[r, "without"], load[r, "with"], got[r]
      sw += rps[r, "without"]; sh += rps[r, "with"]
      cw += ct[r, "without"]; ch += ct[r, "with"]; lw += cl[r, "without"]; lh += cl[r, "with"]
    }
    printf "mean | %.0f | %.0f | %.1f%% | %.1f, %.1f (%+.1f%%) | %.1f, %.1f (%+.1f%%) | |\n", sw / n, sh / n, 100 * sh / sw,
      cw / n, ch / n, 100 * (ch - cw) / cw, lw / n, lh / n, 100 * (lh - lw) / lw
  }' "$summary"
