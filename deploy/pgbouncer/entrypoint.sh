#!/bin/sh
# Writes PgBouncer's configuration for the compose network (PostgreSQL at "postgres", the
# password from POSTGRES_PASSWORD) and runs it in the foreground, logging to stderr.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
runtime=/tmp/pgbouncer
mkdir -p "$runtime"
umask 077
printf '"postgres" "%s"\n' "$POSTGRES_PASSWORD" >"$runtime/userlist.txt"
sed -e "s|@POSTGRES_HOST@|${POSTGRES_HOST:-postgres}|" -e "s|@LISTEN_ADDR@|0.0.0.0|" \
  -e "s|@AUTH_TYPE@|scram-sha-256|" -e "s|@AUTH_FILE@|$runtime/userlist.txt|" \
  -e "s|@LOG_FILE@||" -e "s|@PID_FILE@||" \
  /etc/ifm/pgbouncer.ini.in >"$runtime/pgbouncer.ini"
exec /usr/sbin/pgbouncer "$runtime/pgbouncer.ini"
