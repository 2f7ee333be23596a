#!/usr/bin/env bash
# Benchmarks code-to-token exchanges at the OpenID Provider's token
# endpoint (POST /sso/token): builds the release binaries, starts
# `countersign serve` (public_url = its own address) on a temporary data
# directory (SQLite, or a fresh PostgreSQL database with --postgres),
# registers a confidential client with the CLI, and runs oidc-load: one
# user signs in at /sso (portal password + HOTP code), CODES authorization
# requests with PKCE make the codes (not timed), then every code is
# exchanged, CONCURRENCY at once (timed). Everything is removed on exit.
# See docs/benchmarks.md.
#
# Usage: bench/run-oidc-token.sh [--postgres] [--codes N] [--concurrency N]
#                                [--port PORT] [--no-build]
set -euo pipefail

database=sqlite codes=20000 concurrency=32 port=18094 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) database=postgres ;;
    --codes) codes="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    --port) port="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
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
oidc_load="$target/release/oidc-load"

bench_database oidc
bench_api_key
COUNTERSIGN_CLIENT_SECRET="$("$countersign" --data-dir "$data" --json oidc client add --name bench \
  --redirect-uri http://127.0.0.1:9/bench/cb | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')"
export COUNTERSIGN_CLIENT_SECRET
export COUNTERSIGN_PUBLIC_URL="$url"
# The portal's and /sso's sign-in limits are per client address: the setup signs in once.
bench_serve
bench_banner
echo "oidc-load: $codes codes, concurrency $concurrency"
"$oidc_load" --url "$url" --countersign "$countersign" --data-dir "$data" \
  --codes "$codes" --concurrency "$concurrency" --server-pid "$server"
