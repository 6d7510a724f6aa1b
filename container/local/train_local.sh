#!/usr/bin/env bash
# Run a training job locally, exactly as SageMaker starts it: `IMAGE train` with the tree
# test/sagemaker_fs/ (a mimic of /opt/ml) mounted at /opt/ml. The model lands in
# test/sagemaker_fs/model/, a failure reason in test/sagemaker_fs/output/failure.
#
# Usage: container/local/train_local.sh IMAGE [extra run arguments...]
# Env:   CONTAINER_ENGINE  docker or podman (podman adds --runtime runc --network host)
#        SAGEMAKER_FS      tree to mount instead of test/sagemaker_fs
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"
parse_image_args 8 "$@"

# Start from an empty model/ and output/, like a fresh SageMaker job (keep the .gitkeep files).
mkdir -p "$SAGEMAKER_FS/model" "$SAGEMAKER_FS/output"
find "$SAGEMAKER_FS/model" "$SAGEMAKER_FS/output" -mindepth 1 ! -name .gitkeep -delete

echo "train_local: ${ENGINE[*]} run $IMAGE train  (/opt/ml = $SAGEMAKER_FS)"
set +e
"${ENGINE[@]}" run --rm "${NET_ARGS[@]}" -v "$SAGEMAKER_FS:/opt/ml" "${RUN_ARGS[@]}" "$IMAGE" train
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  echo "train_local: training failed (exit $rc)" >&2
  [[ -f "$SAGEMAKER_FS/output/failure" ]] && { echo "--- output/failure:" >&2; cat "$SAGEMAKER_FS/output/failure" >&2; echo >&2; }
  exit $rc
fi
echo "train_local: model written to $SAGEMAKER_FS/model:"
ls -l "$SAGEMAKER_FS/model"
