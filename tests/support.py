"""Test helpers that talk to the real broker: capture the events a service publishes."""
from __future__ import annotations

import time
import uuid

from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange


class EventCapture:
    """A queue of our own bound to a service's event exchange: sees what the service publishes."""

    def __init__(self, amqp_uri: str, source_service: str, event_type: str):
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        exchange = get_event_exchange(source_service, {})
        self.queue = Queue(f"test-capture-{source_service}-{event_type}-{uuid.uuid4().hex[:8]}", exchange,
                           routing_key=event_type, auto_delete=True, durable=False)
        self.queue(self.channel).declare()
        self.received: list[dict] = []

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """The first `count` events (at least), waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        bound = self.queue(self.channel)
        while len(self.received) < count and time.monotonic() < deadline:
            message = bound.get(no_ack=True)
            if message is None:
                time.sleep(0.05)
            else:
                self.received.append(message.payload)
        assert len(self.received) >= count, f"{len(self.received)} of {count} events arrived"
        return self.received

    def close(self):
        self.connection.release()


class ApiContract:
    """A service's OpenAPI document, used to check that real responses are the documented ones."""

    def __init__(self, document: dict):
        from openapi_spec_validator import validate
        validate(document)  # raises when the document is not valid OpenAPI 3
        self.document = document

    def check(self, method: str, path: str, response) -> None:
        """`response` (a requests.Response) to `method path` (the documented path template) is documented:
        its status is listed, and its JSON body matches the documented schema."""
        from openapi_schema_validator import OAS30Validator
        operation = self.document["paths"][path][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path} answered {status}, not documented"
        content = operation["responses"][status].get("content", {}).get("application/json")
        if content and "schema" in content:
            schema = {**content["schema"], "components": self.document.get("components", {})}
            OAS30Validator(schema).validate(response.json())
