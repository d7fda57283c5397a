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

if ! pgbouncer_up; then
  echo "Starting PgBouncer"
  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] \
    || { echo "PgBouncer is not installed: run deploy/bootstrap/install.sh" >&2; exit 1; }
  PATH=$PATH:/usr/sbin
  if [ "$(id -u)" -eq 0 ]; then
    runtime=/var/run/postgresql/ifm-pgbouncer
    owner=postgres
  else
    runtime=${XDG_RUNTIME_DIR:-/tmp}/ifm-pgbouncer
    owner=$(id -un)
  fi
  mkdir -p "$runtime"
  # PostgreSQL trusts local connections here (development and CI): so does PgBouncer, which
  # still wants each user named in its auth_file.
  printf '"postgres" ""\n"%s" ""\n' "$owner" >"$runtime/userlist.txt"
  sed -e "s|@POSTGRES_HOST@|127.0.0.1|" -e "s|@LISTEN_ADDR@|127.0.0.1|" -e "s|@AUTH_TYPE@|trust|" \
    -e "s|@AUTH_FILE@|$runtime/userlist.txt|" -e "s|@LOG_FILE@|$runtime/pgbouncer.log|" \
    -e "s|@PID_FILE@|$runtime/pgbouncer.pid|" \
    "$(dirname "$0")/../pgbouncer/pgbouncer.ini" >"$runtime/pgbouncer.ini"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$runtime"
    pgbouncer --daemon --user postgres "$runtime/pgbouncer.ini"
  else
    pgbouncer --daemon "$runtime/pgbouncer.ini"
  fi
  for _ in $(seq 1 30); do pgbouncer_up && break; sleep 1; done
fi
pgbouncer_up || { echo "PgBouncer is not answering on 127.0.0.1:6432" >&2; exit 1; }
