#!/usr/bin/env bash
# The audit stream's cost on verification (issue 29): bench/run-verify.sh
# without a stream and with [audit.syslog] to a real rsyslog over TCP (its own
# configuration on a free port, writing every message to a file), alternating
# A and B for several rounds since the machine's load varies. Prints each
# round's throughput lines and what rsyslog received. See docs/benchmarks.md.
#
# --collector discard swaps rsyslog for a sink that reads and counts the
# octet-counted frames and keeps nothing: on a 2-core machine rsyslog's own
# parsing and writing take CPU from the server, and the bench is about the
# server's cost.
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
if [ "$collector" = discard ]; then
  # One line per frame received ("<length> <message>"), counted, not kept.
  python3 - "$port" "$work/received.log" <<'PY' &
import socket, sys, threading
port, out = int(sys.argv[1]), sys.argv[2]
count, lock = 0, threading.Lock()
def frames(conn):
    global count
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
        while True:
            space = buf.find(b" ")
            if space < 0 or not buf[:space].isdigit():
                break
            end = space + 1 + int(buf[:space])
            if len(buf) < end:
                break
            buf = buf[end:]
            with lock:
                count += 1
                if count % 1000 == 0:
                    open(out, "w").write(str(count))
    conn.close()
    with lock:
        open(out, "w").write(str(count))
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(512)
open(out, "w").write("0")
while True:
    conn, _ = listener.accept()
    threading.Thread(target=frames, args=(conn,), daemon=True).start()
PY
  rsyslog=$!
  received() { cat "$work/received.log"; }
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
  received() { ( (wc -l <"$work/received.log") 2>/dev/null || echo 0 ) | tr -d ' '; }
fi
sleep 1

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi
for round in $(seq "$rounds"); do
  for variant in without with; do
    echo
    echo "#### round $round, $variant the syslog stream"
    if [ "$variant" = with ]; then
      before=$(received)
      COUNTERSIGN_AUDIT_SYSLOG_ADDRESS="127.0.0.1:$port" COUNTERSIGN_AUDIT_SYSLOG_TRANSPORT=tcp \
        "$root/bench/run-verify.sh" --no-build --duration "$duration" | grep -E '^==|throughput|req/s|CPU|p99' || true
      sleep 3
      echo "the collector ($collector) received $(( $(received) - before )) messages"
    else
      "$root/bench/run-verify.sh" --no-build --duration "$duration" | grep -E '^==|throughput|req/s|CPU|p99' || true
    fi
  done
done
