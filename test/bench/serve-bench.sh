#!/usr/bin/env bash
# Side-by-side serving benchmark: our `byoc serve` vs the original nginx + gunicorn + Flask stack
# (../shared/peers/serving), same machine, same wrk load script and payloads.
#
# Both servers run at once (the idle one uses no CPU) and are loaded in turn, endpoint by endpoint,
# for ROUNDS rounds: each byoc run is paired with a peer run of the same endpoint right after it,
# so slow drifts of this shared machine's speed hit both sides of a ratio alike. The table gives
# medians over rounds and the median of the paired ratios.
#
#   npm run bench:serve                      # baseline model (default)
#   ALGORITHM=datawig npm run bench:serve    # the datawig model
#   COMPARE_ROOT=/tmp/before npm run bench:serve   # also an earlier build (a `git worktree` of an
#                                            # older commit after `npm run build`), loaded in the same
#                                            # rounds: the table adds its req/s and the after/before ratio
# Env: WORKERS=2 PORT=18181 PEER_PORT=18182 COMPARE_PORT=18183 DURATION=10 ROUNDS=3 REPS=5
#      OUT_DIR=/tmp/byoc-bench SKIP_PEER=0 COMPARE_ROOT=
# Needs wrk, curl, python3 (stdlib) and, for the peer, Debian's python3-flask gunicorn
# python3-gevent python3-sklearn python3-pandas python3-joblib nginx-light (see the peer's README).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
ALGORITHM=${ALGORITHM:-baseline}
WORKERS=${WORKERS:-2}
PORT=${PORT:-18181}
PEER_PORT=${PEER_PORT:-18182}
REPS=${REPS:-5}
ROUNDS=${ROUNDS:-3}
ENDPOINTS=${ENDPOINTS:-ping csv_1row csv_100rows json_1inst}
SKIP_PEER=${SKIP_PEER:-0}
COMPARE_ROOT=${COMPARE_ROOT:-}
COMPARE_PORT=${COMPARE_PORT:-18183}
OUT_DIR=${OUT_DIR:-${TMPDIR:-/tmp}/byoc-bench}
export DURATION=${DURATION:-10}
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/byoc-bench.XXXXXX")
export BYOC_RUN_DIR=$WORK
SERVER="$HERE/byoc-server.sh"
PEER_RUN_DIR=${TMPDIR:-/tmp}/pystack-$PEER_PORT
cleanup() {
  "$SERVER" stop "$PORT" >/dev/null 2>&1 || true
  "$SERVER" stop "$COMPARE_PORT" >/dev/null 2>&1 || true
  [ -x "${PEER:-}/python_stack/stop.sh" ] && RUN_DIR=$PEER_RUN_DIR "$PEER/python_stack/stop.sh" "$PEER_PORT" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for t in wrk curl python3; do command -v "$t" >/dev/null || { echo "serve-bench: $t is required (apt-get install wrk curl)" >&2; exit 2; }; done
[ -f "$ROOT/dist/bundle/byoc.js" ] || { echo "serve-bench: run npm run build first" >&2; exit 2; }

# The peer folder is read-only in shared/: work on a copy.
cp -r "$SHARED/peers/serving" "$WORK/peer"
chmod -R u+w "$WORK/peer"
PEER=$WORK/peer

echo "== training table: the peer's synthetic review table (python_stack/synth.py via train.py)" >&2
if [ "$SKIP_PEER" != 1 ]; then
  /usr/bin/python3 "$PEER/python_stack/train.py" >&2
  TABLE=$PEER/python_stack/model/train.csv
else
  TABLE=${TABLE:?with SKIP_PEER=1 set TABLE to a CSV with review,rating_binary}
fi
[ -f "$PEER/payloads/csv_100rows.csv" ] || python3 "$PEER/payloads/make_payloads.py"

ML=$WORK/ml
mkdir -p "$ML/input/config" "$ML/input/data/train"
cp "$TABLE" "$ML/input/data/train/train.csv"
printf '{"algorithm": "%s", "feature_columns": "review", "label_column": "rating_binary"}\n' "$ALGORITHM" > "$ML/input/config/hyperparameters.json"
echo "== training $ALGORITHM on $(($(wc -l < "$TABLE") - 1)) rows" >&2
t0=$(date +%s.%N)
BYOC_LOG_LEVEL=warn node "$ROOT/dist/bundle/byoc.js" train --ml-root "$ML" > "$WORK/train.log" 2>&1 || { cat "$WORK/train.log" >&2; exit 1; }
echo "   trained in $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s" >&2

wait_ping() {
  for _ in $(seq 1 1500); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/ping")" = 200 ] && return 0
    sleep 0.02
  done
  return 1
}

echo "== starting byoc serve ($ALGORITHM, $WORKERS workers)" >&2
PID=$("$SERVER" start "$PORT" "$WORKERS" "$ML")
wait_ping "$PORT" || { cat "$BYOC_RUN_DIR/byoc-$PORT.log" >&2; exit 1; }
if [ -n "$COMPARE_ROOT" ]; then
  [ -f "$COMPARE_ROOT/dist/bundle/byoc.js" ] || { echo "serve-bench: $COMPARE_ROOT has no build (npm run build there)" >&2; exit 2; }
  echo "== starting the earlier build from $COMPARE_ROOT ($WORKERS workers)" >&2
  BASE_PID=$(BYOC_ROOT=$COMPARE_ROOT "$SERVER" start "$COMPARE_PORT" "$WORKERS" "$ML")
  wait_ping "$COMPARE_PORT" || { cat "$BYOC_RUN_DIR/byoc-$COMPARE_PORT.log" >&2; exit 1; }
