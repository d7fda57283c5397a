"""Prometheus metrics: requests, Celery tasks, provisioning time, and gauges read at scrape time.

- Requests are counted in the web process with prometheus-client. Under gunicorn with several
  workers set `PROMETHEUS_MULTIPROC_DIR` (an empty directory, cleared at start), so that a
  scrape, answered by one worker, adds up all of them (deploy/gunicorn.conf.py).
- Tasks and provisioning run in worker processes the web never sees: their counters live in a
  Redis hash (one HINCRBY per task), read back by `RedisCollector` at scrape time.
- Gauges (spare schemas, tenants by state) are read by the caller when scraped, never cached.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping

import redis
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from saas_platform.lib.redis_pool import redis_client

logger = logging.getLogger(__name__)

TASKS_KEY = "ifm:metrics:tasks"
DURATIONS_KEY = "ifm:metrics:durations"
# Methods kept as labels; anything else counts as "other" (a client chooses the method).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "ifm_http_requests", "HTTP requests answered, by method and status.", ["method", "status"]
)
REQUEST_SECONDS = Histogram(
    "ifm_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def request_observe(*, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    REQUESTS.labels(method=method, status=str(status)).inc()
    REQUEST_SECONDS.labels(method=method).observe(seconds)


def task_outcome_record(*, task_name: str, outcome: str) -> None:
    """Count a task that succeeded, failed or was retried. Never raises."""
    try:
        redis_client().hincrby(TASKS_KEY, f"{task_name}|{outcome}", 1)
    except redis.RedisError:
        logger.warning("task metric of %s not recorded: redis unreachable", task_name)


def duration_record(*, name: str, seconds: float) -> None:
    """Add one duration of `name` (provisioning) to its count and sum. Never raises."""
    try:
        pipeline = redis_client().pipeline(transaction=False)
        pipeline.hincrby(DURATIONS_KEY, f"{name}|count", 1)
        pipeline.hincrbyfloat(DURATIONS_KEY, f"{name}|sum", seconds)
        pipeline.execute()
    except redis.RedisError:
        logger.warning("duration of %s not recorded: redis unreachable", name)


class RedisCollector(Collector):
    """What the workers recorded in Redis, and the gauges the caller read for this scrape."""

    def __init__(self, gauges: Mapping[str, tuple[str, float]]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        tasks = CounterMetricFamily(
            "ifm_celery_tasks",
            "Celery tasks finished, by task and outcome.",
            labels=["task", "outcome"],
        )
        durations: dict[str, dict[str, float]] = {}
        try:
            client = redis_client()
            task_counts = client.hgetall(TASKS_KEY)
            duration_values = client.hgetall(DURATIONS_KEY)
        except redis.RedisError:
            logger.warning("metrics: redis unreachable, task counters left out")
            task_counts, duration_values = {}, {}
        for field, value in sorted(task_counts.items()):
            task_name, _, outcome = _text(field).rpartition("|")
            tasks.add_metric([task_name, outcome], float(value))
        yield tasks
        for field, stored in duration_values.items():
            name, _, part = _text(field).rpartition("|")
            durations.setdefault(name, {})[part] = float(stored)
        for name, parts in sorted(durations.items()):
            yield SummaryMetricFamily(
                f"ifm_{name}_seconds",
                f"Seconds spent in {name}, over every run timed.",
                count_value=int(parts.get("count", 0)),
                sum_value=parts.get("sum", 0.0),
            )
        for name, (documentation, reading) in sorted(self.gauges.items()):
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], reading)
            yield gauge


def _text(field: bytes | str) -> str:
    return field.decode() if isinstance(field, bytes) else field


def metrics_exposition(gauges: Mapping[str, tuple[str, float]]) -> bytes:
    """The text format Prometheus scrapes: this process's (or all workers') request metrics,
    the workers' counters from Redis, and `gauges` (name: (help, value))."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(RedisCollector(gauges))
    return own + generate_latest(scraped)
