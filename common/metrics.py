"""Prometheus metrics of one service, in a registry of its own.

The registry belongs to the container, not the module: the four services of the embedded process each
expose only their own metrics, and every test starts from zero.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Callable

from nameko.extensions import DependencyProvider
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               disable_created_metrics, generate_latest)

from common import redelivery, vocabulary
from common.errors import DomainError

# Seconds from a report's submission to a stage: the pipeline takes well under a second when it flows, and
# minutes to hours when a consumer was down; the alert's target (deploy/alerts.yml) is a bucket bound.
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, 4 * 3600)


class ServiceMetrics(SimpleNamespace):
    """The service's own metrics as attributes, plus the exposition of the whole registry."""

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self._registry), CONTENT_TYPE_LATEST


class Metrics(DependencyProvider):
    """Counts every entrypoint call by outcome and times it; each `declare(registry)` adds metrics of the
    service's own (a dict of name -> metric, shown as attributes)."""

    def __init__(self, *declare: Callable[[CollectorRegistry], dict]):
        self.declare = declare

    def setup(self):
        disable_created_metrics()  # the *_created series only double the exposition
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "trustone_entrypoint_calls",
            "Entrypoint calls by outcome: ok, rejected (bad input, no access, a dependency down) or error.",
            ["entrypoint", "outcome"], registry=self.registry)
        self.duration = Histogram(
            "trustone_entrypoint_duration_seconds", "Time spent in an entrypoint.",
            ["entrypoint"], registry=self.registry)
        # every event handler counts what it retried and parked (common.messaging)
        self.retried = Counter(
            "trustone_events_retried", "Event handlings that failed and were retried after a pause.",
            ["entrypoint"], registry=self.registry)
        self.parked = Counter(
            "trustone_events_parked",
            "Events parked for an operator (trustone parked), by reason: " + ", ".join(redelivery.REASONS) + ".",
            ["entrypoint", "reason"], registry=self.registry)
        own = {}
        for declare in self.declare:
            own.update(declare(self.registry))
        self.metrics = ServiceMetrics(_registry=self.registry, **own)
        self._started: dict = {}

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        name = worker_ctx.entrypoint.method_name
        started = self._started.pop(worker_ctx, None)
        if started is not None:
            self.duration.labels(name).observe(time.perf_counter() - started)
        self.calls.labels(name, outcome(exc_info)).inc()

    def get_dependency(self, worker_ctx):
        return self.metrics


def outcome(exc_info) -> str:
    if exc_info is None:
        return "ok"
    return "rejected" if isinstance(exc_info[1], DomainError) else "error"


def counter(registry, name: str, documentation: str, labels=()) -> Counter:
    return Counter(name, documentation, list(labels), registry=registry)


def lag_metrics(registry) -> dict:
    """The pipeline's lag, for a service that takes a submitted report through one of its stages."""
    return {"lag": Histogram(
        "trustone_pipeline_lag_seconds",
        "Seconds from a report's submission (its report_submitted event) to a stage: "
        + ", ".join(vocabulary.PIPELINE_STAGES.codes) + ".",
        ["stage"], buckets=LAG_BUCKETS, registry=registry)}


def observe_lag(metrics, stage: str, submitted: datetime | str | None) -> None:
    """Observes the lag of `stage` since `submitted` (the report_submitted event's time), when known: a
    rescore, or an event from a producer that does not carry it, has no submission to measure from."""
    if stage not in vocabulary.PIPELINE_STAGES:
        raise ValueError(f"unknown pipeline stage {stage!r}")
    if not submitted:
        return
    if isinstance(submitted, str):
        submitted = datetime.fromisoformat(submitted)
    metrics.lag.labels(stage).observe(max(0.0, (datetime.now(timezone.utc) - submitted).total_seconds()))


def gauge(registry, name: str, documentation: str, labels=()) -> Gauge:
    return Gauge(name, documentation, list(labels), registry=registry)
