#!/usr/bin/env bash
# Base images made here, offline from any container registry: a minimal Debian (debootstrap from
# the Debian mirror, then `docker import`), and on it stand-ins for python:3.11-slim, postgres:15
# and rabbitmq:3.13 built from Debian's packages (base/*.Dockerfile). The Debian image, once
# made, is kept; the three are built again each run from Docker's layer cache (seconds), so a
# change of their Dockerfiles takes effect.
#
#   base-images.sh          build them, print the three image names as environment
#
# Needs root, debootstrap and a Docker engine (DOCKER_HOST); MIRROR overrides the Debian mirror.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DEBIAN_IMAGE=relay-base/debian:bookworm
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
DOCKER="${DOCKER:-docker}"

have() { "$DOCKER" image inspect "$1" > /dev/null 2>&1; }

if ! have "$DEBIAN_IMAGE"; then
    target="$(mktemp -d /var/tmp/relay-rootfs.XXXXXX)"
    cleanup() {
        # debootstrap mounts /proc and /sys in the target while it works; never leave them
        grep -o " $target[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l || true
        rm -rf "$target"
    }
    trap cleanup EXIT
    echo "base-images: debootstrap bookworm (minbase) from $MIRROR" >&2
    debootstrap --variant=minbase --include=python3,python3-venv,passwd,ca-certificates \
        bookworm "$target" "$MIRROR" > "$target.log" 2>&1 \
        || { tail -20 "$target.log" >&2; rm -f "$target.log"; exit 1; }
    rm -f "$target.log"
    rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/*
    tar -C "$target" -c --numeric-owner . | "$DOCKER" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" > /dev/null
    cleanup
    trap - EXIT
fi

for pair in python:3.11 postgres:15 rabbitmq:3.10; do
    name="${pair%%:*}"
    image="relay-base/$pair"
    echo "base-images: $image" >&2
    "$DOCKER" build -q --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" -t "$image" \
        -f "$HERE/base/$name.Dockerfile" "$HERE/base" > /dev/null
done

echo "RELAY_PYTHON_IMAGE=relay-base/python:3.11"
echo "RELAY_POSTGRES_IMAGE=relay-base/postgres:15"
echo "RELAY_RABBITMQ_IMAGE=relay-base/rabbitmq:3.10"
