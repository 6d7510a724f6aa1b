#!/usr/bin/env bash
# Start the inference server locally, exactly as SageMaker hosting starts it: `IMAGE serve` with
# test/sagemaker_fs/ mounted at /opt/ml (train first: container/local/train_local.sh IMAGE).
# Runs in the foreground; Ctrl-C (forwarded to the server as SIGINT) or
# `docker|podman stop byoc-serve-local` (SIGTERM, as SageMaker sends it) drains and exits.
#
# Usage: container/local/serve_local.sh IMAGE [extra run arguments...]
# Env:   CONTAINER_ENGINE  docker or podman (podman adds --runtime runc --network host)
#        PORT              port on this machine (default 8080; also SAGEMAKER_BIND_TO_PORT)
#        CONTAINER_NAME    default byoc-serve-local
#        SAGEMAKER_FS      tree to mount instead of test/sagemaker_fs
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"
parse_image_args 11 "$@"
NAME="${CONTAINER_NAME:-byoc-serve-local}"

if [[ ! -f "$SAGEMAKER_FS/model/manifest.json" ]]; then
  echo "serve_local: warning: $SAGEMAKER_FS/model has no manifest.json; run train_local.sh first" >&2
fi

PORT_ARGS=(-e "SAGEMAKER_BIND_TO_PORT=$LOCAL_PORT")
# With host networking the container's port is the machine's port; otherwise publish it on
# the loopback interface only.
if [[ " ${NET_ARGS[*]} " != *" host "* ]]; then
  PORT_ARGS+=(-p "127.0.0.1:$LOCAL_PORT:$LOCAL_PORT")
fi

echo "serve_local: ${ENGINE[*]} run $IMAGE serve on http://127.0.0.1:$LOCAL_PORT  (/opt/ml = $SAGEMAKER_FS)"
exec "${ENGINE[@]}" run --rm --name "$NAME" "${NET_ARGS[@]}" "${PORT_ARGS[@]}" \
  -v "$SAGEMAKER_FS:/opt/ml" "${RUN_ARGS[@]}" "$IMAGE" serve
