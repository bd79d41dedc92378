"""What becomes of an event a handler could not handle: retried a few times with a growing pause, or
parked with its reason for an operator (`trustone parked`). Plain rules; the broker side is
`common.messaging`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from common.errors import DomainError, Unavailable
from common.events import InvalidEvent

# Why a message was parked: the `reason` label of trustone_events_parked_total, and the header it is
# parked with.
UNDECODABLE = "undecodable"  # not JSON (or not a content type consumers accept, compressed, too large)
INVALID_MESSAGE = "invalid_message"  # a header or property no consumer takes (common.inbound); an RPC body
# that is no request or reply
INVALID_EVENT = "invalid_event"  # JSON, but no envelope of a type and version this consumer knows, or data
# its schema refuses
DOMAIN_ERROR = "domain_error"  # the handler refused it for a domain reason: it never will succeed
RETRIES_EXHAUSTED = "retries_exhausted"  # it failed on every attempt
REASONS = (UNDECODABLE, INVALID_MESSAGE, INVALID_EVENT, DOMAIN_ERROR, RETRIES_EXHAUSTED)


@dataclass(frozen=True)
class Decision:
    park: Optional[str] = None  # the reason, when parked
    retry_after: Optional[float] = None  # seconds, when retried


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # handlings in all, the first included, before a failing message is parked
    backoff_seconds: float  # the pause before the first retry; each later pause is twice the one before

    def __post_init__(self):
        if self.attempts < 1 or self.backoff_seconds < 0:
            raise ValueError("a retry policy needs at least one attempt and a pause of 0 s or more")

    def after_failure(self, attempt: int, error: BaseException) -> Decision:
        """What to do after handling number `attempt` (1 for the first) failed with `error`."""
        if isinstance(error, InvalidEvent):
            return Decision(park=INVALID_EVENT)
        if isinstance(error, DomainError) and not isinstance(error, Unavailable):
            return Decision(park=DOMAIN_ERROR)  # (a dependency that does not answer may answer later)
        if attempt >= self.attempts:
            return Decision(park=RETRIES_EXHAUSTED)
        return Decision(retry_after=self.backoff_seconds * 2 ** (attempt - 1))


def describe(error: BaseException, limit: int = 500) -> str:
    """The error as an operator reads it in a parked message: its type and message, bounded."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[:limit - 1] + "…"
