#!/usr/bin/env bash
# Local development infrastructure without Docker or systemd (Debian/Ubuntu):
# PostgreSQL (Debian cluster "main") and RabbitMQ, both bound to 127.0.0.1 only.
#
#   deploy/local/infra.sh up      install if missing, configure, start, create roles/dbs/vhost/user
#   deploy/local/infra.sh down    stop both (harmless when already stopped)
#   deploy/local/infra.sh status  report; exit 0 only when both are up
#   deploy/local/infra.sh vhost N add vhost N with the relay's users and policy (a parallel run)
#
# Environment overrides: PG_PORT (5432), AMQP_PORT (5672), RMQ_START_TIMEOUT (120 s).
# The compose equivalents live in deploy/postgres/init.sql and deploy/rabbitmq/.
set -euo pipefail

PG_PORT="${PG_PORT:-5432}"
AMQP_PORT="${AMQP_PORT:-5672}"
RMQ_START_TIMEOUT="${RMQ_START_TIMEOUT:-120}"
BIND_ADDR=127.0.0.1

# role:password:database (database owned by role)
PG_ACCOUNTS=(
  treating:treating:treating_region
  hub:hub:national_hub
  insured:insured:insured_region
)
RMQ_VHOST=relay
# relay_test: the end-to-end suite's own vhost, so a `make up` stack never eats its messages;
# relay_months, relay_supervision: the months and supervision tests' stacks (business clocks of their own)
RMQ_VHOSTS=(relay relay_test relay_bench relay_months relay_supervision)
RMQ_USER=relay
RMQ_PASS=relay
# One broker user per insured-region pool: RabbitMQ checks each message's user_id against it, and
# the permissions let a region publish only requests, replies and hub events, and read only its
# own queues (design §4). Users, permissions and policies come from the compose definitions.
RMQ_DEFINITIONS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../rabbitmq" && pwd)/definitions.json"
RMQ_REGION_PASS="${RMQ_REGION_PASS:-relay}"

# Node name on "localhost" so the CLI reaches it over loopback whatever the hostname resolves to.
RMQ_NODENAME=rabbit@localhost
RMQ_DIST_PORT=$((AMQP_PORT + 20000))
RMQ_ETC=/etc/rabbitmq
RMQ_HOME=/var/lib/rabbitmq
RMQ_LOG_DIR=/var/log/rabbitmq

export PATH="$PATH:/usr/sbin:/sbin"
# Any Erlang VM started from here (including the CLI, which spawns epmd when it is not
# running) must start epmd on loopback only. The Debian wrappers (su/runuser) keep this.
export ERL_EPMD_ADDRESS="$BIND_ADDR"

log() { echo "infra: $*"; }
die() { echo "infra: ERROR: $*" >&2; exit 1; }
indent() { sed -u 's/^/infra:   | /'; }

if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root"
  exec sudo -E bash "$0" "$@"
fi

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_installed() {
  command -v pg_ctlcluster >/dev/null 2>&1 && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}
rmq_installed() {
  command -v rabbitmq-server >/dev/null 2>&1 && [ -x /usr/sbin/rabbitmqctl ]
}

# ---------------------------------------------------------------- install

ensure_packages() {
  local missing=()
  pg_installed || missing+=(postgresql)
  rmq_installed || missing+=(rabbitmq-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}"
}


# ---------------------------------------------------------------- postgresql

