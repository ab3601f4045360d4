#!/usr/bin/env bash
# `make e2e-docker`: the end-to-end suite against the compose deployment, in containers.
#
# Starts a Docker engine of the project's own when none answers (engine.sh), builds the base
# images offline from Debian's packages (base-images.sh; RELAY_DOCKER_BASE=official uses the
# official images instead), builds the relay's image, brings the stack up on ports away from the
# local suite's, waits until every container is healthy, seeds, runs `pytest -m e2e` against it
# (base URLs, broker URL, database address and the compose command from the environment), and
# tears everything down whatever happened: containers, volumes, network, and the engine if it
# started it. The containers' logs are kept in .run/e2e-docker/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PY="${PY:-.venv/bin/python}"
HERE=deploy/docker
LOGS=.run/e2e-docker
PROJECT="${RELAY_COMPOSE_PROJECT:-relay-e2e}"
export RELAY_POSTGRES_PORT="${RELAY_POSTGRES_PORT:-28432}"
export RELAY_RABBITMQ_PORT="${RELAY_RABBITMQ_PORT:-28672}"
export RELAY_TREATING_PORT="${RELAY_TREATING_PORT:-28001}"
export RELAY_HUB_PORT="${RELAY_HUB_PORT:-28002}"
export RELAY_INSURED_PORT="${RELAY_INSURED_PORT:-28003}"
HEALTHY_WITHIN_S="${RELAY_HEALTHY_WITHIN_S:-240}"
# its own image name: a user's relay-sim:local (official base) is not replaced by this one
export RELAY_IMAGE="${RELAY_IMAGE:-relay-e2e:local}"

# one run at a time: a second would take down the first one's stack
mkdir -p .run
exec 9> .run/e2e-docker.lock
flock -n 9 || { echo "e2e-docker: another run holds .run/e2e-docker.lock" >&2; exit 1; }

# Debian's Compose (docker-compose 1.29) is what engine.sh installs; Compose v2 when present
if docker compose version > /dev/null 2>&1; then
    COMPOSE=(docker compose -p "$PROJECT")
else
    COMPOSE=(docker-compose -p "$PROJECT")
fi

SERVICES=(postgres rabbitmq national_hub insured_region treating_region)
started_engine=no
started_stack=no
copied_bundle=no
cleanup() {
    local rc=$?
    set +e
    if [ "$started_stack" = yes ]; then
        mkdir -p "$LOGS"
        for svc in "${SERVICES[@]}"; do
            "${COMPOSE[@]}" logs --no-color "$svc" > "$LOGS/$svc.log" 2>&1
        done
        "${COMPOSE[@]}" --profile seed down -v --remove-orphans --timeout 10 > /dev/null 2>&1
    fi
    if [ "$started_engine" = yes ]; then
        docker image prune -f > /dev/null 2>&1  # the images a change of code left dangling
        bash "$HERE/engine.sh" down
    fi
    [ "$copied_bundle" = yes ] && rm -f "$HERE/ca/bundle.pem"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
if bash "$HERE/engine.sh" status; then  # the project's own, already up (by hand): keep it up
    export DOCKER_HOST=unix:///run/relay-docker/docker.sock
elif ! docker version > /dev/null 2>&1; then  # no engine answers: start the project's own
    started_engine=yes  # before it starts: a failed start is stopped too
    engine="$(bash "$HERE/engine.sh" up)"
    export "${engine?}"
fi
echo "e2e-docker: engine at ${DOCKER_HOST:-the default socket} ($((SECONDS - t0)) s)"

if [ "${RELAY_DOCKER_BASE:-local}" = local ]; then
    images="$(bash "$HERE/base-images.sh")"  # set -e: a failed build stops here
    while IFS= read -r assignment; do export "${assignment?}"; done <<< "$images"
    echo "e2e-docker: base images $RELAY_PYTHON_IMAGE, $RELAY_POSTGRES_IMAGE, $RELAY_RABBITMQ_IMAGE ($((SECONDS - t0)) s)"
fi

# the hook of deploy/docker/ca/README.md: the CA bundle the host's own pip trusts, if it names
# one and no bundle was put there by hand
if [ ! -e "$HERE/ca/bundle.pem" ]; then
    for bundle in "${PIP_CERT:-}" "${SSL_CERT_FILE:-}"; do
        if [ -n "$bundle" ] && [ -s "$bundle" ]; then
            cp "$bundle" "$HERE/ca/bundle.pem"
            copied_bundle=yes
            break
        fi
    done
fi

started_stack=yes  # from here on, whatever exists of it is taken down
# what a killed run may have left (containers, volumes) is not this run's
"${COMPOSE[@]}" --profile seed down -v --remove-orphans --timeout 10 > /dev/null 2>&1
"${COMPOSE[@]}" build -q national_hub
"${COMPOSE[@]}" up -d
echo "e2e-docker: built and started ($((SECONDS - t0)) s)"

# every container healthy (Compose 1.29 has no --wait)
deadline=$((SECONDS + HEALTHY_WITHIN_S))
while :; do
    unhealthy=()
    for svc in "${SERVICES[@]}"; do
        id="$("${COMPOSE[@]}" ps -a -q "$svc" 2> /dev/null || true)"
        state="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2> /dev/null || echo missing)"
        [ "$state" = healthy ] || unhealthy+=("$svc:$state")
    done
    [ "${#unhealthy[@]}" -eq 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "e2e-docker: not healthy after ${HEALTHY_WITHIN_S} s: ${unhealthy[*]}" >&2
        exit 1
    fi
    sleep 2
done
echo "e2e-docker: healthy ($((SECONDS - t0)) s)"

mkdir -p "$LOGS"
"${COMPOSE[@]}" --profile seed run --rm seed > "$LOGS/seed.log" 2>&1 \
    || { cat "$LOGS/seed.log" >&2; exit 1; }
echo "e2e-docker: seeded ($((SECONDS - t0)) s)"

RELAY_E2E_TREATING_URL="http://127.0.0.1:$RELAY_TREATING_PORT" \
RELAY_E2E_HUB_URL="http://127.0.0.1:$RELAY_HUB_PORT" \
RELAY_E2E_INSURED_URL="http://127.0.0.1:$RELAY_INSURED_PORT" \
RELAY_E2E_AMQP_URL="amqp://relay:relay@127.0.0.1:$RELAY_RABBITMQ_PORT/relay" \
RELAY_PG_ADDRESS="127.0.0.1:$RELAY_POSTGRES_PORT" \
RELAY_E2E_DB_SUFFIX="" \
RELAY_E2E_COMPOSE="${COMPOSE[*]}" \
    "$PY" -m pytest -m e2e tests/e2e -p no:cacheprovider "$@"
echo "e2e-docker: suite done ($((SECONDS - t0)) s)"
