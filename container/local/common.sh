# Shared settings for the container/local/*.sh scripts (sourced, not executed).
#
# CONTAINER_ENGINE selects the engine: docker (default when a docker daemon answers) or podman.
# With podman the scripts add `--runtime runc` when runc is installed (crun fails on cgroups v1
# hybrid hosts such as the development machine) and `--network host` (see docs/deploy.md).
# PODMAN_RUNTIME=NAME picks another runtime (empty: podman's default); CONTAINER_NETWORK=...
# another network mode.

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
    # runc when installed (crun fails on cgroups v1 hybrid hosts); PODMAN_RUNTIME overrides,
    # PODMAN_RUNTIME= (empty) keeps podman's default runtime.
    if [[ -z "${PODMAN_RUNTIME+x}" ]]; then
      if command -v runc >/dev/null 2>&1 || [[ -x /usr/sbin/runc ]]; then PODMAN_RUNTIME=runc; else PODMAN_RUNTIME=; fi
    fi
    if [[ -n "$PODMAN_RUNTIME" ]]; then ENGINE+=(--runtime "$PODMAN_RUNTIME"); fi
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

# For the scripts called as `SCRIPT IMAGE [extra run arguments...]` (train_local.sh,
# serve_local.sh): with no argument, or with -h/--help, prints the usage (lines 2 to $1 of the
# script's header comment) and exits (2, or 0 for help). Otherwise sets IMAGE and RUN_ARGS (the
# extra run arguments).
parse_image_args() {
  local usage_end="$1"; shift
  if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
    sed -n "2,${usage_end}p" "$0" | sed 's/^# \{0,1\}//'
    [[ $# -ge 1 ]] && exit 0 || exit 2
  fi
  IMAGE="$1"
  RUN_ARGS=("${@:2}")
}

# The checked-in tree that mimics /opt/ml.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SAGEMAKER_FS="${SAGEMAKER_FS:-$REPO_ROOT/test/sagemaker_fs}"
# Port the local server listens on (and impute.sh talks to).
LOCAL_PORT="${SAGEMAKER_BIND_TO_PORT:-${PORT:-8080}}"