# Major version to use: the newest installed server that already has a "main"
# cluster, otherwise the newest installed server.
pg_version() {
  local versions v
  versions=$(for d in /usr/lib/postgresql/*/bin/postgres; do
               [ -x "$d" ] && basename "$(dirname "$(dirname "$d")")"
             done | sort -V)
  [ -n "$versions" ] || return 1
  for v in $(tac <<<"$versions"); do
    if [ -f "/etc/postgresql/$v/main/postgresql.conf" ]; then echo "$v"; return 0; fi
  done
  tail -n1 <<<"$versions"
}

pg_cluster_online() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$1" '$1 == v && $2 == "main" && $4 ~ /^online/ {f=1} END {exit !f}'
}

pg_ready() { pg_isready -q -h "$BIND_ADDR" -p "$PG_PORT" >/dev/null 2>&1; }

pg_psql_admin() {
  (cd / && runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres "$@")
}

pg_up() {
  local ver conf_dir restart=0 reload=0
  ver=$(pg_version) || die "no PostgreSQL server binaries found under /usr/lib/postgresql"
  conf_dir="/etc/postgresql/$ver/main"

  if [ ! -f "$conf_dir/postgresql.conf" ]; then
    log "postgresql: creating cluster $ver/main on port $PG_PORT"
    pg_createcluster "$ver" main -p "$PG_PORT" 2>&1 | indent
  fi

  # Settings go into a conf.d drop-in (Debian's postgresql.conf ends with include_dir = 'conf.d',
  # so it overrides the port/listen_addresses set earlier in the main file).
  if ! grep -Eq "^[[:space:]]*include_dir[[:space:]]*=?[[:space:]]*'conf\.d'" "$conf_dir/postgresql.conf"; then
    log "postgresql: adding include_dir = 'conf.d' to $conf_dir/postgresql.conf"
    printf "\ninclude_dir = 'conf.d'\n" >>"$conf_dir/postgresql.conf"
  fi
  install -d -o postgres -g postgres -m 755 "$conf_dir/conf.d"
  if write_if_changed "$conf_dir/conf.d/90-infra-local.conf" "# Managed by deploy/local/infra.sh: loopback only.
listen_addresses = '$BIND_ADDR'
port = $PG_PORT"; then
    chown postgres:postgres "$conf_dir/conf.d/90-infra-local.conf"
    restart=1
  fi
  # Debian's default pg_hba.conf already has this line; make sure password auth over TCP works.
  local hba="$conf_dir/pg_hba.conf"
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(scram-sha-256|md5)' "$hba"; then
    log "postgresql: adding 'host all all 127.0.0.1/32 scram-sha-256' to $hba"
    printf 'host    all             all             127.0.0.1/32            scram-sha-256\n' >>"$hba"
    reload=1
  fi

  if pg_cluster_online "$ver"; then
    if [ "$restart" = 1 ]; then
      log "postgresql: restarting $ver/main (config changed)"
      pg_ctlcluster "$ver" main restart
    elif [ "$reload" = 1 ]; then
      log "postgresql: reloading $ver/main"
      pg_ctlcluster "$ver" main reload
    else
      log "postgresql: $ver/main already running"
    fi
  else
    log "postgresql: starting $ver/main on $BIND_ADDR:$PG_PORT"
    pg_ctlcluster "$ver" main start
  fi

  local i
  for i in $(seq 1 60); do pg_ready && break; sleep 0.5; done
  pg_ready || die "postgresql not accepting connections on $BIND_ADDR:$PG_PORT (see /var/log/postgresql/postgresql-$ver-main.log)"

  # Roles (password always (re)set so it matches) and databases, idempotently.
  local acct role pass db values=""
  for acct in "${PG_ACCOUNTS[@]}"; do
    IFS=: read -r role pass db <<<"$acct"
    values+="${values:+,}('$role','$pass','$db')"
  done
  pg_psql_admin 2>&1 <<SQL | sed -u 's/^\(NOTICE\|psql:[^:]*:[0-9]*: NOTICE\): */infra: postgresql: /'
CREATE TEMP TABLE want(role text, pass text, db text);
INSERT INTO want VALUES $values;
DO \$\$
DECLARE w record;
BEGIN
  FOR w IN SELECT * FROM want LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = w.role) THEN
      EXECUTE format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', w.role, w.pass);
      RAISE NOTICE 'created role %', w.role;
    ELSE
      EXECUTE format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', w.role, w.pass);
    END IF;
  END LOOP;
END
\$\$;
SELECT 'NOTICE: creating database ' || w.db || ' (owner ' || w.role || ')'
  FROM want w WHERE NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = w.db);
