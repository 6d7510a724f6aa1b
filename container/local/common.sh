# Shared settings for the container/local/*.sh scripts (sourced, not executed).
#
# CONTAINER_ENGINE selects the engine: docker (default when a docker daemon answers) or podman.
# With podman this machine needs `--runtime runc` (crun fails on cgroups v1 hybrid) and
# `--network host` (see docs/deploy.md). Override with PODMAN_RUNTIME= (empty) to use the default
# runtime, or CONTAINER_NETWORK=... to choose another network mode.

if [[ -z "${CONTAINER_ENGINE:-}" ]]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    CONTAINER_ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then
    CONTAINER_ENGINE=podman
  else
    CONTAINER_ENGINE=docker
  fi
fi

case "$CONTAINER_ENGINE" in
  podman)
    ENGINE=(podman)
    if [[ -n "${PODMAN_RUNTIME-runc}" ]]; then ENGINE+=(--runtime "${PODMAN_RUNTIME-runc}"); fi
    NET_ARGS=(--network "${CONTAINER_NETWORK:-host}")
    ;;
  docker)
    ENGINE=(docker)
    if [[ -n "${CONTAINER_NETWORK:-}" ]]; then NET_ARGS=(--network "$CONTAINER_NETWORK"); else NET_ARGS=(); fi
    ;;
  *)
    echo "CONTAINER_ENGINE must be docker or podman (got '$CONTAINER_ENGINE')" >&2
    exit 2
    ;;
esac

# The checked-in tree that mimics /opt/ml.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SAGEMAKER_FS="${SAGEMAKER_FS:-$REPO_ROOT/test/sagemaker_fs}"
# Port the local server listens on (and impute.sh talks to).
LOCAL_PORT="${SAGEMAKER_BIND_TO_PORT:-${PORT:-8080}}"
