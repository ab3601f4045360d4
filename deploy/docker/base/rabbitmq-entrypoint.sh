#!/bin/sh
# As root: give the data volume to user rabbitmq (a volume made by another image may belong to
# another uid), then become rabbitmq and run the server script itself, which stays PID 1 and
# stops the node cleanly on SIGTERM (docker stop). Debian's /usr/sbin wrapper would run it under
# `su`, which does not pass the signal on.
set -eu
if [ "$(id -u)" = 0 ]; then
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi
cd /var/lib/rabbitmq
exec "$@"
