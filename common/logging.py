"""structlog, configured once per process: JSON lines on stdout, nameko's own log records included.

Every worker binds service, entrypoint, call id and correlation id (and the event id when it handles an
event) to the log context, so one submission can be followed across all four services.
"""
from __future__ import annotations

import logging
import uuid

import structlog
from nameko.extensions import DependencyProvider

CORRELATION_HEADER = "X-Correlation-ID"

_SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
_configured = False


def configure() -> None:
    """Configure structlog for this process (idempotent)."""
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = True


def json_formatter() -> logging.Formatter:
    """Formatter factory for `logging.config.dictConfig` (see deploy/config.yaml)."""
    configure()
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


def get_logger(name: str | None = None):
    configure()
    return structlog.get_logger(name)


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
