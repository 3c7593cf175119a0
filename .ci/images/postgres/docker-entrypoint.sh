#!/bin/sh
# As the official image: on the first start initialise PGDATA with POSTGRES_USER (a superuser) and its password
# (scram over TCP from anywhere: the port is published by Docker), create POSTGRES_DB, listen on every interface.
set -eu
if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres} database=${POSTGRES_DB:-${POSTGRES_USER:-postgres}}
  printf '%s\n' "${POSTGRES_PASSWORD:?the official image needs POSTGRES_PASSWORD}" >/tmp/password
  initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/password --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
    --locale=C --no-instructions >/dev/null
  rm -f /tmp/password
  printf 'host all all all scram-sha-256\nhost replication all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  if [ "$database" != postgres ]; then
    echo "CREATE DATABASE \"$database\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi
exec "$@"
