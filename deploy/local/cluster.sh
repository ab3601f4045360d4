#!/usr/bin/env bash
# A three-node RabbitMQ cluster on loopback, beside the single node of infra.sh (Debian's
# rabbitmq-server, no Docker, no systemd), with HAProxy in front as the clients' one address.
#
#   deploy/local/cluster.sh up            install if missing, configure, start, cluster, vhost, HAProxy
#   deploy/local/cluster.sh down          stop HAProxy and the three nodes (data kept; rabbit@localhost untouched)
#   deploy/local/cluster.sh status        report; exit 0 only when all three run, clustered, behind HAProxy
#   deploy/local/cluster.sh stop-node N   stop node relayN only (the whole Erlang VM: a lost node)
#   deploy/local/cluster.sh start-node N  start relayN again; it rejoins the cluster
#   deploy/local/cluster.sh ctl N ARGS    rabbitmqctl ARGS against relayN (e.g. list_queues -p relay_cluster)
#   deploy/local/cluster.sh queues N ARGS rabbitmq-queues ARGS against relayN (e.g. quorum_status Q -p VHOST)
#
# Nodes relay1@localhost, relay2@localhost, relay3@localhost: AMQP 127.0.0.1:5701-5703, Erlang
# distribution 127.0.0.1:25701-25703, management off. Clients use HAProxy (TCP) on
# amqp://relay:relay@127.0.0.1:5700/relay_cluster, which sends each new connection to a node that
# passes its health check. Same Erlang cookie as the single node (HOME=/var/lib/rabbitmq), same
# epmd (loopback); each node has its own files:
#   config  /etc/rabbitmq-cluster/relayN/{rabbitmq-env.conf,rabbitmq.conf,enabled_plugins}
#   data    /var/lib/rabbitmq-cluster/relayN/mnesia
#   logs    /var/log/rabbitmq-cluster/relayN
#   HAProxy /etc/rabbitmq-cluster/haproxy.cfg, /run/rabbitmq-cluster/haproxy.{pid,sock}
#
# Environment overrides: CLUSTER_START_TIMEOUT (180 s).
set -euo pipefail

CLUSTER_START_TIMEOUT="${CLUSTER_START_TIMEOUT:-180}"
BIND_ADDR=127.0.0.1
NODES=(1 2 3)
AMQP_BASE=5700      # node N: AMQP $((AMQP_BASE + N)), distribution $((AMQP_BASE + N + 20000))
PROXY_PORT=5700
VHOST=relay_cluster
RMQ_USER=relay
RMQ_PASS=relay
RMQ_DEFINITIONS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../rabbitmq" && pwd)/definitions.json"
RMQ_REGION_PASS="${RMQ_REGION_PASS:-relay}"

# The single node's home: its .erlang.cookie is the cluster's cookie too.
RMQ_HOME=/var/lib/rabbitmq
RMQ_BIN=/usr/lib/rabbitmq/bin
ETC=/etc/rabbitmq-cluster
DATA=/var/lib/rabbitmq-cluster
LOGS=/var/log/rabbitmq-cluster
RUN=/run/rabbitmq-cluster
PROXY_CFG=$ETC/haproxy.cfg
PROXY_PID=$RUN/haproxy.pid
PROXY_SOCK=$RUN/haproxy.sock

export PATH="$PATH:/usr/sbin:/sbin"
export ERL_EPMD_ADDRESS="$BIND_ADDR"

log() { echo "cluster: $*"; }
die() { echo "cluster: ERROR: $*" >&2; exit 1; }
indent() { sed -u 's/^/cluster:   | /'; }

if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root"
  exec sudo -E bash "$0" "$@"
fi

node_name() { echo "relay$1@localhost"; }
amqp_port() { echo $((AMQP_BASE + $1)); }
dist_port() { echo $((AMQP_BASE + $1 + 20000)); }
node_etc() { echo "$ETC/relay$1"; }
check_n() {
  case "${1:-}" in 1|2|3) ;; *) die "node number must be 1, 2 or 3 (got '${1:-}')" ;; esac
}

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages() {
  local missing=() p
  for p in rabbitmq-server haproxy; do pkg_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}"
}


# ---------------------------------------------------------------- rabbitmq nodes

