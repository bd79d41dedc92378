"""Prometheus metrics of one service, in a registry of its own.

The registry belongs to the container, not the module: the four services of the embedded process each
expose only their own metrics, and every test starts from zero.
"""
from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Callable

from nameko.extensions import DependencyProvider
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               disable_created_metrics, generate_latest)

from common.errors import DomainError


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
