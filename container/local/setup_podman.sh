#!/usr/bin/env bash
# Test-harness only: make podman usable on a Debian machine without a Docker engine.
#   1. apt-get install -y podman runc debootstrap   (only when missing, and only as root)
#   2. /etc/containers/containers.conf with `default_ulimits = []` (runc rejects the defaults here)
# Idempotent: does nothing when everything is already in place.
# Usage: container/local/setup_podman.sh
set -euo pipefail

missing=()
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || missing+=("$tool")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup_podman: missing ${missing[*]}; run as root: apt-get install -y podman runc debootstrap" >&2
    exit 1
  fi
  echo "setup_podman: installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q podman runc debootstrap >/dev/null
fi

CONF=/etc/containers/containers.conf
if ! grep -qs '^[[:space:]]*default_ulimits' "$CONF"; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup_podman: $CONF lacks default_ulimits = []; add it as root" >&2
    exit 1
  fi
  mkdir -p /etc/containers
  if grep -qs '^\[containers\]' "$CONF"; then
    sed -i 's/^\[containers\]/[containers]\ndefault_ulimits = []/' "$CONF"
  else
    printf '[containers]\ndefault_ulimits = []\n' >>"$CONF"
  fi
  echo "setup_podman: wrote default_ulimits = [] to $CONF"
fi
echo "setup_podman: podman $(podman --version | awk '{print $3}') ready (use --runtime runc)"