# The CLI as the rabbitmq user (the cookie in $RMQ_HOME), reading node N's env file, never the
# single node's /etc/rabbitmq/rabbitmq-env.conf.
as_rabbitmq() {
  local n=$1; shift
  (cd "$RMQ_HOME" && runuser -u rabbitmq -- env HOME="$RMQ_HOME" ERL_EPMD_ADDRESS="$BIND_ADDR" \
    RABBITMQ_CONF_ENV_FILE="$(node_etc "$n")/rabbitmq-env.conf" "$@")
}
rmqctl() { local n=$1; shift; as_rabbitmq "$n" "$RMQ_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"; }
rmqqueues() { local n=$1; shift; as_rabbitmq "$n" "$RMQ_BIN/rabbitmq-queues" -n "$(node_name "$n")" "$@"; }
rmqdiag() { local n=$1; shift; as_rabbitmq "$n" "$RMQ_BIN/rabbitmq-diagnostics" -n "$(node_name "$n")" "$@"; }

epmd_bin() { command -v epmd 2>/dev/null || ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | tail -n1; }
node_registered() {
  local e; e=$(epmd_bin) || return 1; [ -n "$e" ] || return 1
  "$e" -names 2>/dev/null | grep -q "^name relay$1 at port"
}
# The Erlang VM answers (the rabbit application may still be booting or stopped).
node_vm_up() { node_registered "$1" && rmqdiag "$1" -q ping >/dev/null 2>&1; }
# The rabbit application runs.
node_running() { node_registered "$1" && rmqdiag "$1" -q check_running >/dev/null 2>&1; }

node_configure() {
  local n=$1 etc changed=1
  etc=$(node_etc "$n")
  install -d -o rabbitmq -g rabbitmq -m 755 "$ETC" "$etc" "$etc/conf.d" "$DATA" "$DATA/relay$n" "$LOGS" "$LOGS/relay$n"
  write_if_changed "$etc/rabbitmq-env.conf" "# Managed by deploy/local/cluster.sh: cluster node $n of 3, loopback only.
NODENAME=$(node_name "$n")
# The ports here too, not only in rabbitmq.conf: the boot checks the distribution port
# (by default AMQP + 20000) before it reads the config file.
NODE_IP_ADDRESS=$BIND_ADDR
NODE_PORT=$(amqp_port "$n")
DIST_PORT=$(dist_port "$n")
CONFIG_FILE=$etc/rabbitmq.conf
# Not /etc/rabbitmq/conf.d, advanced.config or enabled_plugins: those are the single node's.
CONFIG_FILES=$etc/conf.d
ADVANCED_CONFIG_FILE=$etc/advanced.config
ENABLED_PLUGINS_FILE=$etc/enabled_plugins
MNESIA_BASE=$DATA/relay$n/mnesia
LOG_BASE=$LOGS/relay$n
# Several Erlang VMs share the cores: schedulers bound to none.
SCHEDULER_BIND_TYPE=u
# epmd (started by the first Erlang VM) binds loopback only.
export ERL_EPMD_ADDRESS=$BIND_ADDR
# CLI tools' own distribution listener on loopback too.
CTL_ERL_ARGS=\"-kernel inet_dist_use_interface {127,0,0,1}\"" && changed=0
  write_if_changed "$etc/rabbitmq.conf" "# Managed by deploy/local/cluster.sh: cluster node $n of 3, loopback only.
cluster_name = relay_cluster
listeners.tcp.default = $BIND_ADDR:$(amqp_port "$n")
distribution.listener.interface = $BIND_ADDR
distribution.listener.port_range.min = $(dist_port "$n")
distribution.listener.port_range.max = $(dist_port "$n")
# Small footprint: four nodes share this machine.
vm_memory_high_watermark.absolute = 1GiB
disk_free_limit.absolute = 1GB
# Quorum queues keep their write-ahead log in memory until it rolls over (default 512 MiB).
raft.wal_max_size_bytes = 67108864
log.file.rotation.size = 10485760
log.file.rotation.count = 3" && changed=0
  # No plugins: the management listener (15672) would collide with another node's.
  write_if_changed "$etc/enabled_plugins" "[]." && changed=0
  chown rabbitmq:rabbitmq "$etc"/rabbitmq-env.conf "$etc"/rabbitmq.conf "$etc"/enabled_plugins
  [ -f "$RMQ_HOME/.erlang.cookie" ] || die "no Erlang cookie in $RMQ_HOME (start the single node once: infra.sh up)"
  return $changed
}

