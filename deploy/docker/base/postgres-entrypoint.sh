#!/bin/sh
# The official postgres image's first-start contract, as far as docker-compose.yml uses it: make
# the cluster in $PGDATA with superuser $POSTGRES_USER / $POSTGRES_PASSWORD, reachable over TCP
# with a password, run /docker-entrypoint-initdb.d/*.sql once, then serve as user postgres.
set -eu
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
superuser="${POSTGRES_USER:-postgres}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile="$(mktemp)"
    printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}" > "$pwfile"
    initdb -D "$PGDATA" -U "$superuser" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 > /dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    # the init phase listens on the socket only, as the official image's does
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start > /dev/null
    for script in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$script" ] || continue
        echo "docker-entrypoint.sh: running $script"
        psql -v ON_ERROR_STOP=1 -q -U "$superuser" -d postgres -f "$script"
    done
    pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
fi
exec "$@"
