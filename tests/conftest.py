"""Shared fixtures. eventlet must patch sockets before anything else imports them."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (must come first; `nameko test` would do the same)

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="(?s).*(Eventlet is deprecated|pkg_resources is deprecated)")

import json  # noqa: E402
import socket  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from common import config as configuration  # noqa: E402
from common import logging as trustone_logging  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SECRETARIAT_TOKEN = "test-secretariat-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def report():
    """A complete, valid year-1 report (examples/report.json), a fresh copy per test."""
    return json.loads((EXAMPLES / "report.json").read_text())


@pytest.fixture
def service_config(rabbit_config):
    """The services' configuration on a fresh RabbitMQ vhost, a fresh in-process database, free ports."""
    trustone_logging.configure()
    config = configuration.load()
    config.pop("LOGGING")
    config.update(
        AMQP_URI=rabbit_config["AMQP_URI"],
        MONGO_URI=f"mongomock://localhost/test_{uuid.uuid4().hex[:12]}",
        SECRETARIAT_TOKEN=SECRETARIAT_TOKEN,
        HTTP_HOST="127.0.0.1",
        HTTP_PORTS={name: free_port() for name in config["HTTP_PORTS"]},
    )
    return config


@pytest.fixture
def url(service_config):
    """url("submission", "/v1/reports") -> the service's address in this test."""
    def build(service: str, path: str) -> str:
        return f"http://127.0.0.1:{service_config['HTTP_PORTS'][service]}{path}"
    return build
