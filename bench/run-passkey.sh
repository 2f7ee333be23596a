#!/usr/bin/env bash
# Benchmarks passkey verifications through POST /api/v1/verify: builds the
# release binaries, starts `countersign serve` on a temporary data directory
# (SQLite, or a fresh PostgreSQL database with --postgres), makes an API key
# and runs passkey-load: USERS users each register a software passkey over the
# API, then PER_USER `webauthn` challenges each are answered ahead (signed
# by the software authenticator, not timed); the timed part posts every
# answer (transaction_id + assertion), CONCURRENCY at once, each user's in
# counter order. Everything it made is removed on exit. See docs/benchmarks.md.
#
# Usage: bench/run-passkey.sh [--postgres] [--users N] [--per-user N]
#                             [--concurrency N] [--port PORT] [--no-build]
# Environment: COUNTERSIGN_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432),
# CARGO_TARGET_DIR; COUNTERSIGN_* variables reach the server.
set -euo pipefail

database=sqlite users=200 per_user=100 concurrency=64 port=18090 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --users) users="$2"; shift ;;
    --per-user) per_user="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    --port) port="$2"; shift ;;
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
data="$(mktemp -d -t countersign-bench.XXXXXX)"
# shellcheck source=bench/server.sh
. "$root/bench/server.sh"
bench_trap

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server -p countersign-bench)
fi
countersign="$target/release/countersign"
passkey_load="$target/release/passkey-load"

bench_database passkey
bench_api_key
# No public_url: the RP ID is localhost, the one origin http://localhost:PORT.
bench_serve
bench_banner
echo "passkey-load: $users users x $per_user assertions, concurrency $concurrency"
"$passkey_load" --url "$url" --origin "http://localhost:$port" --rp-id localhost \
  --users "$users" --per-user "$per_user" --concurrency "$concurrency" --server-pid "$server"
