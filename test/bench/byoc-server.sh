#!/usr/bin/env bash
# Start/stop `byoc serve` in the background, for the load and cold-start scripts of the peer
# benchmark (they need a start command that returns at once and a stop command).
#   byoc-server.sh start PORT WORKERS ML_ROOT   -> prints the primary's PID, writes $RUN_DIR/byoc-PORT.pid
#   byoc-server.sh stop PORT                    -> SIGTERM, waits (bounded) for the exit
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# BYOC_ROOT: another checkout with a build (serve-bench.sh COMPARE_ROOT runs two builds side by side).
ROOT=${BYOC_ROOT:-$(cd "$HERE/../.." && pwd)}
RUN_DIR=${BYOC_RUN_DIR:-${TMPDIR:-/tmp}}
cmd=${1:?usage: byoc-server.sh start PORT WORKERS ML_ROOT | stop PORT}
PORT=${2:?port}
PIDFILE=$RUN_DIR/byoc-$PORT.pid
case "$cmd" in
  start)
    WORKERS=${3:?workers}; ML=${4:?ml root}
    # Default log level (info): one JSON access-log line per request goes to the log file, as the
    # peer's nginx writes its access log; BYOC_LOG_LEVEL=warn measures without it.
    BYOC_LOG_LEVEL=${BYOC_LOG_LEVEL:-info} nohup node "$ROOT/dist/bundle/byoc.js" serve \
      --ml-root "$ML" --port "$PORT" --workers "$WORKERS" > "$RUN_DIR/byoc-$PORT.log" 2>&1 &
    echo $! > "$PIDFILE"
    echo $!
    ;;
  stop)
    [ -f "$PIDFILE" ] || exit 0
    pid=$(cat "$PIDFILE")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2;;
esac