# Start node N in the background (its own session, survives this shell); node_await waits.
node_launch() {
  local n=$1 etc logdir
  etc=$(node_etc "$n")
  logdir="$LOGS/relay$n"
  log "relay$n: starting $(node_name "$n") on $BIND_ADDR:$(amqp_port "$n") (logs: $logdir)"
  (
    cd "$RMQ_HOME"
    exec setsid runuser -u rabbitmq -- env HOME="$RMQ_HOME" ERL_EPMD_ADDRESS="$BIND_ADDR" \
      RABBITMQ_CONF_ENV_FILE="$etc/rabbitmq-env.conf" RABBITMQ_NODENAME="$(node_name "$n")" \
      "$RMQ_BIN/rabbitmq-server"
  ) </dev/null >>"$logdir/startup_log" 2>>"$logdir/startup_err" &
  echo $! >"$RUN/relay$n.launcher"
  disown $! 2>/dev/null || true
}

node_await() {
  local n=$1 pid deadline=$((SECONDS + CLUSTER_START_TIMEOUT)) logdir="$LOGS/relay$1"
  pid=$(cat "$RUN/relay$n.launcher" 2>/dev/null || echo 0)
  until node_vm_up "$n"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logdir/startup_err" "$logdir/startup_log" 2>/dev/null | indent >&2 || true
      die "relay$n exited during startup (see $logdir)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "relay$n did not come up within ${CLUSTER_START_TIMEOUT}s (see $logdir)"
    sleep 1
  done
  local left=$((deadline - SECONDS)); [ "$left" -gt 5 ] || left=5
  rmqctl "$n" -q await_startup --timeout "$left" || die "relay$n did not finish booting (see $logdir)"
  log "relay$n: running"
}

node_stop() {
  local n=$1
  if node_registered "$n"; then
    log "relay$n: stopping $(node_name "$n")"
    rmqctl "$n" -q shutdown 2>&1 | indent || true
  else
    log "relay$n: already down"
  fi
  rm -f "$RUN/relay$n.launcher"
}

# The nodes in relay1's cluster (disk nodes, known whether running or not), one a line.
cluster_members() {
  local n=$1
  rmqctl "$n" -q cluster_status --formatter json 2>/dev/null | jq -r '.disk_nodes[]?, .ram_nodes[]?' 2>/dev/null
}
running_members() {
  rmqctl "$1" -q cluster_status --formatter json 2>/dev/null | jq -r '.running_nodes[]?' 2>/dev/null
}

# Node N (2 or 3) joins relay1's cluster unless it is in already (its own view: relay1 may be down).
node_join() {
  local n=$1
  if cluster_members "$n" | grep -qxF "$(node_name 1)"; then
    log "relay$n: already clustered with relay1"
    return 0
  fi
  log "relay$n: joining $(node_name 1)"
  rmqctl "$n" -q stop_app 2>&1 | indent
  rmqctl "$n" -q join_cluster "$(node_name 1)" 2>&1 | indent
  rmqctl "$n" -q start_app 2>&1 | indent
  rmqctl "$n" -q await_startup --timeout 60 || die "relay$n did not start after joining"
}

nodes_up() {
  local n config_changed=() to_start=()
  for n in "${NODES[@]}"; do
    config_changed[n]=0
    if node_configure "$n"; then config_changed[n]=1; fi
  done
  install -d -m 755 "$RUN"
  # A running node whose config changed restarts alone (the other two keep the queues up).
  for n in "${NODES[@]}"; do
    if node_running "$n"; then
      if [ "${config_changed[n]}" = 1 ]; then
        log "relay$n: restarting (config changed)"
        node_stop "$n"
        node_launch "$n"
        node_await "$n"
      else
        log "relay$n: already running"
      fi
    elif node_vm_up "$n"; then
      log "relay$n: VM up, application stopped: starting it"
      rmqctl "$n" -q start_app 2>&1 | indent
      rmqctl "$n" -q await_startup --timeout "$CLUSTER_START_TIMEOUT"
    else
      to_start+=("$n")
    fi
  done
  # Stopped nodes start together: a clustered node waits at boot for the peers it last saw.
  for n in "${to_start[@]}"; do node_launch "$n"; done
  for n in "${to_start[@]}"; do node_await "$n"; done
  node_join 2
  node_join 3
}

