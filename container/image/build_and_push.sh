#!/usr/bin/env bash
# Build the SageMaker container image and push it to Amazon ECR.
#
# Usage: container/image/build_and_push.sh IMAGE [TAG]
#
#   IMAGE   ECR repository name (created when missing), e.g. byoc-imputer
#   TAG     image tag (default: latest)
#
# The account comes from `aws sts get-caller-identity`, the region from AWS_REGION,
# AWS_DEFAULT_REGION or `aws configure get region` (default us-west-2). The image is built for
# linux/amd64 (SageMaker's instances) from the repository root with container/image/Dockerfile.
#
# Environment:
#   CONTAINER_ENGINE  docker (default) or podman
#   BASE_IMAGE        optional base image override (build argument of the Dockerfile)
#   PLATFORM          target platform (default linux/amd64)
#   DRY_RUN=1         print the commands instead of running them (no AWS calls, no build)
set -euo pipefail

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

if [[ $# -lt 1 || $# -gt 2 || "$1" == "-h" || "$1" == "--help" ]]; then
  usage >&2
  [[ $# -ge 1 && ( "$1" == "-h" || "$1" == "--help" ) ]] && exit 0
  exit 2
fi

IMAGE="$1"
TAG="${2:-latest}"
if [[ ! "$IMAGE" =~ ^[a-z0-9]+([._/-][a-z0-9]+)*$ ]]; then
  echo "build_and_push: '$IMAGE' is not a valid ECR repository name (lower case, digits, . _ - /)" >&2
  exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CONTAINER_ENGINE="${CONTAINER_ENGINE:-docker}"
# shellcheck source=../local/common.sh
source "$ROOT/container/local/common.sh"
PLATFORM="${PLATFORM:-linux/amd64}"

run() {
  if [[ "${DRY_RUN:-0}" == "1" ]]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

if [[ "${DRY_RUN:-0}" == "1" ]]; then
  ACCOUNT="${AWS_ACCOUNT_ID:-123456789012}"
else
  command -v aws >/dev/null || { echo "build_and_push: the AWS CLI (aws) is required" >&2; exit 1; }
  ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
fi
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
if [[ -z "$REGION" && "${DRY_RUN:-0}" != "1" ]]; then
  REGION="$(aws configure get region || true)"
fi
REGION="${REGION:-us-west-2}"

# ECR's domain differs in the China regions.
DOMAIN="amazonaws.com"
[[ "$REGION" == cn-* ]] && DOMAIN="amazonaws.com.cn"
REGISTRY="${ACCOUNT}.dkr.ecr.${REGION}.${DOMAIN}"
FULLNAME="${REGISTRY}/${IMAGE}:${TAG}"

echo "build_and_push: ${FULLNAME} (engine: ${CONTAINER_ENGINE}, platform: ${PLATFORM})"

if [[ "${DRY_RUN:-0}" == "1" ]]; then
  run aws ecr describe-repositories --region "$REGION" --repository-names "$IMAGE"
  run aws ecr create-repository --region "$REGION" --repository-name "$IMAGE"
elif ! aws ecr describe-repositories --region "$REGION" --repository-names "$IMAGE" >/dev/null 2>&1; then
  echo "build_and_push: creating ECR repository $IMAGE"
  aws ecr create-repository --region "$REGION" --repository-name "$IMAGE" >/dev/null
fi

if [[ "${DRY_RUN:-0}" == "1" ]]; then
  echo "+ aws ecr get-login-password --region $REGION | ${ENGINE[0]} login --username AWS --password-stdin $REGISTRY"
else
  aws ecr get-login-password --region "$REGION" \
    | "${ENGINE[0]}" login --username AWS --password-stdin "$REGISTRY"
fi

BUILD_ARGS=(--build-arg "VERSION=$(node -p "require('$ROOT/package.json').version" 2>/dev/null || echo 0.0.0)")
if REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"; then
  BUILD_ARGS+=(--build-arg "REVISION=$REV")
fi
if [[ -n "${BASE_IMAGE:-}" ]]; then
  BUILD_ARGS+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
fi

run "${ENGINE[@]}" build "${NET_ARGS[@]}" --platform "$PLATFORM" "${BUILD_ARGS[@]}" \
  -f "$HERE/Dockerfile" -t "${IMAGE}:${TAG}" "$ROOT"
run "${ENGINE[0]}" tag "${IMAGE}:${TAG}" "$FULLNAME"
run "${ENGINE[0]}" push "$FULLNAME"

if [[ "${DRY_RUN:-0}" == "1" ]]; then echo "build_and_push: dry run, nothing built or pushed"; else echo "build_and_push: pushed ${FULLNAME}"; fi
echo "Use it as --image ${FULLNAME} (or SAGEMAKER_IMAGE) with the SageMaker client, see docs/deploy.md."
