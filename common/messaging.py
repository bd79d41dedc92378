"""Events on the broker: publishing enveloped events and handling them (nameko extensions).

The envelope and the schemas are in `common.events`.
"""
from __future__ import annotations

import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from datetime import datetime, timezone

import amqp
import eventlet
import eventlet.semaphore
from kombu import Connection, Exchange, Queue, binding
from kombu import Consumer as KombuConsumer
from kombu import Producer as KombuProducer
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher as AmqpPublisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.events import SERVICE_POOL, EventDispatcher, EventHandler
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer

from common import inbound, redelivery, settings
from common.context import correlation_id
from common.events import Event, InvalidEvent, new_event, receive
from common.logging import get_logger
from common.metrics import Metrics
from common.outbox import Undeliverable

log = get_logger(__name__)

# Headers of a message retried or parked (its own headers, nameko's context among them, are kept).
ATTEMPT = inbound.ATTEMPT  # handlings that failed so far
PARKED_ID = "x-trustone-parked-id"  # names a parked message for `trustone parked replay|discard`
PARKED_REASON = "x-trustone-parked-reason"  # one of common.redelivery.REASONS
PARKED_ERROR = "x-trustone-parked-error"  # the last error, as an operator reads it
PARKED_FROM = "x-trustone-parked-from"  # the queue it was taken from, where a replay puts it back
PARKED_AT = "x-trustone-parked-at"
REPLAYED = inbound.REPLAYED  # sent again by a replay, to one consumer (see Replays)
PARKED_HEADERS = (ATTEMPT, PARKED_ID, PARKED_REASON, PARKED_ERROR, PARKED_FROM, PARKED_AT)
BROKER_TROUBLE_PAUSE = 1.0  # seconds before a message is requeued when it could be neither retried nor parked
RETRY_QUEUE_EXPIRES_MS = 24 * 3600 * 1000  # a retry queue nobody used for a day goes (a broadcast's, mostly)
PERSISTENT = 2  # delivery mode: kept on disk by the broker
PUBLISH_TIMEOUT_SECONDS = 10  # a connection that neither takes a message nor confirms it in this time is dead
MAX_KEPT = 10  # connections kept for publishing, per service (nameko's worker pool is 10)
NO_ROUTE = 312  # AMQP reply code of a mandatory message no queue took
ACK_BATCH = 8  # handled messages that wait at most for one acknowledgement (nameko's prefetch is 10)
ACK_WAIT_SECONDS = 0.5  # nor longer than this, while an older message is still being handled
BROKER_DOWN_SECONDS = 2.0  # after a failure to reach the broker, publishing fails at once for this long
RECONNECT_MAX_SECONDS = 2.0  # the longest a consumer waits between attempts to reach the broker again
CONNECT_TIMEOUT_SECONDS = 2.0  # a broker node that does not take a publishing connection in this time is down


def replay_exchange(consumer: str) -> Exchange:
    """Where a replay for one consumer service goes: each of its handlers' queues is bound to it with the
    key `<source service>.<event type>`, so a replay reaches that consumer only, and only the handlers of
    that event."""
    return Exchange(f"replay.{consumer}", type="topic", durable=True)


def parked_queue_name(source_service: str, event_type: str, service: str, method: str) -> str:
    """Where a handler parks what it cannot handle: one durable queue per handler (also for a broadcast
    handler, whose own queue lives only as long as its instance)."""
    return f"evt-{source_service}-{event_type}--{service}.{method}.parked"


def lasting(queue_type: str, **arguments) -> dict:
    """The arguments of a queue that outlives a process (a handler's event queue, its retry and parked
    queues, a service's RPC request queue), the one place its type is set: `quorum` (QUEUE_TYPE) makes it
    a quorum queue, replicated over a RabbitMQ cluster's nodes. Poison handling counts attempts itself
    (our `x-trustone-attempt` header), not with `x-delivery-limit`: RabbitMQ's count also grows when a
    node or a consumer is lost, which is no fault of the message, and what passes the limit is dropped or
    dead-lettered without the reason an operator reads (see docs/reliability.md)."""
    return {**arguments, "x-queue-type": "quorum"} if queue_type == "quorum" else arguments


def parked_queue(name: str, queue_type: str = "classic") -> Queue:
    return Queue(name, exchange=Exchange(""), routing_key=name, durable=True, queue_arguments=lasting(queue_type))


