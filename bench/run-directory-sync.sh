#!/usr/bin/env bash
# Benchmarks a full directory sync (issue 13: 100,000 users, ≤60 s, ≤300 MB
# RSS): makes its own OpenLDAP slapd in a temporary directory (LDAPS with a
# private CA, as production would), loads the users and one group holding all
# of them offline with slapadd, then runs `countersign directory sync --full`
# twice against a fresh data directory (SQLite, or a fresh PostgreSQL
# database with --postgres), configured by COUNTERSIGN_DIRECTORY_* only:
#   (1) the first run: every user added (and welcomed, unless --no-welcome);
#   (2) the same again: nothing changed, nothing to do.
# For each it prints the wall time, what the report counted, and the peak RSS
# of the countersign process (/usr/bin/time -v). Everything it made is
# removed on exit. See docs/benchmarks.md.
#
# Usage: bench/run-directory-sync.sh [--users N] [--postgres] [--page-size N]
#                                    [--no-welcome] [--no-build] [--keep]
#                                    [--perf FILE]  (perf record -g of the first run)
# Environment: COUNTERSIGN_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432),
# CARGO_TARGET_DIR; COUNTERSIGN_* variables reach countersign.
set -euo pipefail

users=100000 database=sqlite page_size=500 welcome=1 build=1 keep=0 perf=""
while [ $# -gt 0 ]; do
  case "$1" in
    --users) users="$2"; shift ;;
    --postgres) database=postgres ;;
    --page-size) page_size="$2"; shift ;;
    --no-welcome) welcome=0 ;;
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    --perf) perf="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
pg_admin="${COUNTERSIGN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
for tool in /usr/sbin/slapd /usr/sbin/slapadd /usr/bin/time openssl ldapsearch python3; do
  command -v "$tool" >/dev/null || {
    echo "$tool is missing: apt-get install slapd ldap-utils time openssl python3 (scripts/test installs them)" >&2
    exit 1
  }
done
T="$(mktemp -d -t countersign-dirsync.XXXXXX)"
slapd_pid="" pg_db=""

