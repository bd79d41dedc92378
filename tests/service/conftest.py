"""One service in a nameko container on the real RabbitMQ (a fresh vhost per test)."""
import pytest
from nameko.standalone.events import event_dispatcher

from common.events import new_event
from tests.support import EventCapture, Members


@pytest.fixture
def members():
    return Members()


@pytest.fixture
def capture(service_config):
    """capture(source_service, event_type) -> an EventCapture of what that service publishes."""
    captures = []

    def bind(source, event_type):
        captures.append(EventCapture(service_config["AMQP_URI"], source, event_type))
        return captures[-1]
    yield bind
    for each in captures:
        each.close()


@pytest.fixture
def publish(service_config):
    """publish(source_service, event_type, data) -> the envelope sent, as on the wire."""
    dispatch = event_dispatcher(service_config)

    def send(source, event_type, data=None, *, wire=None):
        wire = wire or new_event(event_type, data, producer=source, correlation_id="test").to_wire()
        dispatch(source, event_type, wire)
        return wire
    return send