def retry_queue(queue_name: str, queue_type: str = "classic", durable: bool = True) -> Queue:
    """Holds a message for its pause (its own expiration), then the broker dead-letters it back to
    `queue_name`. A message waits at most the pause of the one ahead of it, when that one is longer. As
    a quorum queue it dead-letters at least once (a quorum queue's default is at most once: a node lost
    at that moment would lose the message), which RabbitMQ allows only with `reject-publish`."""
    name = f"{queue_name}.retry"
    arguments = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name,
                 "x-expires": RETRY_QUEUE_EXPIRES_MS}
    if queue_type == "quorum":
        arguments.update({"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"})
    return Queue(name, exchange=Exchange(""), routing_key=name, durable=durable,
                 queue_arguments=lasting(queue_type, **arguments))


class Publisher:
    """What a worker gets: build an event (validated), publish one (possibly again, from an outbox)."""

    def __init__(self, dispatch, producer: str, correlation_id: str):
        self._dispatch = dispatch
        self.producer = producer
        self.correlation_id = correlation_id

    def new(self, event_type: str, data: dict) -> Event:
        return new_event(event_type, data, producer=self.producer, correlation_id=self.correlation_id)

    def publish(self, event: Event) -> None:
        """Returns once the broker confirmed it; Undeliverable when no queue takes it. What is no part of
        the event's contract but a metric reads goes in a header (`inbound.timing_headers`)."""
        self._dispatch(event.type, event.to_wire(), inbound.timing_headers(event.submission_occurred_at))
        log.info("event published", published_event_id=event.id, published_event_type=event.type)


class BrokerUnreachable(ConnectionError):
    """The broker could not be reached a moment ago (BROKER_DOWN_SECONDS): it is not tried again yet."""


