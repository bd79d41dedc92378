"""Shared fixtures. eventlet must patch sockets before anything else imports them, except in the process
that drives a browser (tests/browser): Playwright's own event loop never wakes under eventlet's patches,
and those tests reach the platform only over HTTP. scripts/test runs them in a process of their own."""
import os

import eventlet

PLAIN_PROCESS = os.environ.get("TRUSTONE_PLAIN_PROCESS") == "1"
if not PLAIN_PROCESS:
    eventlet.monkey_patch()  # noqa: E402  (must come first; `nameko test` would do the same)

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="(?s).*(Eventlet is deprecated|pkg_resources is deprecated)")

import uuid  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import pytest  # noqa: E402

from common import logging as trustone_logging  # noqa: E402
from common.settings import load_config  # noqa: E402
from tests.support import (METRICS_TOKEN, PORTAL_SERVICE_KEY, SECRETARIAT_TOKEN, Processes,  # noqa: E402
                           example_report, free_port)


def pytest_collection_modifyitems(config, items):
    """Browser tests run only in a plain process, and only they do."""
    browser = [item for item in items if "tests/browser/" in str(item.fspath)]
    if PLAIN_PROCESS and len(browser) != len(items):
        raise pytest.UsageError("TRUSTONE_PLAIN_PROCESS=1 is for tests/browser only")
    if browser and not PLAIN_PROCESS:
        raise pytest.UsageError("tests/browser runs in a process of its own: scripts/test tests/browser")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that ran processes shows what they logged last: a CI run leaves nothing else behind."""
    outcome = yield
    report = outcome.get_result()
    running = item.funcargs.get("processes") if report.failed else None
    if running is not None:
        for name, lines in running.last_lines().items():
            report.sections.append((f"last lines logged by {name}", lines))


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
        METRICS_TOKEN=METRICS_TOKEN,
        HTTP_HOST="127.0.0.1",
        HTTP_PORTS={name: free_port() for name in config["HTTP_PORTS"]},
        WEBHOOK_TRUSTED_HOSTS="127.0.0.1",  # the tests' webhook receivers listen on this machine
        PORTAL_SERVICE_KEY=PORTAL_SERVICE_KEY,  # the portal vouches for its visitors' addresses
    )
    return config


@pytest.fixture
def url(service_config):
    """url("submission", "/v1/reports") -> the service's address in this test."""
    def build(service: str, path: str) -> str:
        return f"http://127.0.0.1:{service_config['HTTP_PORTS'][service]}{path}"
    return build


@pytest.fixture(scope="module")
def vhost(request):
    """A RabbitMQ vhost of our own (through the management API), deleted afterwards."""
    from nameko.testing.rabbit import Client
    api = Client(request.config.getoption("RABBIT_API_URI"))
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    name = f"trustone_e2e_{uuid.uuid4().hex[:10]}"
    api.create_vhost(name)
    api.set_vhost_permissions(name, amqp.username, ".*", ".*", ".*")
    yield f"{amqp.scheme}://{amqp.netloc}/{name}"
    api.delete_vhost(name)


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    running = Processes(tmp_path_factory.mktemp("logs"))
    yield running
    running.stop_all()
