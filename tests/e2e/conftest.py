"""Every service as its own OS process (`nameko run`), on a fresh vhost of the real RabbitMQ."""
import pytest

from tests.support import Platform


@pytest.fixture(scope="module")
def platform(vhost, processes):
    """All the services, each in its own process, on the real RabbitMQ."""
    return Platform(vhost, processes).start_all()
