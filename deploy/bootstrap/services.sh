#!/usr/bin/env bash
# Makes sure the local PostgreSQL, Redis and PgBouncer answer on 127.0.0.1, starting them when
# they do not. PgBouncer (127.0.0.1:6432, transaction pooling, deploy/pgbouncer/pgbouncer.ini)
# runs as the postgres user when this runs as root, else as the user running it.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
pgbouncer_up() { pg_isready -h 127.0.0.1 -p 6432 -q 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! pg_up; then
  echo "Starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }

if ! redis_up; then
  echo "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi
redis_up || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }

# Ours: the one started below, with the project's configuration. Debian's package may also have
# started its own (session pooling, no databases) on the same port: it is stopped first.
if [ "$(id -u)" -eq 0 ]; then
  pgbouncer_runtime=/var/run/postgresql/ifm-pgbouncer
  pgbouncer_owner=postgres
else
  pgbouncer_runtime=${XDG_RUNTIME_DIR:-/tmp}/ifm-pgbouncer
  pgbouncer_owner=$(id -un)
fi
pgbouncer_ours() {
  [ -f "$pgbouncer_runtime/pgbouncer.pid" ] && kill -0 "$(cat "$pgbouncer_runtime/pgbouncer.pid")" 2>/dev/null
}
if pgbouncer_up && ! pgbouncer_ours; then
  echo "Stopping the PgBouncer service of the Debian package (it is not configured for IFM)"
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet pgbouncer 2>/dev/null; then
    systemctl stop pgbouncer || true
  else
    service pgbouncer stop >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 10); do pgbouncer_up || break; sleep 1; done
  pgbouncer_up && { echo "Something else answers on 127.0.0.1:6432; stop it first" >&2; exit 1; }
fi

if ! pgbouncer_up; then
  echo "Starting PgBouncer"
  PATH=$PATH:/usr/sbin
  command -v pgbouncer >/dev/null 2>&1 \
    || { echo "PgBouncer is not installed: run deploy/bootstrap/install.sh" >&2; exit 1; }
  mkdir -p "$pgbouncer_runtime"
  # PostgreSQL trusts local connections here (development and CI): so does PgBouncer, which
  # still wants each user named in its auth_file.
  printf '"postgres" ""\n"%s" ""\n' "$pgbouncer_owner" >"$pgbouncer_runtime/userlist.txt"
  sed -e "s|@POSTGRES_HOST@|127.0.0.1|" -e "s|@LISTEN_ADDR@|127.0.0.1|" -e "s|@AUTH_TYPE@|trust|" \
    -e "s|@AUTH_FILE@|$pgbouncer_runtime/userlist.txt|" \
    -e "s|@LOG_FILE@|$pgbouncer_runtime/pgbouncer.log|" \
    -e "s|@PID_FILE@|$pgbouncer_runtime/pgbouncer.pid|" \
    "$(dirname "$0")/../pgbouncer/pgbouncer.ini" >"$pgbouncer_runtime/pgbouncer.ini"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$pgbouncer_runtime"
    pgbouncer --daemon --user postgres "$pgbouncer_runtime/pgbouncer.ini"
  else
    pgbouncer --daemon "$pgbouncer_runtime/pgbouncer.ini"
  fi
  for _ in $(seq 1 30); do pgbouncer_up && break; sleep 1; done
fi
pgbouncer_up || { echo "PgBouncer is not answering on 127.0.0.1:6432" >&2; exit 1; }
