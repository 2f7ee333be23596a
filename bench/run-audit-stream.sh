#!/usr/bin/env bash
# The audit stream's cost on verification (issue 29): bench/run-verify.sh
# without a stream and with [audit.syslog] to a real rsyslog over TCP (its own
# configuration on a free port, writing every message to a file), alternating
# A and B for several rounds since the machine's load varies. Prints each
# round's throughput lines and what rsyslog received. See docs/benchmarks.md.
#
# Usage: bench/run-audit-stream.sh [--rounds N] [--duration SECONDS] [--no-build]
set -euo pipefail

rounds=3 duration=20 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t countersign-audit-bench.XXXXXX)"
rsyslog=""
cleanup() {
  [ -n "$rsyslog" ] && kill -TERM "$rsyslog" 2>/dev/null && wait "$rsyslog" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$work/rsyslog"
cat >"$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imtcp" maxSessions="500")
input(type="imtcp" address="127.0.0.1" port="$port")
action(type="omfile" file="$work/received.log")
CONF
/usr/sbin/rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslogd.pid" &
rsyslog=$!
sleep 1

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi
for round in $(seq "$rounds"); do
  for variant in without with; do
    echo
    echo "#### round $round, $variant the syslog stream"
    if [ "$variant" = with ]; then
      before=$( (wc -l <"$work/received.log") 2>/dev/null || echo 0)
      COUNTERSIGN_AUDIT_SYSLOG_ADDRESS="127.0.0.1:$port" COUNTERSIGN_AUDIT_SYSLOG_TRANSPORT=tcp \
        "$root/bench/run-verify.sh" --no-build --duration "$duration" | grep -E '^==|throughput|req/s|CPU|p99' || true
      sleep 3
      echo "rsyslog received $(( $(wc -l <"$work/received.log") - before )) messages"
    else
      "$root/bench/run-verify.sh" --no-build --duration "$duration" | grep -E '^==|throughput|req/s|CPU|p99' || true
    fi
  done
done
