"""What every service runs besides its own work: /health, /metrics and /openapi.json for operators and
clients, and the outbox relay for services that publish events."""
from __future__ import annotations

import hmac
from datetime import datetime, timezone

import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.timer import timer
from werkzeug.wrappers import Response

from common import errors, openapi, outbox
from common.auth import SECRETARIAT
from common.messaging import Replays
from common.schema import ReplayDone, ReplayRequest
from common.metrics import counter, gauge
from common.openapi import Doc
from common.settings import SettingsProvider
from common.web import JsonHttpHandler, http, read_json

RELAY_INTERVAL_SECONDS = 5
BROKER_CHECK_SECONDS = 2  # the most a health check waits on the broker
STOP_WAKE_SECONDS = 0.25  # the most a SIGTERM waits before the service starts stopping


class ApiDocument(DependencyProvider):
    """The service's OpenAPI document, built once from its HTTP entrypoints."""

    def start(self):
        endpoints = [(each.method, each.url, each.doc) for each in self.container.entrypoints
                     if isinstance(each, JsonHttpHandler) and each.doc is not None]
        self.document = openapi.document(self.container.service_name, endpoints)

    def get_dependency(self, worker_ctx):
        return self.document


class Broker:
    """Whether the broker answers: one connection kept open between checks (opened again when it fails),
    each check a round trip on it (a passive declaration of a built-in exchange), each try bounded in
    time."""

    def __init__(self, amqp_uri: str, seconds: float = BROKER_CHECK_SECONDS):
        self.amqp_uri = amqp_uri
        self.seconds = seconds
        self._connection = None
        self._lock = Semaphore()

    def ping(self) -> bool:
        if self.amqp_uri.startswith("memory://"):  # the embedded broker lives in this very process
            return True
        with self._lock:
            kept = self._connection is not None
            # a kept connection may have gone quietly (an idle connection dropped on the way): one more try
            # on a new one before saying the broker is down
            return self._round_trip() or (kept and self._round_trip())

    def _round_trip(self) -> bool:
        try:
            with eventlet.Timeout(self.seconds):
                if self._connection is None:
                    self._connection = Connection(self.amqp_uri, connect_timeout=self.seconds,
                                                  transport_options={"read_timeout": self.seconds,
                                                                     "write_timeout": self.seconds})
                self._connection.default_channel.exchange_declare("amq.direct", "direct", passive=True)
            return True
        except (Exception, eventlet.Timeout):
            self.close(gone=True)
            return False

    def close(self, gone: bool = False) -> None:
        """Closes the kept connection; one that failed (`gone`) is let go without a word to the broker,
        which may not answer: closing it politely could hold the health check past its bound."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.collect() if gone else connection.release()
            except Exception:  # a connection that failed may fail again on closing: nothing to keep
                pass


class BrokerCheck(DependencyProvider):
    """The service's `Broker`, one per container."""

    def setup(self):
        self.broker = Broker(self.container.config[AMQP_URI_CONFIG_KEY])

    def stop(self):
        self.broker.close()

    def get_dependency(self, worker_ctx):
        return self.broker


class ConsumersCheck(DependencyProvider):
    """Whether the service consumes from every queue it takes events and calls from. nameko starts the HTTP
    server and the consumers side by side, so /health can answer before the queues are bound; until they
    are, what is published to them finds no queue (or no consumer) yet."""

    def get_dependency(self, worker_ctx):
        return self.ready

    def ready(self) -> bool:
        # nameko 2 tells when its shared consumer is ready only by this event (sent once every queue it
        # consumes from is declared, bound and consumed; an exception when it failed or stopped starting)
        return all(each._consumers_ready.ready() and not each._consumers_ready.has_exception()
                   for each in self.container.extensions if isinstance(each, QueueConsumer))


