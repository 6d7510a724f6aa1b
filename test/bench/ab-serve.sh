#!/usr/bin/env bash
# A/B of two builds of `byoc serve` on one endpoint, for changes smaller than the machine's
# run-to-run spread (a shared VM drifts by 10-20% within minutes). Per round it runs A then B:
# one worker with its primary pinned to CPU 1, wrk (1 thread, 16 connections) pinned to CPU 0,
# DURATION seconds after a 1 s warm-up. It prints req/s and the server's CPU time per request for
# each run, the B/A ratio of each pair, and the median ratio.
#
#   test/bench/ab-serve.sh A_ROOT B_ROOT ML_ROOT ENDPOINT
#     A_ROOT, B_ROOT: checkouts with a build (dist/bundle/byoc.js and node_modules), e.g. a
#                     `git worktree` of the old commit and this one, each after `npm run build`
#     ML_ROOT:        an ml root with a trained model (e.g. from `npm run bench:serve`'s OUT_DIR)
#     ENDPOINT:       ping | csv_1row | csv_100rows | json_1inst (the peer's payloads)
# Env: ROUNDS=6 DURATION=3 PORT=18555 PEER=../shared/peers/serving
# Needs wrk, curl, taskset (util-linux) and 2 CPUs.
set -euo pipefail
A=${1:?usage: ab-serve.sh A_ROOT B_ROOT ML_ROOT ENDPOINT}
B=${2:?usage: ab-serve.sh A_ROOT B_ROOT ML_ROOT ENDPOINT}
ML=${3:?usage: ab-serve.sh A_ROOT B_ROOT ML_ROOT ENDPOINT}
EP=${4:?usage: ab-serve.sh A_ROOT B_ROOT ML_ROOT ENDPOINT}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEER=${PEER:-$(cd "$HERE/../../.." && pwd)/shared/peers/serving}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-3}
PORT=${PORT:-18555}
PAYLOADS=$PEER/payloads
LUA=$PEER/wrk/request.lua
case $EP in
  ping) ARGS=(GET); PATH_=/ping ;;
  json_1inst) ARGS=(POST application/json "$PAYLOADS/json_1inst.json"); PATH_=/invocations ;;
  csv_1row) ARGS=(POST text/csv "$PAYLOADS/csv_1row.csv"); PATH_=/invocations ;;
  csv_100rows) ARGS=(POST text/csv "$PAYLOADS/csv_100rows.csv"); PATH_=/invocations ;;
  *) echo "unknown endpoint $EP" >&2; exit 2 ;;
esac
for t in wrk curl taskset; do command -v $t > /dev/null || { echo "ab-serve.sh: $t not found" >&2; exit 2; }; done
HZ=$(getconf CLK_TCK)

# run ROOT -> "rps cpu_us_per_request"
run() {
  local root=$1 sp t0 t1 out
  BYOC_LOG_LEVEL=info taskset -c 1 node "$root/dist/bundle/byoc.js" serve --ml-root "$ML" --port "$PORT" --workers 1 \
    > "${TMPDIR:-/tmp}/ab-serve.log" 2>&1 &
  sp=$!
  for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/ping" && break; sleep 0.05; done
  ticks() { local s=0 p; for p in $sp $(pgrep -P $sp); do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $s; }
  timeout 30 taskset -c 0 wrk -t1 -c16 -d1s -s "$LUA" "http://127.0.0.1:$PORT$PATH_" -- "${ARGS[@]}" > /dev/null
  t0=$(ticks)
  out=$(timeout 60 taskset -c 0 wrk -t1 -c16 -d"${DURATION}s" -s "$LUA" "http://127.0.0.1:$PORT$PATH_" -- "${ARGS[@]}" | grep RESULT)
  t1=$(ticks)
  kill -TERM $sp; wait $sp || true
  local requests rps
  requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<< "$out")
  rps=$(sed 's/.*rps=\([0-9.]*\).*/\1/' <<< "$out")
  echo "$rps $(( (t1 - t0) * 1000000 / HZ / requests ))"
}

ratios=()
for r in $(seq 1 "$ROUNDS"); do
  read -r ra ca <<< "$(run "$A")"
  read -r rb cb <<< "$(run "$B")"
  ratio=$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$ratio")
  echo "round $r: A $ra req/s ($ca us CPU/request)  B $rb req/s ($cb us CPU/request)  B/A $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median B/A over %d rounds: %.3f\n", NR, m }'
