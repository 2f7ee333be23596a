#!/usr/bin/env bash
# Issue 27's forward-auth bench: a browser signed in once at /sso, then a
# reverse proxy asking /sso/auth/request (nginx's auth_request convention)
# on every request with the browser's cookie. Builds the release binary
# (and copies it), starts `countersign serve` (SQLite, or PostgreSQL with
# --postgres), makes a user with an HOTP token and a portal password (the
# portal's pages, with curl), signs in at /sso (password, then the code),
# and runs wrk against /sso/auth/request with that cookie for --duration s.
# Prints checks/s, the answers that were not 200, the server's CPU time per
# check (utime+stime of its process from /proc/PID/stat) and how many
# checks read the store (countersign_forward_auth_store_reads_total).
# wrk runs on the same cores as the server. Target (issue 27): >= 20,000
# checks/s at <= 50 us server CPU each. See docs/benchmarks.md.
#
# Usage: bench/run-forward-auth.sh [--postgres] [--duration SECONDS]
#          [--connections N] [--threads N] [--port PORT] [--no-build]
set -euo pipefail

database=sqlite duration=10 connections=64 threads=1 port=18580 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --duration) duration="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --port) port="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk (scripts/test installs it)" >&2; exit 1; }
command -v oathtool >/dev/null || { echo "oathtool is missing: apt-get install -y oathtool" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pg_admin="${COUNTERSIGN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
url="http://127.0.0.1:$port"
data="$(mktemp -d -t countersign-forward-bench.XXXXXX)"
# shellcheck source=bench/server.sh
. "$root/bench/server.sh"
bench_trap

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server)
fi
mkdir -p "$data/bin"
cp "$target/release/countersign" "$data/bin/"
countersign="$data/bin/countersign"

bench_database forwardbench
bench_api_key
export COUNTERSIGN_PUBLIC_URL="$url"
bench_serve

# RFC 4226's secret: HOTP codes for counters 0 (the portal) and 1 (/sso).
secret_hex=3132333435363738393031323334353637383930
secret_b32=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
password="bench portal password"
api() { curl -sf -H "Authorization: Bearer $COUNTERSIGN_API_KEY" -H 'Content-Type: application/json' "$@"; }
csrf() { grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
page() { curl -sf -b "$1" -c "$1" "$url$2"; }
post() { local jar="$1" path="$2"; shift 2; curl -sf -o /dev/null -b "$jar" -c "$jar" "$@" "$url$path"; }

api -X POST "$url/api/v1/users" -d '{"username":"bench","display_name":"Bench User","email":"bench@example.org"}' >/dev/null
api -X POST "$url/api/v1/users/bench/tokens" -d "{\"type\":\"hotp\",\"secret\":\"$secret_b32\"}" >/dev/null
link="$("$countersign" --data-dir "$data" --json user enrol-link bench | jq -r .url)"
link="/portal/link/${link##*/portal/link/}"
portal="$data/portal.jar"
post "$portal" "$link" --data-urlencode "csrf=$(page "$portal" "$link" | csrf)"
post "$portal" /portal/verify --data-urlencode "csrf=$(page "$portal" /portal/verify | csrf)" \
  --data-urlencode "code=$(oathtool --hotp -c 0 "$secret_hex")"
post "$portal" /portal/secret/password --data-urlencode "csrf=$(page "$portal" /portal/secret/password | csrf)" \
  --data-urlencode "value=$password" --data-urlencode "again=$password"
browser="$data/browser.jar"
post "$browser" /sso --data-urlencode "csrf=$(page "$browser" /sso | csrf)" \
  --data-urlencode username=bench --data-urlencode "password=$password"
post "$browser" /sso/verify --data-urlencode "csrf=$(page "$browser" /sso/verify | csrf)" \
  --data-urlencode "code=$(oathtool --hotp -c 1 "$secret_hex")"
token="$(awk '$6 == "countersign_sso" { print $7 }' "$browser")"
[ -n "$token" ] || { echo "signing in at /sso failed: no countersign_sso cookie" >&2; cat "$data/server.log" >&2; exit 1; }
headers=(-H "Cookie: countersign_sso=$token" -H "X-Original-URL: http://app.example.org/page?x=1" -H "X-Original-Method: GET")
first="$(curl -s -o /dev/null -w '%{http_code}' "${headers[@]}" "$url/sso/auth/request")"
user="$(curl -s -D - -o /dev/null "${headers[@]}" "$url/sso/auth/request" | tr -d '\r' | awk -F': ' 'tolower($1) == "remote-user" { print $2 }')"
[ "$first" = 200 ] && [ "$user" = bench ] || { echo "forward auth answered $first (Remote-User '$user'), not 200 bench" >&2; exit 1; }

ticks="$(getconf CLK_TCK)"
cpu() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
reads() { curl -s "$url/metrics" | awk '$1 == "countersign_forward_auth_store_reads_total" { print $2 }'; }

bench_banner
echo "wrk: $threads thread(s), $connections connections, $duration s, on the server's cores"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
reads_before="$(reads)"
cpu_before="$(cpu)"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "${headers[@]}" "$url/sso/auth/request" >"$data/wrk.txt"
cpu_after="$(cpu)"
reads_after="$(reads)"
cat "$data/wrk.txt"
requests="$(awk '/requests in/ { print $1 }' "$data/wrk.txt")"
rate="$(awk '/^Requests\/sec/ { print $2 }' "$data/wrk.txt")"
bad="$(awk '/Non-2xx or 3xx responses/ { print $5 }' "$data/wrk.txt")"
errors="$(awk '/Socket errors/ { print }' "$data/wrk.txt")"
per_check="$(awk -v t="$((cpu_after - cpu_before))" -v hz="$ticks" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
echo
echo "== forward auth (/sso/auth/request, signed in) =="
echo "checks:            $requests in $duration s"
echo "checks/s:          $rate"
echo "not 200:           ${bad:-0}${errors:+ ($errors)}"
echo "server CPU:        $(awk -v t="$((cpu_after - cpu_before))" -v hz="$ticks" 'BEGIN { printf "%.2f", t / hz }') s, ${per_check} us per check"
echo "store reads:       $((reads_after - reads_before)) (the rest from this node's cache)"
verdict=PASS
awk -v r="$rate" 'BEGIN { exit !(r >= 20000) }' || verdict=FAIL
awk -v c="$per_check" 'BEGIN { exit !(c <= 50) }' || verdict=FAIL
[ -z "$bad" ] || verdict=FAIL
echo ">= 20,000 checks/s at <= 50 us server CPU each, all 200: $verdict"
[ "$verdict" = PASS ]
