"""Every service as its own OS process (`nameko run`), on a fresh vhost of the real RabbitMQ."""
from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest

from tests.support import Platform, Processes


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


@pytest.fixture(scope="module")
def platform(vhost, processes):
    """All four services, each in its own process, on the real RabbitMQ."""
    return Platform(vhost, processes).start_all()