# vhost, the platform's user, and the regions' users, permissions and policies from
# deploy/rabbitmq/definitions.json with its vhost "relay" renamed (as infra.sh's rmq_region_users).
cluster_vhost() {
  if ! rmqctl 1 -s list_vhosts | grep -qxF "$VHOST"; then
    log "adding vhost $VHOST"
    rmqctl 1 -q add_vhost "$VHOST"
  fi
  if ! rmqctl 1 -s list_users | cut -f1 | grep -qxF "$RMQ_USER"; then
    log "adding user $RMQ_USER"
    rmqctl 1 -q add_user "$RMQ_USER" "$RMQ_PASS" >/dev/null
  elif ! rmqctl 1 -q authenticate_user "$RMQ_USER" "$RMQ_PASS" >/dev/null 2>&1; then
    rmqctl 1 -q change_password "$RMQ_USER" "$RMQ_PASS" >/dev/null
  fi
  rmqctl 1 -q set_permissions -p "$VHOST" "$RMQ_USER" '.*' '.*' '.*'
  local renamed count user
  renamed=$(mktemp --suffix=.json)
  # "vhost": "relay" in permissions, topic permissions and policies; the vhost list's own entry
  # too (only inside "vhosts": [...], where "name" is not a user's), so no stray vhost "relay".
  sed -e "s/\"vhost\": \"relay\"/\"vhost\": \"$VHOST\"/" \
      -e "/\"vhosts\": \[/,/\]/ s/\"name\": \"relay\"/\"name\": \"$VHOST\"/" \
      "$RMQ_DEFINITIONS" >"$renamed"
  chmod 644 "$renamed"  # read by the broker's own user
  if ! rmqctl 1 -q import_definitions "$renamed" >/dev/null; then
    rm -f "$renamed"
    die "cannot import $RMQ_DEFINITIONS into vhost '$VHOST'"
  fi
  rm -f "$renamed"
  count=$(grep -c '"name": "region_' "$RMQ_DEFINITIONS")
  if [[ "$RMQ_REGION_PASS" != relay ]]; then
    for user in $(grep -o '"name": "region_[0-9]*"' "$RMQ_DEFINITIONS" | cut -d'"' -f4); do
      rmqctl 1 -q change_password "$user" "$RMQ_REGION_PASS" >/dev/null
    done
  fi
  rmqctl 1 -q authenticate_user "$RMQ_USER" "$RMQ_PASS" >/dev/null || die "$RMQ_USER cannot authenticate"
  log "vhost '$VHOST': user $RMQ_USER, $count region users, their permissions and the policies"
}

# ---------------------------------------------------------------- haproxy

