"""Every service as its own OS process (`nameko run`), on a fresh vhost of the real RabbitMQ."""
import pytest

from tests.support import Platform, SmtpServer


@pytest.fixture(scope="module")
def platform(vhost, processes):
    """All the services, each in its own process, on the real RabbitMQ; figures shown from one company, to see
    what a few reports count (disclosure is tested at its own thresholds: test_editions, test_sector)."""
    return Platform(vhost, processes, MIN_COMPANIES_PER_CELL="1").start_all()


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    """A real SMTP server (aiosmtpd) for the module's platform to mail notices to."""
    server = SmtpServer(tmp_path_factory.mktemp("smtp"))
    yield server
    server.stop()
