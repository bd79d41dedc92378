"""What a consumer takes of a message from the broker: every header and property it (or nameko) reads is
checked here, once, before anything reads it.

Anyone who can publish to the broker can set any header and property, and nameko 2 stops a whole service
container on an error outside a handler (reading its call stack, replying to an RPC without `reply_to`).
So a message is taken only when what it says of itself is usable: JSON, not compressed, not too large; our
own headers of the right type; nameko's context (correlation id, call stack) of the shape nameko builds;
for an RPC request a reply address that is one of nameko's reply queues. A message that is not is refused
(`Refused`, with its reason) and the consumer parks it (`common.messaging`, `common.rpc`). Pure: no nameko.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from common.events import CORRELATION_ID
from common.redelivery import INVALID_MESSAGE, UNDECODABLE

# Our headers (common.messaging sets them when it retries, parks or replays a message).
ATTEMPT = "x-trustone-attempt"  # handlings that failed so far
REPLAYED = "x-trustone-replay"  # sent again by a replay, to one consumer
# When the report_submitted event a report_scored answers occurred (ISO 8601, real time): for the pipeline's
# lag metric only, so it is no part of the event's data. One that does not read as a time is ignored.
SUBMITTED = "x-trustone-submission-occurred-at"
# nameko's context travels as headers named nameko.<key>; only these two are ours to take, checked.
NAMEKO_PREFIX = "nameko."
CONTEXT_CORRELATION_ID = "correlation_id"
CONTEXT_CALL_ID_STACK = "call_id_stack"

JSON = "application/json"
ENCODINGS = ("utf-8", "utf8", "binary")  # kombu's JSON, and a replayed message kept as bytes
MAX_BODY_BYTES = 8 * 1024 * 1024  # a replayed year's sample is the largest event: ~100 KB
MAX_ATTEMPT = 10_000
MAX_CALL_STACK = 64  # nameko keeps 10 parent calls by default
CALL_ID = re.compile(r"[!-~]{1,300}")  # <service>.<method>.<uuid>, printable ASCII


class Refused(Exception):
    """A message no consumer takes, as it came: the message says why, for the operator; `reason` is the
    reason it is parked with (common.redelivery)."""

    def __init__(self, message: str, reason: str = INVALID_MESSAGE):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Taken:
    """What a consumer reads of a message's headers, checked."""
    context: dict  # what nameko may put in the worker's context: correlation id, call stack
    attempt: int  # handlings that failed so far
    replayed: bool
    submission_occurred_at: datetime | None = None


def timing_headers(submission_occurred_at: datetime | None) -> dict:
    """The headers an event's metrics travel in (none when there is nothing to measure)."""
    return {SUBMITTED: submission_occurred_at.isoformat()} if submission_occurred_at else {}


def _moment(value) -> datetime | None:
    """A header's ISO 8601 time with its zone; None for anything else (a metric lost, never a message)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def taken(headers, body_size: int = 0, content_type: str | None = JSON,
          content_encoding: str | None = "utf-8") -> Taken:
    """A message's headers and properties as a consumer may use them; Refused when any it reads is unusable."""
    if headers is not None and not isinstance(headers, dict):
        raise Refused(f"headers are {type(headers).__name__}, not a table")
    headers = headers or {}
    if "compression" in headers:  # kombu would decompress it, without a bound, before anything else
        raise Refused("compressed messages are not taken", UNDECODABLE)
    if body_size > MAX_BODY_BYTES:
        raise Refused(f"body of {body_size} bytes, more than {MAX_BODY_BYTES}", UNDECODABLE)
    if content_type != JSON:
        raise Refused(f"content type {_shown(content_type)}, not {JSON}", UNDECODABLE)
    if content_encoding not in ENCODINGS:
        raise Refused(f"content encoding {_shown(content_encoding)}, not one of {', '.join(ENCODINGS)}",
                      UNDECODABLE)
    attempt = headers.get(ATTEMPT, 0)
    if type(attempt) is not int or not 0 <= attempt <= MAX_ATTEMPT:
        raise Refused(f"header {ATTEMPT} is {_shown(attempt)}, not a count from 0 to {MAX_ATTEMPT}")
    replayed = headers.get(REPLAYED, False)
    if type(replayed) is not bool:
        raise Refused(f"header {REPLAYED} is {_shown(replayed)}, not true or false")
    return Taken(context_of(headers), attempt, replayed, _moment(headers.get(SUBMITTED)))