class Producers:
    """This process's connections for publishing events on one exchange, with publisher confirms: kept
    between publishes (at most MAX_KEPT), each used by one worker at a time.

    A publish that fails raises at once: the event stays in its outbox, which the relay sends later, so
    nothing is gained by retrying for seconds while a request waits, as nameko's publisher does. Only a
    kept connection that failed (gone stale, e.g. with a broker restart) is tried once more on a new one.
    A new connection is tried once, without kombu's retries (which made every request wait 2 s while the
    broker was down); and once the broker could not be reached, the failure is known for
    BROKER_DOWN_SECONDS (a circuit breaker, in the few lines it takes): publishes in that moment raise
    BrokerUnreachable without trying, so a submission while the broker is down is answered as fast as when
    it is up (its outbox takes the event), and a broker coming back is tried within seconds, by one
    publish at a time: while it tries, the others raise BrokerUnreachable rather than wait on a broker that
    may not answer (a node that drops packets costs CONNECT_TIMEOUT_SECONDS, one that hangs after taking the
    connection PUBLISH_TIMEOUT_SECONDS, and only to that one publish).
    An attempt that takes longer than PUBLISH_TIMEOUT_SECONDS (opening a connection, sending, waiting for
    the confirmation) has failed. A connection that failed is dropped without the closing handshake a
    broker that stopped answering would never complete. Publishing is mandatory: an event no queue takes
    raises Undeliverable, once the broker confirmed the returned message, so its connection serves on.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange, serializer: str = "json", **connection_options):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.serializer = serializer
        self.connection_options = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, **connection_options}
        self._idle: list[tuple[Connection, KombuProducer]] = []
        # monotonic time until which the broker is taken to be unreachable; not 0 until a connection succeeds
        # again: meanwhile one publish at a time tries it
        self._down_until = 0.0
        self._trying = False

    def publish(self, payload: dict, routing_key: str, headers: dict) -> None:
        if time.monotonic() < self._down_until:
            raise BrokerUnreachable("the broker could not be reached a moment ago")
        while True:
            was_kept = bool(self._idle)
            trying = not was_kept and self._down_until > 0
            if trying:
                if self._trying:
                    raise BrokerUnreachable("the broker is being tried again")
                self._trying = True
            try:
                sent = self._attempt(payload, routing_key, headers, was_kept)
                self._down_until = 0.0
                return sent
            except Undeliverable:  # the broker answered: reached
                self._down_until = 0.0
                raise
            except (OSError, amqp.exceptions.RecoverableConnectionError, OperationalError):
                if not was_kept:  # a kept connection may have gone stale: once more, on a new one
                    self._down_until = time.monotonic() + BROKER_DOWN_SECONDS
                    raise
            finally:
                if trying:
                    self._trying = False

    def _attempt(self, payload: dict, routing_key: str, headers: dict, on_kept: bool) -> None:
        with eventlet.Timeout(PUBLISH_TIMEOUT_SECONDS, socket.timeout("no confirmation in time")):
            connection, producer = self._idle.pop() if on_kept else self._open()
            try:
                self._send(producer, payload, routing_key, headers)
            except Undeliverable:
                self._keep(connection, producer)
                raise
            except BaseException:
                self._drop(connection)
                raise
            self._keep(connection, producer)

    def _send(self, producer: KombuProducer, payload: dict, routing_key: str, headers: dict) -> None:
        try:
            producer.publish(payload, exchange=self.exchange, routing_key=routing_key, headers=headers,
                             mandatory=True, delivery_mode=PERSISTENT, serializer=self.serializer, retry=False)
        except amqp.exceptions.ChannelError as exc:
            if exc.reply_code != NO_ROUTE:
                raise
            # the broker confirms a returned message right after returning it: take that confirmation now,
            # or the next publish on this connection would take it for its own
            producer.channel.wait([amqp.spec.Basic.Ack, amqp.spec.Basic.Nack])
            raise Undeliverable(routing_key) from None

    def _open(self) -> tuple[Connection, KombuProducer]:
        connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                **self.connection_options)
        try:
            # each node of a cluster (AMQP_URI's failover list) once, without a pause: kombu would try again
            # after 2 s
            connection.ensure_connection(max_retries=len(connection.alt or [None]) - 1, interval_start=0,
                                         interval_step=0, reraise_as_library_errors=False)
            return connection, KombuProducer(connection.channel(), exchange=self.exchange)
        except BaseException:
            self._drop(connection)
            raise

    def _keep(self, connection: Connection, producer: KombuProducer) -> None:
        if len(self._idle) < MAX_KEPT:
            self._idle.append((connection, producer))
        else:
            self._close(connection)

    @staticmethod
    def _drop(connection: Connection) -> None:
        try:
            connection.collect()
        except Exception:  # noqa: BLE001 - it failed already; what matters is that it is not used again
            pass

    def _close(self, connection: Connection) -> None:
        try:
            with eventlet.Timeout(PUBLISH_TIMEOUT_SECONDS, socket.timeout("no answer to closing")):
                connection.close()
        except Exception:  # noqa: BLE001 - a connection already gone, or a broker not answering
            self._drop(connection)

    @property
    def kept(self) -> int:
        """How many connections wait for the next publish."""
        return len(self._idle)

    def close(self) -> None:
        """Closes the kept connections (the service stops)."""
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            self._close(connection)

    def drop(self) -> None:
        """Lets go of the kept connections at once (the service is killed)."""
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            self._drop(connection)


class Events(EventDispatcher):
    """Publishes enveloped events on this service's exchange (declared when the service starts, as
    nameko's dispatcher does), through this process's `Producers`."""

    def setup(self):
        super().setup()
        config = self.container.config
        self.producers = Producers(config[AMQP_URI_CONFIG_KEY], self.exchange, serializer=self.serializer,
                                   ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                   login_method=config.get(LOGIN_METHOD_CONFIG_KEY))

    def stop(self):
        self.producers.close()

    def kill(self):
        self.producers.drop()

    def get_dependency(self, worker_ctx):
        headers = self.get_message_headers(worker_ctx)  # nameko's context (correlation id, call stack)

        def dispatch(event_type: str, payload: dict, extra: dict) -> None:
            self.producers.publish(payload, event_type, {**headers, **extra})
        return Publisher(dispatch, worker_ctx.service_name, correlation_id(worker_ctx))


class Replayer:
    """What a worker gets: `publish(consumer, event)` sends a stored event again, as it was, to one consumer
    service, marked as a replay."""

    def __init__(self, publisher: AmqpPublisher, producer: str, headers: dict):
        self._publisher = publisher
        self.producer = producer
        self._headers = headers

    def publish(self, consumer: str, event: Event) -> None:
        exchange = replay_exchange(consumer)
        self._publisher.publish(event.to_wire(), exchange=exchange, routing_key=f"{self.producer}.{event.type}",
                                declare=[exchange], headers={**self._headers, REPLAYED: True})


class Replays(DependencyProvider):
    """Replays this service's stored events to one consumer (see `replay_exchange`). Not mandatory: a
    consumer takes the types it handles and no others."""

    def setup(self):
        self.publisher = AmqpPublisher(self.container.config[AMQP_URI_CONFIG_KEY])

    def get_dependency(self, worker_ctx):
        return Replayer(self.publisher, self.container.service_name,
                        {"nameko.correlation_id": correlation_id(worker_ctx)})


class Acknowledgements:
    """The deliveries of one channel, acknowledged together where AMQP allows it.

    A message handled while others delivered on the channel are still waiting for a worker or being
    handled is acknowledged with them, in one `basic.ack` with `multiple` up to the newest: when none is
    left, or ACK_BATCH handled ones wait, or the oldest has waited ACK_WAIT_SECONDS (the consumer's loop
    looks at least every second). Under load that is one acknowledgement for several messages, less work
    for the broker and for us; a message handled alone is acknowledged at once. What is handled but not
    yet acknowledged when the process dies is delivered again, as any unacknowledged message is, and
    handlers are idempotent. kombu's virtual channels (the embedded broker) take one tag per
    acknowledgement, so there each message is acknowledged on its own, at once.
    """

    def __init__(self, channel, together: bool | None = None, batch: int = ACK_BATCH):
        self.channel = channel
        self.together = isinstance(channel, amqp.Channel) if together is None else together
        self.batch = batch
        self.open: dict[int, bool] = {}  # delivery tag -> handled, in the order delivered (at most the prefetch)
        self.oldest_waiting_since: float | None = None  # when the oldest handled one began to wait
        # One flush at a time: a single acknowledgement still being sent must not be overtaken by another
        # flush's `multiple` one covering its tag (the broker closes a channel acknowledging a tag twice).
        self._sending = eventlet.semaphore.Semaphore()

    def delivered(self, tag: int) -> None:
        if self.together:
            self.open[tag] = False

    def handled(self, tag: int) -> None:
        if tag not in self.open:  # on a virtual channel, or delivered before this consumer (re)started
            self.channel.basic_ack(tag)
            return
        self.open[tag] = True
        if self.oldest_waiting_since is None:
            self.oldest_waiting_since = time.monotonic()
        waiting = sum(self.open.values())
        if waiting == len(self.open) or waiting >= self.batch:
            self.flush()

    def requeued(self, tag: int) -> None:
        self.open.pop(tag, None)
        if self.open and all(self.open.values()):  # it held up those handled after it
            self.flush()

    def due(self) -> bool:
        return self.oldest_waiting_since is not None and \
            time.monotonic() - self.oldest_waiting_since >= ACK_WAIT_SECONDS

    def flush(self) -> None:
        """Acknowledges every handled message: those delivered before the first still open in one
        acknowledgement, any after it one by one (they cannot wait for a message that may take long)."""
        with self._sending:
            self._flush()

    def _flush(self) -> None:
        upto = None
        for tag, handled in self.open.items():
            if not handled:
                break
            upto = tag
        after = [tag for tag, handled in self.open.items() if handled and (upto is None or tag > upto)]
        self.open = {tag: handled for tag, handled in self.open.items() if not handled}
        self.oldest_waiting_since = None
        if upto is not None:
            self.channel.basic_ack(upto, multiple=True)
        for tag in after:
            self.channel.basic_ack(tag)


class GuardedConsumer(KombuConsumer):
    """kombu's consumer, handing each message on undecoded (`on_message`), so that it is checked before
    anything reads it. A compressed message has its `compression` header taken off unread and is marked
    (`trustone_refused`): kombu would decompress it, without a bound, as it builds the message."""

    def _receive_callback(self, raw):
        headers = raw.properties.get("application_headers") if isinstance(raw, amqp.Message) else None
        compressed = isinstance(headers, dict) and "compression" in headers
        if compressed:
            raw.properties["application_headers"] = {key: value for key, value in headers.items()
                                                     if key != "compression"}
        to_python = getattr(self.channel, "message_to_python", None)
        message = to_python(raw) if to_python else raw
        message.accept = self.accept
        if compressed:
            message.trustone_refused = inbound.Refused("compressed messages are not taken", redelivery.UNDECODABLE)
        elif message.errors:
            message.trustone_refused = inbound.Refused("not readable as it came", redelivery.UNDECODABLE)
        return self.on_message(message)


class GuardedQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but no message can stop the service: each is handed, as it came, to its
    provider's `take` in a thread of its own, which checks it (`common.inbound`), decodes it and hands it
    on, or parks it; nothing it raises reaches nameko (which would stop the container)."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(partial(GuardedConsumer, channel), channel)
        for provider, consumer in self._consumers.items():
            consumer.on_message = partial(self._received, provider)
        return consumers

    _consuming_channel = None  # the channel its consumers were declared on, at the last (re)connection

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self._consuming_channel = channel
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_iteration(self):
        # kombu makes a lost connection again by itself the moment it is next used: when a worker's
        # acknowledgement failed first (marking it lost) and the loop then drained it, it drained a new
        # connection without a channel, and consumed nothing again, kept open by its heartbeats. A consumer
        # whose channel's connection is lost makes it again itself, with its channel and its consumers.
        channel = self._consuming_channel
        connection = getattr(channel, "connection", None)
        if channel is not None and (connection is None or not getattr(connection, "connected", True)
                                    or not getattr(channel, "is_open", True)):
            raise ConnectionResetError("the connection the consumers were declared on was lost")
        super().on_iteration()

    @contextmanager
    def establish_connection(self):
        # kombu waits 2, 4, 6 ... up to 30 s between attempts: after a long outage the broker was back for
        # up to half a minute before its consumers tried again, and a service asked to stop meanwhile waited
        # that out (Docker kills it after 10 s)
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries, interval_start=0,
                                         interval_step=1, interval_max=RECONNECT_MAX_SECONDS)
            yield connection

    def _received(self, provider, message):
        # in the consumer's loop: taking a message may mean publishing (parking), so it has a thread of its own
        self.container.spawn_managed_thread(partial(self._take, provider, message),
                                            identifier=f"{type(provider).__name__}.take")

    def _take(self, provider, message):
        try:
            provider.take(message)
        except Exception:  # noqa: BLE001 - a fault of ours: logged; the message comes again after a restart
            log.exception("message neither handled nor parked", queue=_queue_of(message),
                          delivery_tag=getattr(message, "delivery_tag", None))

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except Exception as exc:  # noqa: BLE001 - a channel gone: the broker gives the message back itself
            log.warning("message not requeued", error=redelivery.describe(exc))


def _queue_of(message) -> str:
    info = getattr(message, "delivery_info", None) or {}
    return str(info.get("routing_key", ""))


def decoded(message):
    """The body of a message checked by `common.inbound.taken`; Refused (undecodable) when it is no JSON."""
    try:
        return message.decode()
    except Exception as exc:  # noqa: BLE001 - whatever kombu or json make of it, it is no message we read
        raise inbound.Refused(f"not JSON: {redelivery.describe(exc, 200)}", redelivery.UNDECODABLE) from None


class Parking:
    """Parks what a consumer of one service cannot take, on a durable queue of its own: the message as it
    came (its body untouched), with its reason, error, attempts and origin in headers; counted in
    trustone_events_parked_total{entrypoint, reason} and logged."""

    def __init__(self, container, queue: Queue):
        self.container = container
        self.queue = queue
        self.publisher = AmqpPublisher(container.config[AMQP_URI_CONFIG_KEY], mandatory=True)

    def park(self, message, origin: str, entrypoint: str, reason: str, error, attempt: int) -> None:
        """Returns once the broker confirmed the parked copy; raises when it could not take it."""
        headers = {ATTEMPT: attempt, PARKED_ID: uuid.uuid4().hex, PARKED_REASON: reason,
                   PARKED_ERROR: redelivery.describe(error), PARKED_FROM: origin,
                   PARKED_AT: datetime.now(timezone.utc).isoformat()}
        try:
            self.republish(message, self.queue.name, headers, declare=[self.queue])
        except Exception:  # noqa: BLE001 - its own headers may be what the broker refuses: parked without them
            self.republish(message, self.queue.name, headers, declare=[self.queue], own_headers=False)
        log.error("message parked", reason=reason, parked_queue=self.queue.name, entrypoint=entrypoint,
                  attempt=attempt, error=redelivery.describe(error))
        self.count(entrypoint, reason)

    def republish(self, message, routing_key: str, headers: dict, declare: list, expiration=None,
                  own_headers: bool = True):
        """The message as it came (its body untouched), with `headers` added, through the default exchange
        to the queue `routing_key`; returns once the broker confirmed it."""
        kept = {key: value for key, value in (message.headers or {}).items() if key != "compression"} \
            if own_headers and isinstance(message.headers, dict) else {}
        self.publisher.publish(
            message.body, exchange="", routing_key=routing_key, declare=declare, expiration=expiration,
            headers={**kept, **headers},
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary")

    def count(self, entrypoint: str, reason: str | None = None) -> None:
        metrics = next((each for each in self.container.dependencies if isinstance(each, Metrics)), None)
        if metrics is None:
            return
        if reason is None:
            metrics.retried.labels(entrypoint).inc()
        else:
            metrics.parked.labels(entrypoint, reason).inc()


class ParkingQueueConsumer(GuardedQueueConsumer):
    """The event handlers' queue consumer (`GuardedQueueConsumer`), with acknowledgements sent together
    (`Acknowledgements`)."""

    def __init__(self):
        super().__init__()
        self._acknowledgements: dict = {}  # channel -> Acknowledgements

    def get_consumers(self, consumer_cls, channel):
        self._acknowledgements = {}  # a (re)connection: the broker takes back what the old channel held
        return super().get_consumers(consumer_cls, channel)

    def _received(self, provider, message):
        self._acknowledgements_of(message).delivered(message.delivery_tag)
        super()._received(provider, message)

    def ack_message(self, message):
        # as nameko's: a message of a connection that is gone was taken back by the broker
        if message.channel.connection:
            try:
                self._acknowledgements_of(message).handled(message.delivery_tag)
            except amqp.exceptions.ConnectionError:  # pragma: no cover - the connection closed meanwhile
                pass

    def requeue_message(self, message):
        self._acknowledgements_of(message).requeued(message.delivery_tag)
        super().requeue_message(message)

    def _acknowledgements_of(self, message) -> Acknowledgements:
        channel = message.channel
        if channel not in self._acknowledgements:
            # fewer waiting than the prefetch, so that those behind a slow message never fill it
            self._acknowledgements[channel] = Acknowledgements(
                channel, batch=max(1, min(ACK_BATCH, self.prefetch_count // 2)))
        return self._acknowledgements[channel]

    def _flush(self, due_only: bool) -> None:
        for acknowledgements in list(self._acknowledgements.values()):
            if (acknowledgements.due() or not due_only) and acknowledgements.channel.connection:
                try:
                    acknowledgements.flush()
                except Exception as exc:  # noqa: BLE001 - a broken channel: the broker takes its messages back
                    log.warning("acknowledgements not sent", error=redelivery.describe(exc))

    def on_iteration(self):
        self._flush(due_only=True)
        super().on_iteration()

    def on_consume_end(self, connection, channel):
        self._flush(due_only=False)  # stopping: what was handled is not delivered again
        super().on_consume_end(connection, channel)


class EnvelopeHandler(EventHandler):
    """An event handler that receives a parsed, validated `Event`, and never lets one message hold up the
    others, or stop the service.

    Before anything reads a message, its headers and properties are checked (`common.inbound`: our own
    headers of their type, nameko's context of the shape nameko gives it, JSON, not compressed, not too
    large), and its envelope and data against the schema of its type and version (`common.events.receive`);
    only then does nameko build the worker's context from it, and the handler see it.

    A handling that fails is retried after a pause that doubles each time (EVENT_RETRY_BACKOFF_SECONDS),
    through a retry queue that gives the message back when its pause is over, so the worker is free
    meanwhile; after EVENT_ATTEMPTS failed handlings it is parked. A message that can never succeed (not
    JSON, a header no consumer takes, no known envelope or data its schema refuses, or refused for a domain
    reason: a DomainError) is parked at once. Parked means: kept on the handler's own parked queue with
    its reason, counted in trustone_events_parked_total and logged, for an operator to replay or discard
    (`trustone parked`). Handlers are idempotent, so a retry changes nothing that was already done. When the
    broker takes neither (it is down), the message is requeued after a pause, as before: nothing is lost.
    """

    queue_consumer = ParkingQueueConsumer()

    def setup(self):
        super().setup()
        configured = settings.of(self.container)
        self.policy = redelivery.RetryPolicy(configured.event_attempts, configured.event_retry_backoff_seconds)
        self.embedded = configured.embedded_broker  # kombu's memory transport has no expiry nor dead-lettering
        self.queue_type = configured.queue_type
        self.parking = Parking(self.container, parked_queue(parked_queue_name(
            self.source_service, self.event_type, self.container.service_name, self.method_name), self.queue_type))
        if self.handler_type == SERVICE_POOL:  # a replay for this service reaches its shared queue too
            shared = self.queue
            # shared by the service's instances and outliving them: quorum when QUEUE_TYPE says so (a broadcast
            # handler's lives as long as its instance: classic, as RabbitMQ requires)
            self.queue = Queue(shared.name, durable=shared.durable, auto_delete=shared.auto_delete,
                               exclusive=shared.exclusive,
                               queue_arguments=lasting(self.queue_type, **(shared.queue_arguments or {})), bindings=[
                                   binding(shared.exchange, routing_key=shared.routing_key),
                                   binding(replay_exchange(self.container.service_name),
                                           routing_key=f"{self.source_service}.{self.event_type}")])

    @property
    def parked_queue(self) -> Queue:
        return self.parking.queue

    def take(self, message):
        """Checks a message as it came, then hands its event to a worker; parks what cannot be taken."""
        try:
            taken = inbound.taken(message.headers, len(message.body or b""), message.content_type,
                                  message.content_encoding)
            refused = getattr(message, "trustone_refused", None)
            if refused:
                raise refused
            event = receive(decoded(message))
        except (inbound.Refused, InvalidEvent) as exc:
            self._after_failure(message, exc, getattr(exc, "reason", None))
            return
        if taken.replayed or taken.submission_occurred_at:
            event = replace(event, replayed=taken.replayed, submission_occurred_at=taken.submission_occurred_at)
        try:
            self.handle_message(event, message)
        except Exception as exc:  # noqa: BLE001 - no worker for it (the pool stopping): it comes again
            log.warning("event not handed to a worker; requeued", entrypoint=self.method_name,
                        error=redelivery.describe(exc))
            self.queue_consumer.requeue_message(message)

    def unpack_message_headers(self, message):
        """The worker's context: only what `common.inbound` checked (nameko's would take every header)."""
        return inbound.context_of(message.headers)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self._acknowledge(message)
        else:
            self._after_failure(message, exc_info[1])

    def _acknowledge(self, message):
        try:
            self.queue_consumer.ack_message(message)
        except Exception as exc:  # noqa: BLE001 - a channel gone: the broker delivers it again, a duplicate
            log.warning("message not acknowledged", entrypoint=self.method_name, error=redelivery.describe(exc))

    def _after_failure(self, message, error, reason=None):
        attempt = inbound.attempt_of(message.headers) + 1
        decision = redelivery.Decision(park=reason) if reason else self.policy.after_failure(attempt, error)
        context = dict(service=self.container.service_name, entrypoint=self.method_name, attempt=attempt,
                       error=redelivery.describe(error))
        try:
            if decision.park:
                self.parking.park(message, self.queue.name, self.method_name, decision.park, error, attempt)
            else:
                log.warning("event handling failed; retried later", retry_after=decision.retry_after, **context)
                self._retry(message, attempt, decision.retry_after)
                self.parking.count(self.method_name)
        except Exception:  # noqa: BLE001 - the broker took neither: requeue, as before, so nothing is lost
            log.exception("event neither retried nor parked; requeued", **context)
            eventlet.sleep(BROKER_TROUBLE_PAUSE)
            self.queue_consumer.requeue_message(message)
            return
        self._acknowledge(message)

    def _retry(self, message, attempt: int, pause: float):
        if self.embedded:  # in this process: wait here, then put it straight back
            eventlet.sleep(pause)
            self.parking.republish(message, self.queue.name, {ATTEMPT: attempt}, declare=[])
            return
        if self.handler_type == SERVICE_POOL:
            queue = retry_queue(self.queue.name, self.queue_type)
        else:  # a broadcast handler's lives with its instance: not durable, so that no lost node holds its name
            queue = retry_queue(self.queue.name, durable=False)
        self.parking.republish(message, queue.name, {ATTEMPT: attempt}, declare=[queue], expiration=pause)


event_handler = EnvelopeHandler.decorator
