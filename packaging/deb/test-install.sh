#!/usr/bin/env bash
# The package test: lintian and systemd-analyze on the .deb, then dpkg -i on
# this machine, the installed binary run as the countersign user with the
# installed config on the installed data directory (no systemd needed),
# owners and modes, an upgrade that keeps the data and the key, a remove that
# keeps the data, and a purge that removes the configuration only. Cleans up
# everything it installed (dpkg --purge, the data directory, the user).
# Needs root: as anyone else it prints why it is skipped and exits 0.
# Usage: packaging/deb/test-install.sh PATH/TO/countersign_VERSION_ARCH.deb
set -euo pipefail
deb=$(realpath "$1")
say() { echo "package test: $*"; }
fail() { echo "package test: FAILED: $*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then say "SKIPPED: dpkg -i needs root (CI runs as root)"; exit 0; fi
if dpkg-query -W -f='${Status}' countersign 2>/dev/null | grep -q 'ok installed'; then
  say "SKIPPED: a countersign package is already installed on this machine; not touching it"; exit 0
fi
if [ -e /var/lib/countersign ] || [ -e /etc/countersign ] || getent passwd countersign >/dev/null; then
  say "SKIPPED: /var/lib/countersign, /etc/countersign or the countersign user already exists (someone's installation); not touching it"; exit 0
fi

T=$(mktemp -d); server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  dpkg --purge countersign >/dev/null 2>&1 || true
  rm -rf /var/lib/countersign /etc/countersign
  if getent passwd countersign >/dev/null; then deluser --quiet --system countersign >/dev/null 2>&1 || true; fi
  if getent group countersign >/dev/null; then delgroup --quiet --system countersign >/dev/null 2>&1 || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

# --- static checks --------------------------------------------------------------
if command -v lintian >/dev/null; then
  set +e; lintian --tag-display-limit 0 "$deb" >"$T/lintian.out" 2>&1; set -e
  errors=$(grep -c '^E:' "$T/lintian.out" || true); warnings=$(grep -c '^W:' "$T/lintian.out" || true)
  say "lintian: $errors error(s), $warnings warning(s)"
  grep -E '^(E|W):' "$T/lintian.out" | sed 's/^/  /' || true
  [ "$errors" = 0 ] || fail "lintian reports errors"
else
  say "lintian not installed: not checked"
fi

# --- install ----------------------------------------------------------------------
dpkg -i "$deb" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "dpkg -i"; }
grep -q 'generated the encryption key' "$T/install.log" || fail "the first install generates the key"

