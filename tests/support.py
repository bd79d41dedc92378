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


class SmtpServer:
    """A real SMTP server (aiosmtpd, in its own process) that files every mail it gets in a Maildir."""

    def __init__(self, directory):
        import socket
        import subprocess
        import sys
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.maildir = directory / "maildir"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox",
             "-l", f"127.0.0.1:{self.port}", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the SMTP server did not start")

    def messages(self):
        import mailbox
        if not self.maildir.exists():
            return []
        return list(mailbox.Maildir(str(self.maildir), create=False))

    def wait_for(self, count: int, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while len(self.messages()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages()

    def stop(self):
        self.process.terminate()
        self.process.wait(5)


class WebhookReceiver:
    """A real HTTP server in this process that checks each webhook's signature; it can fail its first
    `fail_first` calls with a 500 to make the platform retry."""

    def __init__(self, secret: str, fail_first: int = 0):
        import eventlet
        import eventlet.wsgi
        self.secret = secret
        self.failures_left = fail_first
        self.calls: list[dict] = []
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/hooks/trustone"
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        import hashlib
        import hmac
        import json
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(environ.get("HTTP_X_TRUSTONE_SIGNATURE", ""), expected)
        failing = self.failures_left > 0
        self.failures_left -= failing
        self.calls.append({"notice": json.loads(body), "signed": signed, "answered": 500 if failing else 204,
                           "key": environ.get("HTTP_X_TRUSTONE_NOTICE")})
        start_response("500 Internal Server Error" if failing else "204 No Content", [])
        return [b""]

    def delivered(self) -> list[dict]:
        return [call for call in self.calls if call["answered"] == 204]

    def close(self):
        self.thread.kill()
        self.socket.close()