def context_of(headers) -> dict:
    """The worker context nameko may build from a message's headers: the correlation id and the call stack
    when they have the shape nameko gives them, nothing else (no other header becomes context, so none is
    forwarded with what the worker publishes). Refused when either is there but unusable."""
    headers = headers if isinstance(headers, dict) else {}
    context = {}
    correlation = headers.get(NAMEKO_PREFIX + CONTEXT_CORRELATION_ID)
    if correlation is not None:
        if not isinstance(correlation, str) or not CORRELATION_ID.fullmatch(correlation):
            raise Refused(f"header nameko.{CONTEXT_CORRELATION_ID} is {_shown(correlation)}, not a correlation id")
        context[CONTEXT_CORRELATION_ID] = correlation
    stack = headers.get(NAMEKO_PREFIX + CONTEXT_CALL_ID_STACK)
    if stack is not None:
        if not isinstance(stack, (list, tuple)) or len(stack) > MAX_CALL_STACK or not all(
                isinstance(each, str) and CALL_ID.fullmatch(each) for each in stack):
            raise Refused(f"header nameko.{CONTEXT_CALL_ID_STACK} is {_shown(stack)}, not a list of at most "
                          f"{MAX_CALL_STACK} call ids")
        context[CONTEXT_CALL_ID_STACK] = list(stack)
    return context


def attempt_of(headers) -> int:
    """The failed handlings a message's header counts, for a message being parked: 0 when unusable."""
    attempt = headers.get(ATTEMPT, 0) if isinstance(headers, dict) else 0
    return attempt if type(attempt) is int and 0 <= attempt <= MAX_ATTEMPT else 0


def reply_address(reply_to, correlation_id) -> None:
    """Refused unless an RPC request names where its reply goes as nameko does: a reply queue's routing
    key (a UUID; never another service's method, which a reply would otherwise be sent to as a request)
    and a correlation id."""
    try:
        valid = isinstance(reply_to, str) and str(uuid.UUID(reply_to)) == reply_to
    except ValueError:
        valid = False
    if not valid:
        raise Refused(f"reply_to is {_shown(reply_to)}, not a reply queue's key")
    if not isinstance(correlation_id, str) or not CALL_ID.fullmatch(correlation_id):
        raise Refused(f"correlation_id is {_shown(correlation_id)}, not an RPC call's id")


def rpc_request(body) -> None:
    """Refused unless the body is an RPC request as nameko sends it: {"args": [...], "kwargs": {...}}."""
    if not isinstance(body, dict) or not isinstance(body.get("args"), list) or \
            not isinstance(body.get("kwargs"), dict) or not all(isinstance(key, str) for key in body["kwargs"]):
        raise Refused("body is no RPC request ({'args': [...], 'kwargs': {...}})")


def rpc_reply(body) -> None:
    """Refused unless the body is an RPC reply as nameko sends it: {"result": ..., "error": null or the
    error as nameko serialises it}."""
    if not isinstance(body, dict) or "result" not in body or "error" not in body:
        raise Refused("body is no RPC reply ({'result': ..., 'error': ...})")
    error = body["error"]
    if error is not None and not (isinstance(error, dict) and all(
            isinstance(error.get(key), str) for key in ("exc_type", "exc_path", "value"))
            and isinstance(error.get("exc_args", []), list)):
        raise Refused("body's error is not one nameko sends")


def _shown(value, limit: int = 80) -> str:
    """A header's value as an operator reads it in a parked message: its type and value, bounded."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= limit else text[:limit - 1] + '…'}"
