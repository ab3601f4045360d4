#!/usr/bin/env bash
# make demo: the whole relay on a fast business clock — simulated hospitals through January and
# February, then both months cleared — printing the settlement report, the clearing (who pays
# whom), the prepayment gauges and the daily reconciliation — then the months' supervision:
# cost monitoring, two-way benefit flags, and a co-investigation batch through to its
# deductions returned in the next clearing.
#
# Databases of its own (<service>_demo) and a vhost of its own (relay_demo), made fresh each
# run, so the books hold exactly this run's traffic. Knobs (environment):
#   DEMO_CARES          cares over the two months (default 2000)
#   RELAY_CLOCK_START   where the business clock starts (default 1 December 2025: the month
#                       before the two the traffic runs in, time enough to set up)
#   RELAY_CLOCK_SPEED   business seconds per real second (default 43200: a day in 2 s)
set -euo pipefail

cd "$(dirname "$0")/../.."
PY="${PY:-.venv/bin/python}"
CARES="${DEMO_CARES:-2000}"
VHOST=relay_demo
AMQP="amqp://relay:relay@127.0.0.1:5672/$VHOST"

export RELAY_CLOCK_START="${RELAY_CLOCK_START:-2025-12-01T08:00:00+08:00}"
export RELAY_CLOCK_SPEED="${RELAY_CLOCK_SPEED:-43200}"
RELAY_CLOCK_EPOCH="$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"
export RELAY_CLOCK_EPOCH
for prefix in NATIONAL_HUB INSURED_REGION TREATING_REGION; do
  service=$(echo "$prefix" | tr '[:upper:]' '[:lower:]')
  role=$(case $service in national_hub) echo hub;; insured_region) echo insured;; *) echo treating;; esac)
  export "${prefix}_DATABASE_URL=postgresql+asyncpg://$role:$role@127.0.0.1:5432/${service}_demo"
  export "${prefix}_AMQP_URL=$AMQP"
done
export RUN_DIR="${RUN_DIR:-.run/demo}"

bash deploy/local/infra.sh vhost "$VHOST" >/dev/null
"$PY" - <<PY
import asyncio
from bench.stack import fresh_databases, fresh_journal
asyncio.run(fresh_databases("_demo"))
asyncio.run(fresh_journal("$AMQP"))
PY
"$PY" -m services.national_hub migrate
"$PY" -m services.insured_region migrate
"$PY" -m services.treating_region migrate
"$PY" -m services.insured_region seed --seed "${SEED:-42}" --per-region "${PER_REGION:-40}"

status=0
bash deploy/local/services.sh up
# the traffic runs through the two months after the one the clock starts in
read -r first days months < <("$PY" - <<'PY'
from datetime import timedelta
from shared import clock
business = clock.from_environment()
start = (business.start or business.now()).astimezone(clock.CHINA_TZ).date()
first = (start.replace(day=1) + timedelta(days=31)).replace(day=1)
second = (first + timedelta(days=31)).replace(day=1)
end = (second + timedelta(days=31)).replace(day=1)
print(first, (end - first).days, f"{first:%Y%m},{second:%Y%m}")
PY
)
echo "demo: business clock from $RELAY_CLOCK_START at x$RELAY_CLOCK_SPEED: $CARES cares over" \
  "$days days from $first, then months $months cleared"
"$PY" -m sim session \
  && "$PY" -m sim run --cares "$CARES" --from "$first" --days "$days" --concurrency 16 \
  && "$PY" -m sim books --months "$months" \
  && "$PY" -m sim supervise --months "$months" \
  || status=$?
bash deploy/local/services.sh down
exit $status
