#!/usr/bin/env bash
# Send a CSV file to a locally running server (container/local/serve_local.sh): wait for
# GET /ping to answer 200, then POST the file to /invocations as text/csv and print the
# imputed table.
#
# Usage: container/local/impute.sh FILE.csv
# Env:   PORT / SAGEMAKER_BIND_TO_PORT  server port (default 8080)
#        HOST            default 127.0.0.1
#        ACCEPT          response type (default text/csv; also application/json, application/jsonlines)
#        PING_TIMEOUT    seconds to wait for /ping (default 30)
set -euo pipefail

if [[ $# -ne 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  [[ $# -eq 1 ]] && exit 0 || exit 2
fi
FILE="$1"
[[ -f "$FILE" ]] || { echo "impute: $FILE: no such file" >&2; exit 2; }
PORT="${SAGEMAKER_BIND_TO_PORT:-${PORT:-8080}}"
BASE="http://${HOST:-127.0.0.1}:${PORT}"

deadline=$(( $(date +%s) + ${PING_TIMEOUT:-30} ))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/ping" || true)" == "200" ]]; do
  if (( $(date +%s) >= deadline )); then
    echo "impute: $BASE/ping did not answer 200 within ${PING_TIMEOUT:-30}s" >&2
    exit 1
  fi
  sleep 0.5
done
echo "impute: $BASE/ping OK" >&2

# 503 while a server worker is still loading its model: retry a few times (bounded).
body_file="$(mktemp)"
trap 'rm -f "$body_file"' EXIT
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  code="$(curl -sS --max-time 60 -o "$body_file" -w '%{http_code}' \
    -H "Content-Type: text/csv" -H "Accept: ${ACCEPT:-text/csv}" \
    --data-binary "@$FILE" "$BASE/invocations")" || { echo "impute: request to $BASE/invocations failed" >&2; exit 1; }
  [[ "$code" == "503" && $attempt -lt 10 ]] || break
  sleep 0.5
done
if [[ "$code" != "200" ]]; then
  echo "impute: /invocations answered $code: $(head -c 2000 "$body_file")" >&2
  exit 1
fi
cat "$body_file"
# exactly one trailing newline
[[ -z "$(tail -c 1 "$body_file")" ]] || echo
