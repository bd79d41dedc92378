"""Transactional outbox without transactions: an event lives in the document of the change that caused
it (one atomic write), is published right after, and is marked published once the broker confirmed it.
A relay publishes the events a crash left unpublished; consumers deduplicate by event id."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator

from nameko.amqp.publish import UndeliverableMessage
from nameko.timer import timer

from common.events import Event, parse

RELAY_INTERVAL_SECONDS = 5


class Outbox:
    def __init__(self, collection):
        self.collection = collection

    @staticmethod
    def fields(event: Event) -> dict:
        """The fields to store with the change that `event` announces."""
        return {"event": event.to_wire(), "published": False, "stored_at": event.occurred_at}

    def ensure_indexes(self) -> None:
        self.collection.create_index([("published", 1), ("stored_at", 1)])

    def mark_published(self, document_id) -> None:
        self.collection.update_one({"_id": document_id}, {"$set": {"published": True}})

    def pending(self, grace_seconds: float) -> Iterator[tuple[object, Event]]:
        """Unpublished events stored more than `grace_seconds` ago, oldest first."""
        before = datetime.now(timezone.utc) - timedelta(seconds=grace_seconds)
        for document in self.collection.find({"published": False, "stored_at": {"$lt": before}},
                                             {"event": 1}, sort=[("stored_at", 1)]):
            yield document["_id"], parse(document["event"])


def relay(outboxes, publisher, grace_seconds: float) -> int:
    """Publishes what the outboxes still hold; returns how many events went out. An event no queue
    takes yet stays pending; a broker that fails ends the round (the next one tries again)."""
    sent = 0
    for outbox in outboxes:
        for document_id, event in outbox.pending(grace_seconds):
            try:
                publisher.publish(event)
            except UndeliverableMessage:
                continue
            outbox.mark_published(document_id)
            sent += 1
    return sent


class OutboxRelay:
    """Mixed into a service whose storage keeps events with its changes (`storage.outboxes`): publishes,
    every few seconds, what a crash or a broker outage left unpublished."""

    @timer(interval=RELAY_INTERVAL_SECONDS)
    def publish_pending_events(self):
        sent = relay(self.storage.outboxes, self.events, self.config["OUTBOX_GRACE_SECONDS"])
        if sent:
            self.metrics.events_relayed.inc(sent)
            self.log.warning("outbox relay published late events", count=sent)