fi
if [ "$SKIP_PEER" != 1 ]; then
  echo "== starting the peer: nginx + gunicorn + Flask ($WORKERS workers)" >&2
  RUN_DIR=$PEER_RUN_DIR "$PEER/python_stack/stop.sh" "$PEER_PORT" >/dev/null 2>&1 || true
  RUN_DIR=$PEER_RUN_DIR "$PEER/python_stack/start.sh" "$PEER_PORT" "$WORKERS" >/dev/null
  wait_ping "$PEER_PORT" || { echo "the peer did not become ready; see $PEER_RUN_DIR" >&2; exit 1; }
  PEER_PIDS=$(awk '{print $2}' "$PEER_RUN_DIR/stack.pids" | tr '\n' ' ')
fi

rm -f "$OUT_DIR"/byoc.*.txt "$OUT_DIR"/peer.*.txt "$OUT_DIR"/before.*.txt
load_before() {
  [ -n "$COMPARE_ROOT" ] || return 0
  ENDPOINTS=$1 LABEL="earlier build $COMPARE_ROOT" SERVER_PIDS="$BASE_PID" \
    "$PEER/run_load.sh" "http://127.0.0.1:$COMPARE_PORT" "$OUT_DIR/before.$1.$2.txt" >/dev/null
}
for round in $(seq 1 "$ROUNDS"); do
  for endpoint in $ENDPOINTS; do
    echo "== round $round/$ROUNDS, $endpoint: byoc${COMPARE_ROOT:+ and the earlier build}, then the peer" >&2
    # The two builds take turns going first, so that neither always runs on a warmer machine.
    if [ $((round % 2)) = 0 ]; then load_before "$endpoint" "$round"; fi
    ENDPOINTS=$endpoint LABEL="byoc serve ($ALGORITHM model, $WORKERS workers, node $(node --version))" SERVER_PIDS="$PID" \
      "$PEER/run_load.sh" "http://127.0.0.1:$PORT" "$OUT_DIR/byoc.$endpoint.$round.txt" >/dev/null
    if [ $((round % 2)) = 1 ]; then load_before "$endpoint" "$round"; fi
    if [ "$SKIP_PEER" != 1 ]; then
      ENDPOINTS=$endpoint LABEL="nginx + gunicorn + Flask ($WORKERS workers)" SERVER_PIDS="$PEER_PIDS" \
        "$PEER/run_load.sh" "http://127.0.0.1:$PEER_PORT" "$OUT_DIR/peer.$endpoint.$round.txt" >/dev/null
    fi
  done
done

python3 "$PEER/rss.py" "$PID" > "$OUT_DIR/byoc.mem"
"$SERVER" stop "$PORT"
if [ -n "$COMPARE_ROOT" ]; then
  python3 "$PEER/rss.py" "$BASE_PID" > "$OUT_DIR/before.mem"
  "$SERVER" stop "$COMPARE_PORT"
fi
if [ "$SKIP_PEER" != 1 ]; then
  # shellcheck disable=SC2086
  python3 "$PEER/rss.py" $PEER_PIDS > "$OUT_DIR/peer.mem"
  RUN_DIR=$PEER_RUN_DIR "$PEER/python_stack/stop.sh" "$PEER_PORT" >/dev/null
fi

echo "== cold start ($REPS reps each)" >&2
python3 "$PEER/cold_start.py" --url "http://127.0.0.1:$PORT/ping" --reps "$REPS" --interval 0.005 \
  --start "$SERVER start $PORT $WORKERS $ML" --stop "$SERVER stop $PORT" > "$OUT_DIR/byoc.cold"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  # This variable makes every Node process parse a CA bundle at start (paid by the primary, then by
  # the workers); the container image does not set it. Measured both ways, the headline keeps it.
  python3 "$PEER/cold_start.py" --url "http://127.0.0.1:$PORT/ping" --reps "$REPS" --interval 0.005 \
    --start "env -u NODE_EXTRA_CA_CERTS $SERVER start $PORT $WORKERS $ML" --stop "$SERVER stop $PORT" > "$OUT_DIR/byoc.cold-no-extra-ca"
else
  rm -f "$OUT_DIR/byoc.cold-no-extra-ca"
fi
if [ "$SKIP_PEER" != 1 ]; then
  RUN_DIR=$PEER_RUN_DIR python3 "$PEER/cold_start.py" --url "http://127.0.0.1:$PEER_PORT/ping" --reps "$REPS" --interval 0.02 \
    --start "$PEER/python_stack/start.sh $PEER_PORT $WORKERS" --stop "$PEER/python_stack/stop.sh $PEER_PORT" > "$OUT_DIR/peer.cold"
fi

node "$HERE/compare-results.mjs" "$OUT_DIR" "$ALGORITHM" "$ROUNDS"
