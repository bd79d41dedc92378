"""Real peers: registering through the public API, the commission's chair and seats, the portal in
containers, an event capture on the broker, the API's contract, an SMTP server and a webhook receiver."""
from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from common.vocabulary import SERVICES
from tests.support.basics import COMPANY, SECRETARIAT_TOKEN, TRUSTONE, auth, free_port, wait_for_listener, wait_until
from tests.support.fakes import SettableClock


# --- registering through the public API -----------------------------------------------------------------

_SERIAL = itertools.count(1)
_NAMED: set[tuple[str, str]] = set()  # (submission's address, name) of each company registered here


def register_company(submission_url: str, **overrides) -> dict:
    """Registers a company as the secretariat (`submission_url` is the service's base address); the
    answer, with the company's token. Each company its own name, as the platform requires: a name asked
    for again on the same platform (a helper called twice) gets a number after it."""
    name = overrides.pop("name", None) or f"Steenhandel {next(_SERIAL)} B.V."
    if (submission_url, name) in _NAMED:
        name = f"{name} {next(_SERIAL)}"
    _NAMED.add((submission_url, name))
    created = requests.post(f"{submission_url}/v1/companies", json={**COMPANY, "name": name, **overrides},
                            headers=auth(SECRETARIAT_TOKEN), timeout=30)
    assert created.status_code == 201, created.text
    return created.json()


def take_step(platform, member: dict, number: str, to: str, **extra) -> dict:
    """A step of a case's procedure taken by a commission member (`member`: its headers), once the complaints
    service knows the member (its registration reaches it as an event); the case as it then stands."""
    def taken():
        answer = requests.post(platform.url("complaints", f"/v1/cases/{number}/moves"), headers=member,
                               json={"to": to, "reason": f"The commission moves the case to {to}.", **extra})
        return answer if answer.status_code != 503 else None
    answer = wait_until(taken, f"the step to {to}")
    assert answer.status_code == 201, answer.text
    return answer.json()


# --- the commission: its first chair, appointed at deployment, and the seats the chair confirms --------------

CHAIR = {"name": "Anna Voorzitter", "email": "chair@example.org", "language": "nl"}


