"""Events on the broker: publishing enveloped events and handling them (nameko extensions).

The envelope and the schemas are in `common.events`.
"""
from __future__ import annotations

import eventlet
from nameko.amqp.publish import UndeliverableMessage
from nameko.events import EventDispatcher, EventHandler

from common.context import correlation_id
from common.errors import DomainError
from common.events import Event, InvalidEvent, new_event, parse, upcast
from common.logging import get_logger
from common.outbox import Undeliverable

log = get_logger(__name__)

class Publisher:
    """What a worker gets: build an event (validated), publish one (possibly again, from an outbox)."""

    def __init__(self, dispatch, producer: str, correlation_id: str):
        self._dispatch = dispatch
        self.producer = producer
        self.correlation_id = correlation_id

    def new(self, event_type: str, data: dict) -> Event:
        return new_event(event_type, data, producer=self.producer, correlation_id=self.correlation_id)

    def publish(self, event: Event) -> None:
        """Returns once the broker confirmed it (nameko's default); Undeliverable when no queue takes it."""
        try:
            self._dispatch(event.type, event.to_wire())
        except UndeliverableMessage:
            raise Undeliverable(event.type) from None
        log.info("event published", published_event_id=event.id, published_event_type=event.type)


class Events(EventDispatcher):
    """Publishes enveloped events on this service's exchange.

    Publishing is mandatory: an event that no queue takes (no consumer ever started, at a first
    deployment) raises Undeliverable instead of vanishing, so it stays in its outbox until the relay can
    deliver it.
    """

    def __init__(self, **options):
        options.setdefault("mandatory", True)
        super().__init__(**options)

    def get_dependency(self, worker_ctx):
        return Publisher(super().get_dependency(worker_ctx), worker_ctx.service_name,
                         correlation_id(worker_ctx))


class EnvelopeHandler(EventHandler):
    """An event handler that receives a parsed `Event`.

    A message that is not a known envelope, or whose handling fails for a domain reason (a DomainError),
    is logged and dropped: redelivering it cannot help. Any other failure (a dependency down, a crash) is
    requeued after a pause, so nothing is lost; handlers are idempotent, so a redelivery changes nothing
    that was already done.
    """

    retry_pause = 1.0

    def __init__(self, source_service, event_type, **kwargs):
        kwargs.setdefault("requeue_on_error", True)
        super().__init__(source_service, event_type, **kwargs)

    def handle_message(self, body, message):
        try:
            event = parse(body)
        except InvalidEvent as exc:
            log.error("event dropped", reason=str(exc), service=self.container.service_name,
                      entrypoint=self.method_name)
            self.queue_consumer.ack_message(message)
            return
        super().handle_message(upcast(event), message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None and isinstance(exc_info[1], DomainError):
            log.error("event dropped", reason=str(exc_info[1]), service=self.container.service_name,
                      entrypoint=self.method_name)
            self.queue_consumer.ack_message(message)
            return
        if exc_info is not None and self.requeue_on_error:
            eventlet.sleep(self.retry_pause)
        super().handle_message_processed(message, result, exc_info)


event_handler = EnvelopeHandler.decorator
