"""Transactional outbox without transactions: an event lives in the document of the change that caused it
(one atomic write), is published right after, and is marked published once the broker confirmed it, with
the other events of the last second in one write (`Outbox.sent`). A relay publishes the events a crash or
a broker outage left unmarked; a consumer may so receive an event twice, and each is idempotent (README,
"Nothing counts twice").

Every service takes the same path: a repository stores a change with its event and returns `Kept`;
`publish(kept, publisher)` sends it and marks it, with one error policy.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

from common.events import Event, parse
from common.logging import get_logger

log = get_logger(__name__)
MARK_BATCH = 100
MARK_EVERY_SECONDS = 1.0


class Outbox:
    """The events kept in the documents of one collection."""

    # What the relay's query (`pending`) and the backlog (`oldest_unpublished`) read; a repository declares
    # it on each collection that keeps events.
    INDEX_KEYS = (("published", 1), ("stored_at", 1))
    # What of a document `kept` reads: the event, and beside it what its metrics read.
    KEPT = {"event": 1, "submission_occurred_at": 1}

    def __init__(self, collection):
        self.collection = collection
        self._sent: list = []  # the documents whose events went out, not yet marked
        self._marked_at = time.monotonic()

    @staticmethod
    def fields(event: Event) -> dict:
        """The fields to store with the change that `event` announces (and, beside the event, what its
        metrics read, which travels in a header: `Event.submission_occurred_at`)."""
        timing = {"submission_occurred_at": event.submission_occurred_at.isoformat()} \
            if event.submission_occurred_at else {}
        return {"event": event.to_wire(), "published": False, "stored_at": event.occurred_at, **timing}

    def kept(self, document: dict) -> "Kept":
        """The event a stored document keeps."""
        event, timing = parse(document["event"]), document.get("submission_occurred_at")
        if timing:
            event = replace(event, submission_occurred_at=datetime.fromisoformat(timing))
        return Kept(self, document["_id"], event)

    def sent(self, document_id) -> None:
        """Notes that a document's event went out. The marks are written together (`flush`: at most every
        MARK_EVERY_SECONDS or MARK_BATCH events, and before each relay round), not one write per event: an
        event that went out but was not yet marked when its process stopped is sent again by the relay,
        and its consumers drop the duplicate, as they drop any redelivery."""
        self._sent.append(document_id)
        if len(self._sent) >= MARK_BATCH or time.monotonic() - self._marked_at >= MARK_EVERY_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Marks published, in one write, the events noted as sent."""
        marked, self._sent, self._marked_at = self._sent, [], time.monotonic()
        if marked:
            self.collection.update_many({"_id": {"$in": marked}}, {"$set": {"published": True}})

    def oldest_unpublished(self) -> datetime | None:
        """When the oldest event not yet published was stored (None: every event went out)."""
        self.flush()  # those that went out are not waiting
        found = self.collection.find_one({"published": False}, {"stored_at": 1}, sort=[("stored_at", 1)])
        return found["stored_at"] if found else None

    def pending(self, grace_seconds: float) -> Iterator["Kept"]:
        """Unpublished events stored more than `grace_seconds` ago, oldest first."""
        before = datetime.now(timezone.utc) - timedelta(seconds=grace_seconds)
        for document in self.collection.find({"published": False, "stored_at": {"$lte": before}},
                                             self.KEPT, sort=[("stored_at", 1)]):
            yield self.kept(document)


@dataclass(frozen=True)
class Kept:
    """An event stored with the change it announces, not yet known to be published."""
    outbox: Outbox
    document_id: object
    event: Event


class Undeliverable(Exception):
    """No queue takes the event yet (a first deployment, before any consumer started)."""


def _send(kept: Kept, publisher) -> None:
    publisher.publish(kept.event)
    kept.outbox.sent(kept.document_id)


def publish(kept: Kept, publisher) -> bool:
    """Publishes a kept event now and marks it published; returns whether it went out.

    Whatever stops it (the broker down, or no queue taking the event yet), the event stays in its outbox
    and the relay sends it later: the change is stored, so the caller goes on.
    """
    try:
        _send(kept, publisher)
    except Exception as exc:  # noqa: BLE001 - any failure to publish leaves the event to the relay
        log.warning("event stored, not yet published; the outbox relay will send it",
                    pending_event_id=kept.event.id, pending_event_type=kept.event.type,
                    reason=f"{type(exc).__name__}: {exc}")
        return False
    return True


def oldest_unpublished_age(outboxes: Iterable[Outbox], now: datetime) -> float:
    """Seconds the oldest unpublished event of any of the outboxes has waited; 0 when none waits."""
    stored = [each for each in (outbox.oldest_unpublished() for outbox in outboxes) if each is not None]
    return max(0.0, (now - min(stored)).total_seconds()) if stored else 0.0


def relay(outboxes: Iterable[Outbox], publisher, grace_seconds: float) -> int:
    """Publishes what the outboxes still hold; returns how many events went out. An event no queue takes
    yet stays pending; a broker that fails ends the round with its error (the next round tries again, and
    the failed entrypoint shows on the service's metrics and alerts)."""
    sent = 0
    for outbox in outboxes:
        outbox.flush()  # what went out since the last round is not pending
        for kept in outbox.pending(grace_seconds):
            try:
                _send(kept, publisher)
            except Undeliverable:
                continue
            sent += 1
        outbox.flush()
    return sent


def replay(events: Iterable[Event], consumer: str, replayer) -> dict[str, int]:
    """Sends stored events again, each as it was (its id, time and data), to one consumer service, to
    rebuild what that consumer keeps from them; returns how many went out of each type. Consumers are
    idempotent, so a replay to one that lost nothing changes nothing."""
    sent: Counter = Counter()
    for event in events:
        replayer.publish(consumer, event)
        sent[event.type] += 1
    log.info("events replayed", consumer=consumer, **{f"replayed_{kind}": count for kind, count in sent.items()})
    return dict(sent)