def appoint_chair(env: dict, **appointment: str) -> dict:
    """The commission's first chair, appointed as an operator does it at deployment: `trustone appoint-chair`
    over the broker in `env` (AMQP_URI); its member id and sign-in code, as the command prints them."""
    chosen = {**CHAIR, **appointment}
    done = subprocess.run([TRUSTONE, "appoint-chair", "--name", chosen["name"], "--email", chosen["email"],
                           "--language", chosen["language"]], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {"id": re.search(r"member id (\w+)", done.stdout).group(1), "name": chosen["name"], "seat": "chair",
            "token": re.search(r"shown this once: (\S+)", done.stdout).group(1)}


def appoint_chair_in_process(amqp_uri: str, **appointment: str) -> dict:
    """The same appointment, by the same call over the broker, from this (eventlet) process: for services in
    containers of this process."""
    from nameko.standalone.rpc import ClusterRpcProxy
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        return cluster.submission.appoint_chair({**CHAIR, **appointment})


def seat_commission_member(submission_url: str, chair_token: str, seat: str = "employers", **overrides) -> dict:
    """A member of the commission as the covenant seats one: the secretariat registers the seat (no code),
    the chair confirms it (the member's code, shown to the chair once). The confirmed member, with its token."""
    registration = {"name": f"Member {seat} {uuid.uuid4().hex[:6]}", "seat": seat, "email": f"{seat}@example.org", "language": "nl",
                    **overrides}
    registered = requests.post(f"{submission_url}/v1/commission-members", json=registration,
                               headers=auth(SECRETARIAT_TOKEN), timeout=30)
    assert registered.status_code == 201, registered.text
    confirmed = requests.post(f"{submission_url}/v1/commission-members/{registered.json()['id']}/confirmation",
                              headers=auth(chair_token), timeout=30)
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


# --- the portal, in containers ---------------------------------------------------------------------------

def start_portal(container_factory, config, url, real_time=None) -> str:
    """Every service in a nameko container, the portal too, its clock in year 1's reporting round (and its
    real time, of sessions and sign-ins, `real_time` when given); the portal's address."""
    from nameko.testing.services import replace_dependencies
    for name in SERVICES:
        module = __import__(f"services.{name}.service", fromlist=["SERVICE"])
        container = container_factory(module.SERVICE, config)
        if name == "portal":
            replace_dependencies(container, clock=SettableClock("2020-12-15T10:00:00"),
                                 **({"real_time": real_time} if real_time else {}))
        container.start()
    return url("portal", "")


def form_token(page: str) -> str:
    """The form token (CSRF) a portal page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(browser: requests.Session, portal: str, token: str) -> requests.Response:
    """Signs `browser` in to the portal with a sign-in code, as a person does on its sign-in page."""
    page = browser.get(f"{portal}/sign-in")
    return browser.post(f"{portal}/sign-in", data={"csrf_token": form_token(page.text), "token": token},
                        allow_redirects=False)


# --- real peers -----------------------------------------------------------------------------------------

class EventCapture:
    """A queue of our own bound to a service's event exchange: sees what the service publishes."""

    def __init__(self, amqp_uri: str, source_service: str, event_type: str):
        from kombu import Connection, Queue
        from nameko.standalone.events import get_event_exchange
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

    def nothing_waiting(self) -> bool:
        """True when no event waits on the queue now (for what was published before this call returned)."""
        return self.queue(self.channel).get(no_ack=True) is None

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


def publish_raw(amqp_uri: str, exchange: str, routing_key: str, body: bytes, headers: dict | None = None,
                **properties) -> None:
    """Publishes one message exactly as given (body bytes, headers, AMQP properties such as content_type,
    reply_to, correlation_id), as a publisher with access to the broker may: the exchange must exist."""
    from kombu import Connection
    properties.setdefault("content_type", "application/json")
    properties.setdefault("content_encoding", "utf-8")
    with Connection(amqp_uri) as connection:
        connection.Producer().publish(body, exchange=exchange, routing_key=routing_key, headers=headers or {},
                                      retry=False, **properties)


class SmtpServer:
    """A real SMTP server (aiosmtpd, in its own process) that files every mail it gets in a Maildir."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.maildir = directory / "maildir"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox",
             "-l", f"127.0.0.1:{self.port}", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        wait_for_listener(self.port, "the SMTP server to start", timeout=10, interval=0.05)

    def messages(self):
        import mailbox
        if not self.maildir.exists():
            return []
        return list(mailbox.Maildir(str(self.maildir), create=False))

    def wait_for(self, count: int, timeout: float = 10.0):
        def enough_mail():
            return len(self.messages()) >= count
        wait_until(enough_mail, f"{count} e-mail(s)", timeout=timeout)
        return self.messages()

    def stop(self):
        self.process.terminate()
        self.process.wait(5)


class WebhookReceiver:
    """A real HTTP server in this process that checks each webhook's signature; it can fail its first
    `fail_first` calls with a 500 to make the platform retry, or answer each with a redirect to
    `redirect_to`."""

    def __init__(self, secret: str, fail_first: int = 0, redirect_to: str | None = None):
        import eventlet
        import eventlet.wsgi
        self.secret = secret
        self.failures_left = fail_first
        self.redirect_to = redirect_to
        self.calls: list[dict] = []
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/hooks/trustone"
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        import hashlib
        import hmac
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(environ.get("HTTP_X_TRUSTONE_SIGNATURE", ""), expected)
        failing = self.failures_left > 0
        self.failures_left -= failing
        self.calls.append({"notice": json.loads(body) if body else None, "signed": signed,
                           "answered": 500 if failing else 302 if self.redirect_to else 204,
                           "key": environ.get("HTTP_X_TRUSTONE_NOTICE"), "method": environ["REQUEST_METHOD"]})
        if self.redirect_to:
            start_response("302 Found", [("Location", self.redirect_to)])
        else:
            start_response("500 Internal Server Error" if failing else "204 No Content", [])
        return [b""]

    def delivered(self) -> list[dict]:
        return [call for call in self.calls if call["answered"] == 204]

    def close(self):
        self.thread.kill()
        self.socket.close()
