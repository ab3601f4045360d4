#!/usr/bin/env bash
# A Docker engine of the project's own, for `make e2e-docker` on a machine where none runs:
# Debian's docker.io, started by hand with its own socket, data root and exec root, so it neither
# touches nor is touched by another engine on the machine. Containers reach each other on the
# compose network and publish ports on 127.0.0.1 only (docker-compose.yml).
#
#   engine.sh up      install docker.io, docker-compose and debootstrap from Debian if missing,
#                     start the engine, wait until it answers
#   engine.sh down    stop the engine (and its containerd), unmount whatever it left mounted,
#                     remove the default bridge if it made it
#   engine.sh status  exit 0 when it answers
#
# Use it with DOCKER_HOST=unix:///run/relay-docker/docker.sock (what `up` prints).
set -euo pipefail
RUN_DIR=/run/relay-docker
DATA_ROOT="${RELAY_DOCKER_DATA_ROOT:-/var/lib/relay-docker}"
SOCKET="$RUN_DIR/docker.sock"
PIDFILE="$RUN_DIR/dockerd.pid"
LOG=/var/log/relay-dockerd.log
export DOCKER_HOST="unix://$SOCKET"

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "engine.sh: run as root (it installs packages and starts dockerd)" >&2
        exit 1
    fi
}

answers() { /usr/bin/docker version > /dev/null 2>&1; }

install() {
    local missing=()
    command -v dockerd > /dev/null || missing+=(docker.io)
    [ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
    command -v debootstrap > /dev/null || missing+=(debootstrap)
    command -v iptables > /dev/null || missing+=(iptables)
    command -v ip > /dev/null || missing+=(iproute2)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "engine.sh: apt-get install ${missing[*]}" >&2
        # on a systemd machine the packages would start (and enable) the system's docker and
        # containerd: a policy-rc.d refusing every start keeps them stopped
        local policy=/usr/sbin/policy-rc.d
        if [ ! -e "$policy" ]; then
            trap 'rm -f /usr/sbin/policy-rc.d' EXIT
            trap 'exit 130' INT TERM
            printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" > /dev/null \
            || { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y -q --no-install-recommends "${missing[@]}" > /dev/null; }
        # nor at the next boot
        if [ -d /run/systemd/system ]; then
            systemctl disable docker.service docker.socket containerd.service > /dev/null 2>&1 \
                || true
        fi
    fi
}

up() {
    need_root
    install
    mkdir -p "$RUN_DIR" "$DATA_ROOT"
    if ! answers; then
        # the default bridge, its iptables chains and IP forwarding are ours to undo at `down`
        # only if no other engine set them up before
        if [ ! -e /sys/class/net/docker0 ]; then
            touch "$RUN_DIR/made-docker0"
            sysctl -n net.ipv4.ip_forward > "$RUN_DIR/ip_forward"
            iptables -S FORWARD | head -1 > "$RUN_DIR/forward_policy"
        fi
        # no /etc/docker/daemon.json: settings of its own only; its containers in containerd
        # namespaces of its own, should a system containerd answer
        echo '{}' > "$RUN_DIR/daemon.json"
        dockerd --config-file "$RUN_DIR/daemon.json" \
            --host "$DOCKER_HOST" --data-root "$DATA_ROOT" --exec-root "$RUN_DIR/exec" \
            --pidfile "$PIDFILE" --containerd-namespace relay-docker \
            --containerd-plugins-namespace relay-docker-plugins > "$LOG" 2>&1 &
        for _ in $(seq 1 60); do
            answers && break
            sleep 0.5
        done
        if ! answers; then
            tail -30 "$LOG" >&2
            echo "engine.sh: dockerd did not answer" >&2
            down
            exit 1
        fi
    fi
    echo "DOCKER_HOST=$DOCKER_HOST"
}

undo_iptables() {
    # the rules dockerd added that jump to its chains or name its bridge, then its chains
    local table chain rule
    for table in filter nat; do
        for chain in FORWARD PREROUTING OUTPUT POSTROUTING; do
            # (a chain the table lacks, or no such rule, is nothing to undo)
            { iptables -t "$table" -S "$chain" 2> /dev/null || true; } \
                | { grep -E 'DOCKER|docker0' || true; } | sed 's/^-A /-D /' \
                | while read -r rule; do
                    eval "iptables -t $table $rule" 2> /dev/null || true
                done
        done
        for chain in DOCKER DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2; do
            iptables -t "$table" -F "$chain" 2> /dev/null || continue
            iptables -t "$table" -X "$chain" 2> /dev/null || true
        done
    done
    if [ -s "$RUN_DIR/forward_policy" ]; then
        # "-P FORWARD ACCEPT" as it was
        eval "iptables $(cat "$RUN_DIR/forward_policy")" 2> /dev/null || true
    fi
    return 0
}

down() {
    need_root
    # containers first: a dockerd that must be killed would leave them to their shims
    if answers; then
        /usr/bin/docker ps -q | xargs -r /usr/bin/docker kill > /dev/null 2>&1 || true
    fi
    if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2> /dev/null; then
        local pid
        pid="$(cat "$PIDFILE")"
        kill -TERM "$pid"
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.5
        done
        kill -KILL "$pid" 2> /dev/null || true
    fi
    # what a killed engine may leave: its containerd and shims, overlay and namespace mounts
    pkill -KILL -f "$RUN_DIR/exec/containerd/containerd.sock" 2> /dev/null || true
    pkill -f "containerd --config $RUN_DIR/exec/containerd" 2> /dev/null || true
    grep -oE " ($DATA_ROOT|$RUN_DIR)[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l \
        2> /dev/null || true
    if [ -e "$RUN_DIR/made-docker0" ]; then
        ip link delete docker0 2> /dev/null || true
        undo_iptables
        if [ -s "$RUN_DIR/ip_forward" ]; then
            sysctl -q -w "net.ipv4.ip_forward=$(cat "$RUN_DIR/ip_forward")" || true
        fi
        rm -f "$RUN_DIR/made-docker0" "$RUN_DIR/ip_forward" "$RUN_DIR/forward_policy"
    fi
    rm -f "$RUN_DIR/daemon.json"
    rm -f "$PIDFILE"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) answers ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
