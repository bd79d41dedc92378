"""What every service runs besides its own work: /health, /metrics and /openapi.json for operators and
clients, and the outbox relay for services that publish events."""
from __future__ import annotations

import hmac
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from werkzeug.wrappers import Response

from common import errors, openapi, outbox
from common.metrics import counter, gauge
from common.openapi import Doc
from common.settings import SettingsProvider
from common.web import JsonHttpHandler, http

RELAY_INTERVAL_SECONDS = 5


class ApiDocument(DependencyProvider):
    """The service's OpenAPI document, built once from its HTTP entrypoints."""

    def start(self):
        endpoints = [(each.method, each.url, each.doc) for each in self.container.entrypoints
                     if isinstance(each, JsonHttpHandler) and each.doc is not None]
        self.document = openapi.document(self.container.service_name, endpoints)

    def get_dependency(self, worker_ctx):
        return self.document


class Operations:
    """Mixed into every service class; expects `storage` (a Storage) and `metrics` (a Metrics)."""

    api_document = ApiDocument()
    settings = SettingsProvider()

    @http("GET", "/health", doc=Doc("Liveness and dependencies", responses={200: "Healthy", 503: "A dependency is down"}))
    def health(self, request):
        checks = {"mongodb": "ok" if self.storage.ping() else "down"}
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