SELECT format('CREATE DATABASE %I OWNER %I', w.db, w.role)
  FROM want w WHERE NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = w.db) \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', w.db, w.role)
  FROM want w JOIN pg_database d ON d.datname = w.db
 WHERE pg_get_userbyid(d.datdba) <> w.role \gexec
SQL

  # Verify password logins over TCP.
  for acct in "${PG_ACCOUNTS[@]}"; do
    IFS=: read -r role pass db <<<"$acct"
    PGPASSWORD="$pass" PGCONNECT_TIMEOUT=5 psql -X -q -At -h "$BIND_ADDR" -p "$PG_PORT" -U "$role" -d "$db" \
      -c 'select 1' >/dev/null || die "postgresql: login $role@$db over TCP failed"
  done
  local summary=""
  for acct in "${PG_ACCOUNTS[@]}"; do
    IFS=: read -r role pass db <<<"$acct"
    summary+="${summary:+, }$role@$db"
  done
  log "postgresql: ready at $BIND_ADDR:$PG_PORT, password logins ok: $summary"
}

pg_down() {
  if ! pg_installed; then log "postgresql: not installed"; return 0; fi
  local ver
  ver=$(pg_version) || { log "postgresql: no server found"; return 0; }
  if pg_cluster_online "$ver"; then
    log "postgresql: stopping $ver/main"
    pg_ctlcluster "$ver" main stop || pg_ctlcluster "$ver" main stop -m immediate
  else
    log "postgresql: $ver/main already down"
  fi
}

# ---------------------------------------------------------------- rabbitmq

# Always go through the Debian wrappers in /usr/sbin: they run the CLI as the
# "rabbitmq" user with HOME=/var/lib/rabbitmq, so the node's .erlang.cookie is used.
rmqctl() { /usr/sbin/rabbitmqctl "$@"; }
rmq_ping() { /usr/sbin/rabbitmq-diagnostics -q ping >/dev/null 2>&1; }

# Is anything answering on epmd, and is our node registered there?
epmd_bin() { command -v epmd 2>/dev/null || ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | tail -n1; }
rmq_node_registered() {
  local e; e=$(epmd_bin) || return 1; [ -n "$e" ] || return 1
  "$e" -names 2>/dev/null | grep -q "^name ${RMQ_NODENAME%@*} at port"
}
rmq_running() { rmq_node_registered && rmq_ping; }

# epmd left over on all interfaces (e.g. started by a CLI call before ERL_EPMD_ADDRESS
# was set) would be reused by the node: replace it when nothing is registered.
epmd_fix_binding() {
  command -v ss >/dev/null 2>&1 || return 0
  local e; e=$(epmd_bin); [ -n "$e" ] || return 0
  if ss -Hltn 'sport = :4369' 2>/dev/null | awk '{print $4}' | grep -Evq '^(127\.0\.0\.1|\[::1\]):'; then
    if "$e" -names 2>/dev/null | grep -q '^name '; then
      log "rabbitmq: WARNING epmd listens on non-loopback addresses and has registered nodes; leaving it"
    else
      log "rabbitmq: restarting epmd on loopback only"
      "$e" -kill >/dev/null 2>&1 || true
      sleep 0.3
    fi
  fi
}

rmq_configure() {
  install -d -o rabbitmq -g rabbitmq -m 755 "$RMQ_ETC" "$RMQ_LOG_DIR"
  install -d -o rabbitmq -g rabbitmq -m 755 "$RMQ_HOME"
  local changed=1
  write_if_changed "$RMQ_ETC/rabbitmq-env.conf" "# Managed by deploy/local/infra.sh: local broker, loopback only.
NODENAME=$RMQ_NODENAME
# epmd (started by the first Erlang VM) binds loopback only.
export ERL_EPMD_ADDRESS=$BIND_ADDR
# CLI tools' own distribution listener on loopback too.
CTL_ERL_ARGS=\"-kernel inet_dist_use_interface {127,0,0,1}\"" && changed=0
  write_if_changed "$RMQ_ETC/rabbitmq.conf" "# Managed by deploy/local/infra.sh: local broker, loopback only.
listeners.tcp.default = $BIND_ADDR:$AMQP_PORT
distribution.listener.interface = $BIND_ADDR
distribution.listener.port_range.min = $RMQ_DIST_PORT
distribution.listener.port_range.max = $RMQ_DIST_PORT" && changed=0
  chown rabbitmq:rabbitmq "$RMQ_ETC/rabbitmq-env.conf" "$RMQ_ETC/rabbitmq.conf"
  # Erlang refuses a cookie readable by others or owned by someone else.
  if [ -f "$RMQ_HOME/.erlang.cookie" ]; then
    chown rabbitmq:rabbitmq "$RMQ_HOME/.erlang.cookie"
    chmod 400 "$RMQ_HOME/.erlang.cookie"
  fi
  return $changed
}

