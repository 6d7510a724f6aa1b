#!/usr/bin/env bash
# Test-harness only: build a stand-in for the official `node:20-bookworm-slim` base image on a
# machine that cannot pull from an image registry (see docs/deploy.md, "Local emulation").
#
# It debootstraps a minimal Debian bookworm root file system, imports it as
# localhost/debian-minbase:bookworm, and layers this machine's `node` binary, npm and CA bundle on
# top, tagged localhost/node:20-bookworm-slim. The production Dockerfile is untouched: it only
# takes the base as `--build-arg BASE_IMAGE=localhost/node:20-bookworm-slim`.
#
# Usage: container/local/build_base_image.sh [--force]
# Env:   CONTAINER_ENGINE   podman (default here) or docker
#        BASE_TAG           default localhost/node:20-bookworm-slim
#        MINBASE_TAG        default localhost/debian-minbase:bookworm
#        DEBIAN_MIRROR      optional mirror URL for debootstrap
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

FORCE=0
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --force) FORCE=1 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

BASE_TAG="${BASE_TAG:-localhost/node:20-bookworm-slim}"
MINBASE_TAG="${MINBASE_TAG:-localhost/debian-minbase:bookworm}"

image_exists() { "${ENGINE[@]}" image exists "$1" 2>/dev/null || "${ENGINE[@]}" image inspect "$1" >/dev/null 2>&1; }

if [[ $FORCE -eq 0 ]] && image_exists "$BASE_TAG"; then
  echo "build_base_image: $BASE_TAG already present (use --force to rebuild)"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/byoc-base.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

if [[ $FORCE -eq 1 ]] || ! image_exists "$MINBASE_TAG"; then
  command -v debootstrap >/dev/null || { echo "build_base_image: debootstrap is required (apt-get install -y debootstrap)" >&2; exit 1; }
  echo "build_base_image: debootstrap --variant=minbase bookworm (about a minute)"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  tar -C "$WORK/rootfs" -c . | "${ENGINE[@]}" import - "$MINBASE_TAG" >/dev/null
  rm -rf "$WORK/rootfs"
fi

# Build context: the host's node, npm and CA bundle.
NODE_BIN="$(command -v node)"
NODE_BIN="$(readlink -f "$NODE_BIN")"
NPM_DIR=""
for d in "$(dirname "$NODE_BIN")/../lib/node_modules/npm" /usr/lib/node_modules/npm /usr/local/lib/node_modules/npm /usr/share/nodejs/npm; do
  if [[ -f "$d/bin/npm-cli.js" ]]; then NPM_DIR="$(readlink -f "$d")"; break; fi
done
[[ -n "$NPM_DIR" ]] || { echo "build_base_image: cannot find npm's folder on this machine" >&2; exit 1; }
CA_FILE="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
[[ -f "$CA_FILE" ]] || { echo "build_base_image: CA bundle $CA_FILE not found" >&2; exit 1; }

mkdir -p "$WORK/ctx"
cp "$NODE_BIN" "$WORK/ctx/node"
cp -a "$NPM_DIR" "$WORK/ctx/npm"
cp "$CA_FILE" "$WORK/ctx/ca-certificates.crt"
cat >"$WORK/ctx/Containerfile" <<DOCKERFILE
FROM $MINBASE_TAG
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && chmod 0755 /usr/local/bin/node \\
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL org.opencontainers.image.description="Test-harness stand-in for node:20-bookworm-slim (not for production)"
CMD ["node"]
DOCKERFILE

echo "build_base_image: building $BASE_TAG from $MINBASE_TAG (node $("$NODE_BIN" --version), npm from $NPM_DIR)"
"${ENGINE[@]}" build "${NET_ARGS[@]}" -t "$BASE_TAG" -f "$WORK/ctx/Containerfile" "$WORK/ctx"
echo "build_base_image: done: $BASE_TAG"
