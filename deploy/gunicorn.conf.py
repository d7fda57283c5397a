"""Gunicorn settings for the IFM web process, taken from the environment.

Used by the image's default command:

    gunicorn -c deploy/gunicorn.conf.py saas_platform.wsgi:application

Environment:
    PORT                 port to listen on (default 8000)
    GUNICORN_WORKERS     worker processes (default 2 * CPUs + 1, CPUs as limited by the container)
    GUNICORN_THREADS     threads per worker (default 4)
    FORWARDED_ALLOW_IPS  addresses whose X-Forwarded-Proto gunicorn believes (default 127.0.0.1)
    LOG_LEVEL            gunicorn's own log level (default info)
    PROMETHEUS_MULTIPROC_DIR  an empty directory (a tmpfs) where each worker writes its request
                         metrics, so that /metrics, answered by one worker, adds up all of them

Each thread may hold one persistent database connection (CONN_MAX_AGE), so one web container
opens up to GUNICORN_WORKERS * GUNICORN_THREADS connections to PostgreSQL.
"""

import math
import os
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a whole number.") from None
    if number < 1:
        raise SystemExit(f"{name}={number} must be at least 1.")
    return number


def _cpu_count() -> int:
    """CPUs this process may use: the cgroup v2 quota when one is set, else the CPU affinity."""
    cpus = os.process_cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return cpus
    if quota == "max":
        return cpus
    return max(1, min(cpus, math.ceil(int(quota) / int(period))))


bind = f"0.0.0.0:{_env_int('PORT', 8000)}"
workers = _env_int("GUNICORN_WORKERS", 2 * _cpu_count() + 1)
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)

timeout = 30
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so that slow memory growth never accumulates.
max_requests = 2000
max_requests_jitter = 200

# The application is loaded once, by the master, and each worker is forked from it: a worker
# started to replace a recycled one serves at once, instead of loading Django, the apps and
# both URL maps again (about a second of CPU each time: at 200 requests a second, with workers
# recycled every 2,000 requests, a tenth of a CPU; measured by bench/webhooks.py). Workers also
# share the loaded code's memory. Loading opens no database or Redis connection (the
# database-down test starts gunicorn this way), so none is shared across the fork.
preload_app = True

# Worker heartbeats go to memory, not to the container's overlay filesystem. Gunicorn opens the
# heartbeat file with mkstemp and unlinks it at once, so a shared directory is safe here.
_SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = _SHARED_MEMORY if os.path.isdir(_SHARED_MEMORY) else None

# The application logs one line per request itself (with its request id and schema).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The container's orchestrator sets the process count; no gunicornc control socket is needed,
# and the application's directory is not writable by the user the server runs as.
control_socket_disable = True


# /metrics adds up the request metrics of every worker from PROMETHEUS_MULTIPROC_DIR: emptied
# when the server starts (files of a previous run would count twice), and a worker's live
# gauges dropped when it exits (prometheus-client's multiprocess mode).
def on_starting(server: object) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server: object, worker: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