rmq_start() {
  epmd_fix_binding
  log "rabbitmq: starting node $RMQ_NODENAME on $BIND_ADDR:$AMQP_PORT (logs: $RMQ_LOG_DIR)"
  # Run the broker as the rabbitmq user in its own session (no systemd, survives this shell).
  # Non-detached rabbitmq-server runs erl in the background and forwards TERM/INT as a clean stop.
  (
    cd "$RMQ_HOME"
    exec setsid runuser -u rabbitmq -- env HOME="$RMQ_HOME" ERL_EPMD_ADDRESS="$BIND_ADDR" \
      /usr/lib/rabbitmq/bin/rabbitmq-server
  ) </dev/null >>"$RMQ_LOG_DIR/startup_log" 2>>"$RMQ_LOG_DIR/startup_err" &
  local pid=$! deadline=$((SECONDS + RMQ_START_TIMEOUT))
  disown "$pid" 2>/dev/null || true

  until rmq_running; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$RMQ_LOG_DIR/startup_err" "$RMQ_LOG_DIR/startup_log" 2>/dev/null | indent >&2 || true
      die "rabbitmq exited during startup (see $RMQ_LOG_DIR)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "rabbitmq node did not come up within ${RMQ_START_TIMEOUT}s (see $RMQ_LOG_DIR)"
    sleep 1
  done
  local left=$((deadline - SECONDS)); [ "$left" -gt 5 ] || left=5
  rmqctl -q await_startup --timeout "$left" || die "rabbitmq did not finish booting (see $RMQ_LOG_DIR)"
}

rmq_stop() {
  rmqctl -q shutdown 2>&1 | indent || rmqctl -q stop 2>&1 | indent || true
}

rmq_up() {
  local config_changed=0
  rmq_configure && config_changed=1
  if rmq_running; then
    if [ "$config_changed" = 1 ]; then
      log "rabbitmq: restarting (config changed)"
      rmq_stop
      rmq_start
    else
      log "rabbitmq: $RMQ_NODENAME already running"
    fi
  else
    rmq_start
  fi

  # vhosts / user / permissions. Fast path: two CLI calls per vhost when everything is in place.
  local vhost
  for vhost in "${RMQ_VHOSTS[@]}"; do
    if rmqctl -s list_permissions -p "$vhost" 2>/dev/null | grep -qxF "$RMQ_USER"$'\t.*\t.*\t.*' \
       && rmqctl -q authenticate_user "$RMQ_USER" "$RMQ_PASS" >/dev/null 2>&1; then
      log "rabbitmq: vhost '$vhost', user '$RMQ_USER' already configured"
    else
      if ! rmqctl -s list_vhosts | grep -qxF "$vhost"; then
        log "rabbitmq: adding vhost $vhost"
        rmqctl -q add_vhost "$vhost"
      fi
      if ! rmqctl -s list_users | cut -f1 | grep -qxF "$RMQ_USER"; then
        log "rabbitmq: adding user $RMQ_USER"
        rmqctl -q add_user "$RMQ_USER" "$RMQ_PASS" >/dev/null
      elif ! rmqctl -q authenticate_user "$RMQ_USER" "$RMQ_PASS" >/dev/null 2>&1; then
        log "rabbitmq: resetting password of $RMQ_USER"
        rmqctl -q change_password "$RMQ_USER" "$RMQ_PASS" >/dev/null
      fi
      log "rabbitmq: granting $RMQ_USER '.*' '.*' '.*' on vhost $vhost"
      rmqctl -q set_permissions -p "$vhost" "$RMQ_USER" '.*' '.*' '.*'
      rmqctl -q authenticate_user "$RMQ_USER" "$RMQ_PASS" >/dev/null || die "rabbitmq: $RMQ_USER cannot authenticate"
    fi
  done
  for vhost in "${RMQ_VHOSTS[@]}"; do
    rmq_region_users "$vhost"
  done
  log "rabbitmq: ready at amqp://$RMQ_USER:$RMQ_PASS@$BIND_ADDR:$AMQP_PORT/$RMQ_VHOST"
}