proxy_pid() {
  local pid
  pid=$(head -n1 "$PROXY_PID" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q haproxy "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

proxy_configure() {
  install -d -m 755 "$ETC" "$RUN"
  local servers="" n
  for n in "${NODES[@]}"; do
    servers+="    server relay$n $BIND_ADDR:$(amqp_port "$n") check
"
  done
  write_if_changed "$PROXY_CFG" "# Managed by deploy/local/cluster.sh: the clients' one address for the cluster, loopback only.
global
    daemon
    maxconn 4096
    pidfile $PROXY_PID
    stats socket $PROXY_SOCK mode 600 level admin
    user haproxy
    group haproxy

defaults
    mode tcp
    timeout connect 2s
    timeout check 1s
    # AMQP connections live long; heartbeats (60 s by default) keep them busy.
    timeout client 3h
    timeout server 3h

# A TCP health check every 500 ms: a node is out after 2 failures, back after 2 successes, and
# the connections it held are cut when it goes out (clients reconnect to another node).
listen amqp
    bind $BIND_ADDR:$PROXY_PORT
    balance leastconn
    option tcpka
    default-server inter 500ms fastinter 500ms downinter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
${servers%$'\n'}"
}

proxy_up() {
  local changed=0 pid
  proxy_configure && changed=1
  haproxy -c -q -f "$PROXY_CFG" || die "haproxy: invalid $PROXY_CFG"
  if pid=$(proxy_pid); then
    if [ "$changed" = 1 ]; then
      log "haproxy: reloading (config changed)"
      haproxy -f "$PROXY_CFG" -D -sf "$pid"
    else
      log "haproxy: already running (pid $pid)"
    fi
  else
    log "haproxy: starting on $BIND_ADDR:$PROXY_PORT"
    haproxy -f "$PROXY_CFG" -D
  fi
  local i
  for i in $(seq 1 20); do proxy_pid >/dev/null && break; sleep 0.25; done
  proxy_pid >/dev/null || die "haproxy did not start"
}

proxy_down() {
  local pid
  if pid=$(proxy_pid); then
    log "haproxy: stopping (pid $pid)"
    kill "$pid"
    local i
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  else
    log "haproxy: already down"
  fi
  rm -f "$PROXY_PID"
}

# "relay1 UP", one line per server, from HAProxy's stats socket.
proxy_servers() {
  [ -S "$PROXY_SOCK" ] || return 1
  echo "show stat" | socat -t 2 - "UNIX-CONNECT:$PROXY_SOCK" 2>/dev/null \
    | awk -F, '$1 == "amqp" && $2 ~ /^relay/ {print $2, $18}'
}

# ---------------------------------------------------------------- commands

cmd_up() {
  ensure_packages
  nodes_up
  cluster_vhost
  proxy_up
  log "up: amqp://$RMQ_USER:$RMQ_PASS@$BIND_ADDR:$PROXY_PORT/$VHOST (HAProxy to 5701-5703)"
}

cmd_down() {
  proxy_down
  # relay1 last: the last node to stop boots first without waiting for the others.
  local n
  for n in 3 2 1; do node_stop "$n"; done
  log "down"
}

cmd_status() {
  local rc=0 n members ask=""
  for n in "${NODES[@]}"; do
    if node_running "$n"; then
      log "relay$n: running ($(node_name "$n"), $BIND_ADDR:$(amqp_port "$n"))"
      [ -n "$ask" ] || ask=$n
    else
      log "relay$n: down"; rc=1
    fi
  done
  if [ -n "$ask" ]; then
    members=$(running_members "$ask" | sort | tr '\n' ' ')
    log "members running, as relay$ask sees them: ${members:-none}"
    for n in "${NODES[@]}"; do
      grep -qw "$(node_name "$n")" <<<"$members" || rc=1
    done
  fi
  if proxy_pid >/dev/null; then
    log "haproxy: up ($BIND_ADDR:$PROXY_PORT): $(proxy_servers | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
  else
    log "haproxy: down"; rc=1
  fi
  return $rc
}

cmd_stop_node() {
  check_n "${1:-}"
  node_stop "$1"
}

cmd_start_node() {
  local n=${1:-}
  check_n "$n"
  node_configure "$n" || true
  install -d -m 755 "$RUN"
  if node_running "$n"; then
    log "relay$n: already running"
  elif node_vm_up "$n"; then
    rmqctl "$n" -q start_app 2>&1 | indent
    rmqctl "$n" -q await_startup --timeout "$CLUSTER_START_TIMEOUT"
  else
    node_launch "$n"
    node_await "$n"
  fi
  # A node that was never joined (or was reset) joins relay1's cluster.
  if [ "$n" = 1 ]; then
    cluster_members 1 | grep -qxF "$(node_name 2)" || log "relay1: WARNING not clustered with relay2 (up joins them)"
  else
    node_join "$n"
  fi
  log "relay$n: in the cluster ($(running_members "$n" | sort | tr '\n' ' '))"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  stop-node) shift; cmd_stop_node "$@" ;;
  start-node) shift; cmd_start_node "$@" ;;
  ctl) shift; check_n "${1:-}"; n=$1; shift; rmqctl "$n" "$@" ;;
  queues) shift; check_n "${1:-}"; n=$1; shift; rmqqueues "$n" "$@" ;;
  *) echo "usage: $0 up|down|status|stop-node N|start-node N|ctl N ARGS|queues N ARGS" >&2; exit 2 ;;
esac