unit=/lib/systemd/system/countersign.service
units="$unit /lib/systemd/system/countersign-backup.service /lib/systemd/system/countersign-backup.timer"
if command -v systemd-analyze >/dev/null; then
  # shellcheck disable=SC2086 # one path per word
  out=$(systemd-analyze verify --recursive-errors=no --man=no $units 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
  say "systemd-analyze verify: the units pass ($(systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -1 | sed 's/^→ //'))"
else
  say "systemd-analyze not available: the unit is not verified"
fi

mode_is() { # PATH OWNER:GROUP MODE
  local got; got=$(stat -c '%U:%G %a' "$1")
  [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
}
mode_is /usr/bin/countersign root:root 755
mode_is /usr/bin/countersign-authenticator root:root 755
mode_is $unit root:root 644
mode_is /lib/systemd/system/countersign-backup.timer root:root 644
mode_is /etc/countersign root:countersign 750
mode_is /etc/countersign/countersign.toml root:countersign 640
mode_is /var/lib/countersign countersign:countersign 700
mode_is /var/lib/countersign/encryption.key countersign:countersign 600
dpkg-query -W -f='${Conffiles}\n' countersign | grep -q '/etc/countersign/countersign.toml' || fail "the config is a conffile"
say "owners and modes as expected"

# --- the installed binary, config and data directory ------------------------------
cs() ( umask 077; runuser -u countersign -- /usr/bin/countersign --config /etc/countersign/countersign.toml "$@" )
hotp() { python3 -c 'import hmac,hashlib,struct,sys
c=int(sys.argv[1]); h=hmac.new(b"12345678901234567890", struct.pack(">Q", c), hashlib.sha1).digest()
o=h[-1]&15; print("%06d" % ((struct.unpack(">I", h[o:o+4])[0] & 0x7fffffff) % 1000000))' "$1"; }
cs user add pkguser >/dev/null
cs token add pkguser --type hotp --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ >/dev/null
[ "$(cs verify pkguser "$(hotp 0)")" = accepted ] || fail "the installed binary verifies a code"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(umask 077; exec runuser -u countersign -- /usr/bin/countersign --config /etc/countersign/countersign.toml serve --listen "127.0.0.1:$port") 2>"$T/serve.log" &
server=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$T/serve.log"; fail "the installed server answers /healthz"; }
kill "$server"; wait "$server" 2>/dev/null || true; server=""
mode_is /var/lib/countersign/countersign.db countersign:countersign 600
say "the installed binary runs as countersign with the installed config and data"

# The backup timer's command, as the service runs it (systemd is not needed for that).
install -d -o countersign -g countersign -m 0700 /var/lib/countersign/backups
cmd=$(sed -n "s/^ExecStart=//p" /lib/systemd/system/countersign-backup.service | sed 's/%%/%/g')
(umask 077; runuser -u countersign -- /bin/bash -c "$cmd") >/dev/null 2>"$T/backup.err" || { cat "$T/backup.err"; fail "the backup service's command"; }
ls /var/lib/countersign/backups/countersign-*.csb >/dev/null || fail "the backup service's command writes a backup"
{ cs doctor || true; } | grep -q "PASS  store.backup" || fail "doctor sees the backup"
say "the backup timer's command writes a backup doctor sees"

state() { sha256sum /var/lib/countersign/encryption.key /var/lib/countersign/countersign.db /etc/countersign/countersign.toml; }
before=$(state)

# --- upgrade: the same package with a higher version -------------------------------
dpkg-deb -R "$deb" "$T/next"
sed -i 's/^Version: \(.*\)$/Version: \1+test1/' "$T/next/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz --build "$T/next" "$T/next.deb" >/dev/null
dpkg -i "$T/next.deb" >"$T/upgrade.log" 2>&1 || { cat "$T/upgrade.log"; fail "dpkg -i (upgrade)"; }
grep -q 'generated the encryption key' "$T/upgrade.log" && fail "the upgrade made a new key"
[ "$(state)" = "$before" ] || fail "the upgrade changed the data, the key or the config"
[ "$(cs verify pkguser "$(hotp 0)")" != accepted ] || fail "a used code is refused after the upgrade"
[ "$(cs verify pkguser "$(hotp 1)")" = accepted ] || fail "the next code verifies after the upgrade"
say "upgrade $(dpkg-query -W -f='${Version}' countersign): data, key and config unchanged, tokens verify"
before=$(sha256sum /var/lib/countersign/encryption.key /var/lib/countersign/countersign.db)

# --- remove, then purge ------------------------------------------------------------
dpkg -r countersign >/dev/null
[ ! -e /usr/bin/countersign ] || fail "remove leaves the binary"
[ "$(sha256sum /var/lib/countersign/encryption.key /var/lib/countersign/countersign.db)" = "$before" ] || fail "remove touched the data"
[ -e /etc/countersign/countersign.toml ] || fail "remove keeps the configuration (a conffile)"
dpkg --purge countersign >/dev/null </dev/null
[ ! -e /etc/countersign ] || fail "purge removes the configuration"
[ "$(sha256sum /var/lib/countersign/encryption.key /var/lib/countersign/countersign.db)" = "$before" ] || fail "purge touched the data"
say "remove and purge keep /var/lib/countersign; purge removed /etc/countersign"
say OK
