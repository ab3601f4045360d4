#!/usr/bin/env bash
# Check docker-compose.yml and deploy/Dockerfile without starting anything.
#
#   deploy/local/compose_check.sh
#
# 1. Always: the static check tests/unit/test_compose.py (no Docker needed): services, commands,
#    settings names, ports, healthchecks, mounts and the Dockerfile against the code.
# 2. Only when a Docker engine answers (`docker info`): `config -q` (Compose v2 or 1.29), Compose's own
#    validation of the file (with and without the "seed" profile).
#
# Environment: PY, the Python with the project and its dev extras (default .venv/bin/python).
set -euo pipefail

cd "$(dirname "$0")/../.."
PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3

log() { echo "compose_check: $*"; }

log "static check (tests/unit/test_compose.py)"
"$PY" -m pytest -q tests/unit/test_compose.py

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  # Compose v2 when present, else Debian's Compose 1.29 (deploy/docker/engine.sh installs it)
  if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
  log "docker engine reachable: ${compose[*]} config -q"
  "${compose[@]}" config -q
  "${compose[@]}" --profile seed config -q
  log "compose config ok"
else
  log "no docker engine reachable: skipped docker compose config"
fi
