"""structlog, configured once per process: JSON lines on stdout, nameko's own log records included.

Every worker binds service, entrypoint, call id and correlation id (and the event id when it handles an
event) to the log context (`common.context`), so one submission can be followed across all services.
"""
from __future__ import annotations

import logging

import structlog

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