cleanup() {
  if [ -n "$slapd_pid" ] && kill -0 "$slapd_pid" 2>/dev/null; then
    kill -TERM "$slapd_pid" 2>/dev/null || true
    wait "$slapd_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    psql -q "$pg_admin/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
  fi
  if [ "$keep" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p countersign-server)
fi
countersign="$target/release/countersign"

base="dc=example,dc=org" admin_dn="cn=admin,dc=example,dc=org" admin_pw="adminpw"
group="cn=mfa-users,ou=groups,$base"

# A private CA (what countersign trusts) and slapd's certificate from it.
make_certificates() {
  (cd "$T" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=Bench Directory CA" \
      -keyout ca-key.pem -out ca.pem &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout key.pem -out server.csr &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
      -extfile ext.cnf -out server.pem) >"$T/openssl.log" 2>&1 || { cat "$T/openssl.log" >&2; exit 1; }
}

# cn=config as in crates/server/tests/slapd/mod.rs: mdb, memberof, indexes on uid, mail, memberOf.
write_config() {
  local pw
  pw="$(/usr/sbin/slappasswd -s "$admin_pw")"
  cat >"$T/config.ldif" <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $T/slapd.pid
olcArgsFile: $T/slapd.args
olcTLSCertificateFile: $T/server.pem
olcTLSCertificateKeyFile: $T/key.pem

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/nis.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 1000

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $base
olcRootDN: $admin_dn
olcRootPW: $pw
olcDbDirectory: $T/db
olcDbMaxSize: 8589934592
olcDbIndex: objectClass eq
olcDbIndex: uid,mail eq
olcDbIndex: memberOf eq
olcDbIndex: entryCSN eq
olcLimits: dn.exact="$admin_dn" size.prtotal=unlimited size.hard=unlimited
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by * read

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE
EOF
}

# The users and the group. slapadd runs no overlays, so each user carries the
# memberOf value the overlay would have kept (ldapadd would, at ~100x the time).
write_data() {
  python3 - "$users" "$base" "$group" >"$T/data.ldif" <<'EOF'
import sys
users, base, group = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = sys.stdout
out.write(f"dn: {base}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n")
out.write(f"dn: ou=people,{base}\nobjectClass: organizationalUnit\nou: people\n\n")
out.write(f"dn: ou=groups,{base}\nobjectClass: organizationalUnit\nou: groups\n\n")
for n in range(1, users + 1):
    uid = f"user{n:06d}"
    out.write(f"dn: uid={uid},ou=people,{base}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
              f"cn: User {n}\nsn: {uid}\nmail: {uid}@example.org\nmobile: (555) 0{n:06d}\n"
              f"memberOf: {group}\n\n")
out.write(f"dn: {group}\nobjectClass: groupOfNames\ncn: mfa-users\n")
for n in range(1, users + 1):
    out.write(f"member: uid=user{n:06d},ou=people,{base}\n")
EOF
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_slapd() {
  mkdir -p "$T/slapd.d" "$T/db"
  make_certificates
  write_config
  /usr/sbin/slapadd -n 0 -F "$T/slapd.d" -l "$T/config.ldif" >"$T/slapadd.log" 2>&1 ||
    { cat "$T/slapadd.log" >&2; exit 1; }
  write_data
  local t0 t1
  t0=$(date +%s.%N)
  /usr/sbin/slapadd -q -n 1 -F "$T/slapd.d" -l "$T/data.ldif" >>"$T/slapadd.log" 2>&1 ||
    { tail -20 "$T/slapadd.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "slapadd: $users users and the group loaded in $(elapsed "$t0" "$t1") s"
  port=$(free_port)
  /usr/sbin/slapd -F "$T/slapd.d" -h "ldaps://127.0.0.1:$port/" -d 0 >/dev/null 2>"$T/slapd.log" &
  slapd_pid=$!
  for _ in $(seq 200); do
    LDAPTLS_CACERT="$T/ca.pem" ldapsearch -x -H "ldaps://127.0.0.1:$port" -b "" -s base namingContexts \
      >/dev/null 2>&1 && return 0
    kill -0 "$slapd_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "slapd did not answer:" >&2
  cat "$T/slapd.log" >&2
  exit 1
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# CPU seconds (user + system) slapd has used so far.
slapd_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$slapd_pid/stat"
}

start_slapd
export COUNTERSIGN_DIRECTORY_URL="ldaps://127.0.0.1:$port"
export COUNTERSIGN_DIRECTORY_KIND=ldap
export COUNTERSIGN_DIRECTORY_BIND_DN="$admin_dn"
export COUNTERSIGN_DIRECTORY_BIND_PASSWORD="$admin_pw"
export COUNTERSIGN_DIRECTORY_CA_FILE="$T/ca.pem"
export COUNTERSIGN_DIRECTORY_BASE_DN="$base"
export COUNTERSIGN_DIRECTORY_GROUP_DN="$group"
export COUNTERSIGN_DIRECTORY_DEFAULT_COUNTRY_CODE=1
export COUNTERSIGN_DIRECTORY_PAGE_SIZE="$page_size"
[ "$welcome" = 1 ] || export COUNTERSIGN_EMAIL_WELCOME=false
if [ "$database" = postgres ]; then
  pg_db="cs_dirsync_$$_$RANDOM"
  psql -q "$pg_admin/postgres" -c "CREATE DATABASE $pg_db" >/dev/null
  export COUNTERSIGN_DATABASE_URL="$pg_admin/$pg_db"
fi
data="$T/countersign"
# Creates the database (migrations), so the runs time the sync alone.
"$countersign" --data-dir "$data" user list >/dev/null

# One `directory sync --full` under /usr/bin/time: prints its line, checks the counts.
run_sync() {
  local name="$1" want_added="$2" t0 t1 cpu0 code=0 wrap=()
  [ -n "$perf" ] && [ "$name" = first ] && wrap=(perf record --call-graph dwarf,16384 -F 49 -o "$perf" --)
  cpu0=$(slapd_cpu)
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$T/$name.time" "${wrap[@]}" "$countersign" --data-dir "$data" --json directory sync --full \
    >"$T/$name.json" 2>"$T/$name.log" || code=$?
  t1=$(date +%s.%N)
  if [ "$code" != 0 ]; then
    echo "$name: countersign directory sync exited $code" >&2
    tail -20 "$T/$name.log" >&2
    head -c 2000 "$T/$name.json" >&2
    exit 1
  fi
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$T/$name.time")
  python3 - "$T/$name.json" "$name" "$(elapsed "$t0" "$t1")" "$rss" "$want_added" "$users" \
    "$(awk -v a="$cpu0" -v b="$(slapd_cpu)" 'BEGIN { printf "%.2f", b - a }')" \
    "$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$T/$name.time")" <<'EOF'
import json, sys
path, name, wall, rss, want_added, users, slapd_cpu, cpu = sys.argv[1:9]
r = json.load(open(path))["report"]
print(f"{name}: {wall} s wall ({r['duration_ms'] / 1000:.2f} s in the sync's report), "
      f"seen {r['seen']}, added {r['added']}, updated {r['updated']}, disabled {r['disabled']}, "
      f"errors {len(r['errors'])}; peak RSS {rss} MB; countersign CPU {cpu} s, slapd CPU {slapd_cpu} s")
problems = []
if r["seen"] != int(users):
    problems.append(f"seen {r['seen']}, not {users}")
if r["added"] != int(want_added) or r["updated"] or r["disabled"] or r["removed"]:
    problems.append(f"expected {want_added} added and nothing else")
if r["errors"]:
    problems.append(f"errors: {r['errors'][:3]}")
for p in problems:
    print(f"PROBLEM: {name}: {p}")
sys.exit(1 if problems else 0)
EOF
}

echo "== $database, $users users, pages of $page_size, welcome emails $([ "$welcome" = 1 ] && echo on || echo off)"
run_sync first "$users"
run_sync again 0
last="user$(printf %06d "$users")"
"$countersign" --data-dir "$data" --json user show "$last" |
  python3 -c 'import json, sys; u = json.load(sys.stdin); print("check:", u["username"], "phone", u["phone"], "email", u["email"], "enabled", u["enabled"])'
