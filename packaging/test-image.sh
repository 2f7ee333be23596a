#!/usr/bin/env bash
# The container test: builds the image with `scripts/package image` (pass
# --no-build to reuse the static binary) into podman storage in a temp
# directory, runs it read-only as its unprivileged user with a /data volume
# (host network: no bridge, no iptables changes), and checks /healthz, the
# health check, the CLI inside and a backup into the volume. Removes the
# container, the image and its storage at the end. Not part of scripts/test:
# the static build takes about 20 minutes on 2 shared cores.
# Usage: packaging/test-image.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "image test: $*"; }
fail() { echo "image test: FAILED: $*" >&2; exit 1; }
command -v podman >/dev/null || { say "SKIPPED: podman is not installed (apt-get install podman runc)"; exit 0; }
T=$(mktemp -d); name="countersign-test-$$"
# podman leaves a blob cache under /var/lib/containers even with its storage elsewhere.
had_cache=; [ -e /var/lib/containers/cache ] && had_cache=1
export CONTAINERS_STORAGE_CONF=$T/storage.conf CONTAINERS_CONF=$T/containers.conf
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  podman rmi -a -f >/dev/null 2>&1 || true
  rm -rf "$T"
  [ -n "$had_cache" ] || rm -rf /var/lib/containers/cache
  rmdir /var/lib/containers 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$T/tmp" "$T/data"
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/storage"\nrunroot = "%s/runroot"\n' "$T" "$T" >"$T/storage.conf"
# runc and explicit ulimits: crun and podman's default rlimits fail on this kind of VM (shared/recipes C).
printf '[containers]\nnetns = "host"\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s/events.log"\ntmp_dir = "%s/libpod-tmp"\n' "$T" "$T" >"$T/containers.conf"
TMPDIR=$T/tmp scripts/package image "$@"
version=$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' Cargo.toml)
chown 65532:65532 "$T/data"; chmod 0700 "$T/data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
podman run -d --name "$name" --read-only --cap-drop ALL --network host -v "$T/data:/data" \
  -e COUNTERSIGN_HTTP_LISTEN="127.0.0.1:$port" "localhost/countersign:$version" >/dev/null 2>"$T/run.err"
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { podman logs "$name"; fail "/healthz"; }
[ "$(podman inspect "$name" --format '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}')" = "65532:65532 true" ] || fail "non-root, read-only root"
podman healthcheck run "$name" 2>/dev/null || fail "the image's health check"
podman exec "$name" countersign user add alice >/dev/null || fail "the CLI in the container"
podman exec "$name" countersign backup /data/backup.csb >/dev/null || fail "a backup into the volume"
[ "$(stat -c %u "$T/data/encryption.key")" = 65532 ] || fail "the key belongs to the container's user"
say "read-only, uid 65532, /healthz and the health check answer, CLI and backup work in the volume"
say OK
