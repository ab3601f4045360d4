#!/usr/bin/env bash
# Start or stop the three services as background processes on 127.0.0.1.
#
#   deploy/local/services.sh up      start hub, insured region, treating region; wait for /healthz
#   deploy/local/services.sh down    stop them (TERM, then KILL after 10 s)
#   deploy/local/services.sh status
#
# Settings come from the environment (TREATING_REGION_*, NATIONAL_HUB_*, INSURED_REGION_*, and
# RELAY_CLOCK_START / RELAY_CLOCK_SPEED / RELAY_CLOCK_EPOCH for the one business clock),
# e.g. each service's *_OPERATOR_TOKEN and *_OPERATOR_PII_TOKEN for its admin API (dev defaults).
set -euo pipefail

cd "$(dirname "$0")/../.."
PY="${PY:-.venv/bin/python}"
RUN_DIR="${RUN_DIR:-.run}"
mkdir -p "$RUN_DIR"

# name:default port; the hub first: it declares the queues the others publish into
SERVICES=(national_hub:8002 insured_region:8003 treating_region:8001)

log() { echo "services: $*"; }

port_of() {
  local name=$1 default=$2 var
  var="$(echo "$name" | tr '[:lower:]' '[:upper:]')_HTTP_PORT"
  echo "${!var:-$default}"
}

alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

wait_healthy() {
  local name=$1 port=$2 deadline=$((SECONDS + 60))
  until curl --noproxy '*' -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    if ! alive "$name"; then
      log "$name exited; last lines of $RUN_DIR/$name.log:"; tail -20 "$RUN_DIR/$name.log" >&2
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then log "$name not healthy after 60 s"; return 1; fi
    sleep 0.3
  done
}

up() {
  local entry name port
  # one business clock for the three (shared/clock.py): a clock set to start elsewhere than
  # now, or to run faster, gets one epoch here, so every process reads the same time
  if [ -n "${RELAY_CLOCK_START:-}${RELAY_CLOCK_SPEED:-}" ] && [ -z "${RELAY_CLOCK_EPOCH:-}" ]; then
    RELAY_CLOCK_EPOCH="$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"
    export RELAY_CLOCK_EPOCH
    log "business clock from ${RELAY_CLOCK_START:-now} at x${RELAY_CLOCK_SPEED:-1}, epoch $RELAY_CLOCK_EPOCH"
  fi
  for entry in "${SERVICES[@]}"; do
    name=${entry%%:*}; port=$(port_of "$name" "${entry##*:}")
    if alive "$name"; then
      log "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"
    elif curl --noproxy '*' -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      log "port $port already answers but not from a process started here: stop it first"
      return 1
    else
      setsid "$PY" -m "services.$name" serve >"$RUN_DIR/$name.log" 2>&1 < /dev/null &
      echo $! >"$RUN_DIR/$name.pid"
    fi
    wait_healthy "$name" "$port"
    log "$name  http://127.0.0.1:$port  (docs /docs, health /healthz)  log $RUN_DIR/$name.log"
  done
}

down() {
  local entry name pid i
  for entry in "${SERVICES[@]}"; do
    name=${entry%%:*}
    if alive "$name"; then
      pid=$(cat "$RUN_DIR/$name.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      log "$name stopped"
    fi
    rm -f "$RUN_DIR/$name.pid"
  done
}

status() {
  local entry name rc=0
  for entry in "${SERVICES[@]}"; do
    name=${entry%%:*}
    if alive "$name"; then log "$name running"; else log "$name stopped"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
