"""Shared fixtures. eventlet must patch sockets before anything else imports them."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (must come first; `nameko test` would do the same)

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="(?s).*(Eventlet is deprecated|pkg_resources is deprecated)")

import uuid  # noqa: E402

import pytest  # noqa: E402

from common import logging as trustone_logging  # noqa: E402
from common.settings import load_config  # noqa: E402
from tests.support import SECRETARIAT_TOKEN, example_report, free_port  # noqa: E402


@pytest.fixture
def report():
    """A complete, valid year-1 report (examples/report.json), a fresh copy per test."""
    return example_report()


@pytest.fixture
def service_config(rabbit_config):
    """The services' configuration on a fresh RabbitMQ vhost, a fresh in-process database, free ports."""
    trustone_logging.configure()
    config = load_config()
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
