"""The broker check behind /health (common.operations.Broker), on the real RabbitMQ through a link that can
be cut: down while it is cut, up again once it is back, on one connection while it holds, and a kept
connection that went quietly is not taken for the broker down."""
from urllib.parse import urlparse

from common.operations import Broker
from tests.support import TcpLink


def test_the_broker_check_follows_the_broker_down_and_back(rabbit_config):
    address = urlparse(rabbit_config["AMQP_URI"])
    link = TcpLink((address.hostname, address.port))
    broker = Broker(link.uri(rabbit_config["AMQP_URI"]))
    try:
        assert broker.ping() and broker.ping()
        assert len(link.sockets) == 2, "one connection (two ends) for both checks"
        link.cut()
        link.restore()
        assert broker.ping(), "a kept connection dropped on the way is opened again, not reported as down"
        link.cut()
        assert not broker.ping()
        link.restore()
        assert broker.ping()
    finally:
        broker.close()
        link.cut()
