"""What a worker knows of the request it serves: its correlation id, bound to every log line it writes."""
from __future__ import annotations

import uuid

import structlog
from nameko.extensions import DependencyProvider

from common.logging import get_logger


def correlation_id(worker_ctx) -> str:
    """The correlation id of a worker, fixed on first use.

    It comes from the caller (an HTTP header, an RPC or event header), else from the event envelope the
    worker handles, else it is new. Stored in the context data, so nameko forwards it with every RPC call
    and event the worker makes.
    """
    data = worker_ctx.context_data
    if not data.get("correlation_id"):
        event = worker_ctx.args[0] if worker_ctx.args else None
        data["correlation_id"] = getattr(event, "correlation_id", None) or uuid.uuid4().hex
    return data["correlation_id"]


class LoggingContext(DependencyProvider):
    """Binds who is working on what to every log line a worker writes; injects a logger."""

    def worker_setup(self, worker_ctx):
        structlog.contextvars.clear_contextvars()
        context = {
            "service": worker_ctx.service_name,
            "entrypoint": worker_ctx.entrypoint.method_name,
            "call_id": worker_ctx.call_id,
            "correlation_id": correlation_id(worker_ctx),
        }
        event = worker_ctx.args[0] if worker_ctx.args else None
        if getattr(event, "id", None) and getattr(event, "type", None):
            context.update(event_id=event.id, event_type=event.type)
        structlog.contextvars.bind_contextvars(**context)

    def worker_teardown(self, worker_ctx):
        structlog.contextvars.clear_contextvars()

    def get_dependency(self, worker_ctx):
        return get_logger(worker_ctx.service_name)
