#!/usr/bin/env bash
# Benchmarks phone calls through the server (issue 25): builds the release
# binary, starts one SIPp UAS (crates/voice/tests/peers/sip.sh) that answers
# every INVITE with PCMU + telephone-event and presses '#' as RFC 4733
# events 3 s after the ACK, starts `countersign serve` with [voice] pointed
# at it, creates N users, and sends N `POST /api/v1/verify {"method":
# "call", "wait": true}` at once. Prints how many were accepted, the wall
# time, the server's CPU per call (user+system from /proc/PID/stat around
# the calls) and the RTP jitter the server measured (its /metrics).
# Everything it made is removed on exit. See docs/benchmarks.md.
#
# Usage: bench/run-calls.sh [--calls N] [--port PORT] [--no-build] [--binary PATH]
# --binary runs that countersign (e.g. a debug build) instead of building the release one.
# Needs: sip-tester (sipp), sox, python3, curl. CARGO_TARGET_DIR is used.
set -euo pipefail

calls=100 port=18095 build=1 binary=
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) calls="$2"; shift ;;
    --port) port="$2"; shift ;;
    --no-build) build=0 ;;
    --binary) binary="$2"; build=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
url="http://127.0.0.1:$port"
database=sqlite
data="$(mktemp -d -t countersign-calls.XXXXXX)"
peers="$data/peers"
mkdir -p "$peers"
# shellcheck source=server.sh
source "$root/bench/server.sh"
# shellcheck source=../crates/voice/tests/peers/sip.sh
source "$root/crates/voice/tests/peers/sip.sh"
cleanup() {
  sip_stop_all "$peers" || true
  bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server --bin countersign)
fi
countersign="${binary:-$target/release/countersign}"
bench_database calls
bench_banner

uas="$(sip_sipp_uas_start "$peers/uas" --digits '#' --answer-after 500 --dtmf-after 3000 --calls "$calls" --timeout 180)"
export COUNTERSIGN_VOICE_PROVIDER=sip COUNTERSIGN_VOICE_SIP_TRUNK="$uas" \
  COUNTERSIGN_VOICE_SIP_LISTEN=127.0.0.1:0 COUNTERSIGN_VOICE_SIP_RTP_PORTS=46000-47999 \
  COUNTERSIGN_VOICE_RING_SECONDS=20 COUNTERSIGN_VOICE_KEY_SECONDS=20 \
  COUNTERSIGN_CODES_PER_HOUR=100 COUNTERSIGN_CODES_PER_DESTINATION_PER_HOUR=100 \
  COUNTERSIGN_CODES_GLOBAL_PER_HOUR=100000 COUNTERSIGN_LOG_LEVEL=warn
bench_api_key
bench_serve
echo "SIPp UAS on $uas; server on $url (pid $server); $calls calls"

python3 - "$url" "$COUNTERSIGN_API_KEY" "$calls" "$server" <<'EOF'
import concurrent.futures, json, os, sys, time, urllib.request

url, key, n, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def call(path, body=None, method="POST"):
    req = urllib.request.Request(url + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, r.read().decode()

for i in range(n):
    call("/api/v1/users", {"username": f"caller{i}", "phone": f"+1555{i:07d}"})

def cpu():  # user + system ticks of the server
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def verify(i):
    t = time.monotonic()
    _, body = call("/api/v1/verify", {"username": f"caller{i}", "method": "call", "wait": True})
    return json.loads(body), time.monotonic() - t

before, start = cpu(), time.monotonic()
with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
    results = list(pool.map(verify, range(n)))
wall, used = time.monotonic() - start, cpu() - before
accepted = sum(1 for r, _ in results if r.get("result") == "accepted")
others = {}
for r, _ in results:
    if r.get("result") != "accepted":
        others[r.get("reason", r.get("result"))] = others.get(r.get("reason", r.get("result")), 0) + 1
took = sorted(t for _, t in results)
_, metrics = call("/metrics", method="GET")
m = {l.split()[0]: float(l.split()[1]) for l in metrics.splitlines() if l.startswith("countersign_calls_")}
answered = m.get("countersign_calls_answered_total", 0) or 1
print(f"accepted: {accepted}/{n}" + (f"  others: {others}" if others else ""))
print(f"wall: {wall:.2f} s; per sign-in p50 {took[n // 2]:.2f} s, max {took[-1]:.2f} s")
print(f"server CPU: {used:.2f} s in all, {1000 * used / n:.1f} ms per call")
print(f"RTP send jitter (ours, RFC 3550): mean {m.get('countersign_calls_rtp_send_jitter_ms_sum', 0) / answered:.2f} ms, "
      f"worst call {m.get('countersign_calls_rtp_send_jitter_ms_max', 0):.2f} ms")
print(f"calls placed {m.get('countersign_calls_placed_total', 0):.0f}, answered {m.get('countersign_calls_answered_total', 0):.0f}")
sys.exit(0 if accepted == n else 1)
EOF
