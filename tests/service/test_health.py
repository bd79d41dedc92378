"""The checks behind /health: the broker's (common.operations.Broker), on the real RabbitMQ through a link
that can be cut: down while it is cut, up again once it is back, on one connection while it holds, and a
kept connection that went quietly is not taken for the broker down; and the database's, a service's
/health and requests answering 503 while its document store cannot be reached."""
from urllib.parse import urlparse

import requests

from common.operations import Broker, ConsumersCheck
from services.scoring.service import ScoringService
from services.submission.service import SubmissionService
from tests.support import SharedEngine, TcpLink


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


def test_health_answers_503_while_the_database_is_unreachable_and_200_once_it_is_back(
        container_factory, service_config, processes, url):
    engine = SharedEngine(processes)  # a document store in a process of its own, reached over TCP
    link = TcpLink(("127.0.0.1", engine.port))
    container = container_factory(SubmissionService, {
        **service_config, "MONGO_URI": f"mongomock+tcp://127.0.0.1:{link.port}/health_check"})
    container.start()

    def health():
        answer = requests.get(url("submission", "/health"), timeout=10)
        return answer.status_code, answer.json()["checks"]
    assert health() == (200, {"mongodb": "ok", "rabbitmq": "ok", "consumers": "ok"})
    link.cut()
    assert health() == (503, {"mongodb": "down", "rabbitmq": "ok", "consumers": "ok"})
    members = requests.get(url("submission", "/v1/members"), timeout=10)
    assert members.status_code == 503 and "error" in members.json(), "a request that needs it: 503, in JSON"
    link.restore()
    assert health() == (200, {"mongodb": "ok", "rabbitmq": "ok", "consumers": "ok"})


def test_the_consumers_check_is_ready_only_once_the_service_consumes_from_its_queues(container_factory,
                                                                                     service_config):
    """nameko starts the HTTP server and the consumers side by side: /health says "starting" (503) until the
    queues are bound and consumed, so that no one takes a service for ready that cannot yet take events."""
    container = container_factory(ScoringService, service_config)
    check = next(each for each in container.dependencies if isinstance(each, ConsumersCheck))
    assert not check.ready()
    container.start()
    assert check.ready()