# The regions' users, what each may do on vhost $1, and the operator's policies: imported from
# deploy/rabbitmq/definitions.json (the file compose loads; written by
# `python -m shared.messaging.definitions`), its vhost "relay" renamed to $1. Idempotent;
# `infra.sh vhost NAME` runs it for a vhost of one's own (a parallel test run).
rmq_region_users() {
  local vhost=$1 user count renamed
  renamed=$(mktemp --suffix=.json)
  sed "s/\"vhost\": \"relay\"/\"vhost\": \"$vhost\"/" "$RMQ_DEFINITIONS" >"$renamed"
  chmod 644 "$renamed"  # read by the broker's own user
  if ! rmqctl -q import_definitions "$renamed" >/dev/null; then
    rm -f "$renamed"
    die "rabbitmq: cannot import $RMQ_DEFINITIONS into vhost '$vhost'"
  fi
  rm -f "$renamed"
  count=$(grep -c '"name": "region_' "$RMQ_DEFINITIONS")
  if [[ "$RMQ_REGION_PASS" != relay ]]; then
    for user in $(grep -o '"name": "region_[0-9]*"' "$RMQ_DEFINITIONS" | cut -d'"' -f4); do
      rmqctl -q change_password "$user" "$RMQ_REGION_PASS" >/dev/null
    done
  fi
  log "rabbitmq: vhost '$vhost': $count region users, their permissions and the policies"
}

cmd_vhost() {
  local vhost=${1:?usage: infra.sh vhost NAME}
  rmq_running || die "rabbitmq is not running (infra.sh up)"
  rmqctl -s list_vhosts | grep -qxF "$vhost" || rmqctl -q add_vhost "$vhost"
  rmqctl -q set_permissions -p "$vhost" "$RMQ_USER" '.*' '.*' '.*'
  rmq_region_users "$vhost"
}

rmq_down() {
  if ! rmq_installed; then log "rabbitmq: not installed"; return 0; fi
  if rmq_running; then
    log "rabbitmq: stopping $RMQ_NODENAME"
    rmq_stop
  else
    log "rabbitmq: already down"
  fi
  # Stop epmd too if nothing else is registered with it.
  local e; e=$(epmd_bin)
  if [ -n "$e" ] && "$e" -names >/dev/null 2>&1 && ! "$e" -names 2>/dev/null | grep -q '^name '; then
    "$e" -kill >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------- main

cmd_up() {
  ensure_packages
  pg_up
  rmq_up
  log "up"
}

cmd_down() {
  rmq_down
  pg_down
  log "down"
}

cmd_status() {
  local rc=0
  if pg_installed && pg_ready; then
    log "postgresql: up ($BIND_ADDR:$PG_PORT)"
  else
    log "postgresql: down"; rc=1
  fi
  if rmq_installed && rmq_running; then
    log "rabbitmq: up ($RMQ_NODENAME, $BIND_ADDR:$AMQP_PORT)"
  else
    log "rabbitmq: down"; rc=1
  fi
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  vhost) shift; cmd_vhost "$@" ;;
  *) echo "usage: $0 up|down|status|vhost NAME" >&2; exit 2 ;;
esac