class PromptStop(DependencyProvider):
    """`nameko run` answers SIGTERM by handing the stop to eventlet's hub, which runs it when it next wakes:
    in a service with no timer and no broker traffic (the portal) that was not before `docker stop` gave
    up after 10 seconds and killed it mid-request. This wakes the hub a few times a second."""

    def start(self):
        self._waking = self.container.spawn_managed_thread(self._wake, identifier="prompt_stop")

    def stop(self):
        self._waking.kill()  # ended here, before nameko would kill it with a warning as a thread left running

    @staticmethod
    def _wake():
        while True:
            eventlet.sleep(STOP_WAKE_SECONDS)


class Operations:
    """Mixed into every service class; expects `storage` (a Storage) and `metrics` (a Metrics)."""

    api_document = ApiDocument()
    prompt_stop = PromptStop()
    settings = SettingsProvider()
    broker = BrokerCheck()
    consuming = ConsumersCheck()

    @http("GET", "/health", doc=Doc("Liveness and dependencies: the database, the broker, and the service's "
                                    "consumers", responses={200: "Healthy", 503: "A dependency is down, or the "
                                                            "service's consumers are starting"}))
    def health(self, request):
        checks = {"mongodb": "ok" if self.storage.ping() else "down",
                  "rabbitmq": "ok" if self.broker.ping() else "down",
                  "consumers": "ok" if self.consuming() else "starting"}
        healthy = all(state == "ok" for state in checks.values())
        return (200 if healthy else 503), {"service": self.name, "status": "ok" if healthy else "degraded",
                                           "checks": checks}

    @http("GET", "/metrics", doc=Doc("Prometheus metrics, for operators (Authorization: Bearer METRICS_TOKEN)",
                                     responses={200: "Prometheus text format"}, content_type="text/plain",
                                     roles=("operator",)))
    def metrics_exposition(self, request):
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not given or not hmac.compare_digest(given.encode(), self.settings.metrics_token.encode()):
            raise errors.Unauthenticated("The metrics are for operators: send their token (METRICS_TOKEN).")
        body, content_type = self.metrics.exposition()
        return Response(body, content_type=content_type)

    @http("GET", "/openapi.json", doc=Doc("This OpenAPI document", responses={200: "OpenAPI 3"}))
    def openapi_document(self, request):
        return self.api_document


def relay_metrics(registry) -> dict:
    """The relay's metrics, for a service's Metrics provider."""
    return {"events_relayed": counter(registry, "trustone_outbox_events_relayed",
                                      "Events published late by the outbox relay."),
            "outbox_age": gauge(registry, "trustone_outbox_oldest_unpublished_age_seconds",
                                "Seconds the oldest event stored but not yet published has waited (0: none); "
                                "measured at each relay round.")}


class OutboxRelay:
    """Mixed into a service whose storage keeps events with its changes (`storage.outboxes`), with
    `declare_metrics` among its metrics: publishes, every few seconds, what was left unpublished."""

    @timer(interval=RELAY_INTERVAL_SECONDS)
    def publish_pending_events(self) -> int:
        """Returns how many events went out."""
        try:
            sent = outbox.relay(self.storage.outboxes, self.events, self.settings.outbox_grace_seconds)
        finally:  # also when the broker fails the round: then the backlog is what an operator must see
            self.metrics.outbox_age.set(outbox.oldest_unpublished_age(self.storage.outboxes,
                                                                      datetime.now(timezone.utc)))
        if sent:
            self.metrics.events_relayed.inc(sent)
            self.log.warning("outbox relay published late events", count=sent)
        return sent


class EventReplay:
    """Mixed into a service whose storage can list the stored events others rebuild from
    (`storage.replayable()`), with `identity`: sends them again to one consumer (`trustone replay`)."""

    replays = Replays()

    @http("POST", "/replays", doc=Doc(
        "Send this service's stored events again to one consumer service, to rebuild it from them",
        roles=(SECRETARIAT,), body=ReplayRequest, responses={200: ReplayDone},
        description="Only the named consumer's queues get them; consumers are idempotent, so what they "
                    "already hold does not change, and notices restored by a replay are not sent again."))
    def replay_events(self, request):
        self.identity.caller(request, SECRETARIAT)
        consumer = read_json(request, ReplayRequest())["consumer"]
        return {"consumer": consumer, "events": outbox.replay(self.storage.replayable(), consumer, self.replays)}
