"""Events go out on the service's own connections with publisher confirms (common.messaging.Producers), on
the real RabbitMQ: confirmed, persistent, with nameko's context headers; refused at once, never retried
for seconds, when they cannot go, so that the outbox's relay sends them later."""
import time
from urllib.parse import urlparse

import eventlet
import pytest
from kombu import Connection, Exchange, Queue

from common import messaging
from common.messaging import Producers
from common.outbox import Undeliverable
from tests.support import free_port, wait_until


@pytest.fixture
def exchange(service_config):
    exchange = Exchange("probe.events", type="topic", durable=True)
    with Connection(service_config["AMQP_URI"]) as connection:
        exchange(connection.channel()).declare()
    return exchange


@pytest.fixture
def producers(service_config, exchange):
    producers = Producers(service_config["AMQP_URI"], exchange)
    yield producers
    producers.close()


@pytest.fixture
def received(service_config, exchange):
    """What a queue bound to report_scored received so far, as the messages taken off it."""
    queue = Queue("probe-listener", exchange=exchange, routing_key="report_scored", durable=True)
    with Connection(service_config["AMQP_URI"]) as connection:
        queue(connection.channel()).declare()

    def taken():
        with Connection(service_config["AMQP_URI"]) as connection:
            messages = []
            while (message := queue(connection.channel()).get(no_ack=True)) is not None:
                messages.append(message)
            return messages
    return taken


def ids(messages):
    return [each.payload["id"] for each in messages]


def test_an_event_goes_out_persistent_with_its_headers_and_one_connection_serves_the_next(producers, received):
    producers.publish({"id": "e-1"}, "report_scored", {"nameko.correlation_id": "c-1"})
    producers.publish({"id": "e-2"}, "report_scored", {"nameko.correlation_id": "c-2"})
    taken = received()
    assert ids(taken) == ["e-1", "e-2"]
    assert [each.headers["nameko.correlation_id"] for each in taken] == ["c-1", "c-2"]
    assert {each.properties["delivery_mode"] for each in taken} == {2}
    assert producers.kept == 1  # kept between publishes, not one connection per event


def test_an_event_no_queue_takes_is_refused_and_its_connection_serves_the_next(producers, received):
    with pytest.raises(Undeliverable):
        producers.publish({"id": "e-1"}, "nobody_listens", {})
    assert producers.kept == 1  # its confirmation was taken with the refusal: the connection serves on
    producers.publish({"id": "e-2"}, "report_scored", {})
    producers.publish({"id": "e-3"}, "report_scored", {})
    assert ids(received()) == ["e-2", "e-3"]
    assert producers.kept == 1


def test_after_the_broker_closed_its_connections_the_next_event_goes_out_on_a_new_one(
        service_config, producers, received, rabbit_manager):
    producers.publish({"id": "e-1"}, "report_scored", {})
    vhost = urlparse(service_config["AMQP_URI"]).path.lstrip("/")
    def connections():
        return [each for each in rabbit_manager.get_connections() if each["vhost"] == vhost]

    def all_closed():
        return not connections()

    for each in connections():  # as a broker that restarts closes them
        rabbit_manager.delete_connection(each["name"])
    wait_until(all_closed, "the broker has closed the vhost's connections")
    producers.publish({"id": "e-2"}, "report_scored", {})
    assert ids(received()) == ["e-1", "e-2"]


def test_a_connection_that_went_stale_is_replaced_without_losing_the_event(producers, received):
    producers.publish({"id": "e-1"}, "report_scored", {})
    producers._idle[0][0].connection.sock.close()  # as a broker restart leaves it
    producers.publish({"id": "e-2"}, "report_scored", {})
    assert ids(received()) == ["e-1", "e-2"]


def test_with_the_broker_unreachable_a_publish_fails_at_once_and_the_next_ones_do_not_try_for_a_moment(
        exchange, monkeypatch):
    producers = Producers(f"amqp://guest:guest@127.0.0.1:{free_port()}//", exchange, connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(OSError):
        producers.publish({"id": "e-1"}, "report_scored", {})
    assert time.monotonic() - started < 1, "tried once, not again after kombu's 2 s"
    assert producers.kept == 0
    opened = []
    monkeypatch.setattr(producers, "_open", lambda: opened.append(1) or (_ for _ in ()).throw(OSError("down")))
    with pytest.raises(messaging.BrokerUnreachable):
        producers.publish({"id": "e-2"}, "report_scored", {})
    assert opened == [], "the failure is known for a moment: not tried again"
    monkeypatch.setattr(messaging.time, "monotonic", lambda: started + messaging.BROKER_DOWN_SECONDS + 5)
    with pytest.raises(OSError):
        producers.publish({"id": "e-3"}, "report_scored", {})
    assert opened == [1], "tried again once the moment passed"


def test_while_a_broker_that_does_not_answer_is_tried_again_the_other_publishes_do_not_wait(exchange, monkeypatch):
    silent = eventlet.listen(("127.0.0.1", 0))  # takes connections (the kernel's backlog) and never answers
    monkeypatch.setattr(messaging, "PUBLISH_TIMEOUT_SECONDS", 1.0)
    producers = Producers(f"amqp://guest:guest@127.0.0.1:{silent.getsockname()[1]}//", exchange)
    with pytest.raises(OSError):
        producers.publish({"id": "e-1"}, "report_scored", {})
    producers._down_until = time.monotonic() - 0.1  # the moment the failure is known for has passed
    trying = eventlet.spawn(producers.publish, {"id": "e-2"}, "report_scored", {})
    eventlet.sleep(0.2)  # it is trying the broker again, and waits
    started = time.perf_counter()
    with pytest.raises(messaging.BrokerUnreachable):
        producers.publish({"id": "e-3"}, "report_scored", {})
    assert time.perf_counter() - started < 0.5, "one publish tries; the others do not wait its second with it"
    with pytest.raises(OSError):
        trying.wait()
    silent.close()


class Proxy:
    """A TCP relay to RabbitMQ whose connections so far can be made to stop answering (a broker that hangs,
    or a network that drops packets without a word); connections made afterwards are relayed as usual."""

    def __init__(self, port: int):
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.frozen: set = set()
        self.connections: list = []
        eventlet.spawn(self._accept, port)

    def _accept(self, port):
        while True:
            client, _ = self.listener.accept()
            broker = eventlet.connect(("127.0.0.1", port))
            self.connections.append(broker)
            eventlet.spawn(self._pipe, client, broker, broker)
            eventlet.spawn(self._pipe, broker, client, broker)

    def _pipe(self, source, target, key):
        while data := source.recv(65536):
            if key not in self.frozen:
                target.sendall(data)

    def freeze(self):
        self.frozen.update(self.connections)


def test_a_connection_that_stops_confirming_is_given_up_and_the_event_goes_out_on_a_new_one(
        service_config, exchange, received, monkeypatch):
    monkeypatch.setattr(messaging, "PUBLISH_TIMEOUT_SECONDS", 0.5)
    amqp_uri = urlparse(service_config["AMQP_URI"])
    proxy = Proxy(amqp_uri.port)
    producers = Producers(amqp_uri._replace(netloc=f"guest:guest@127.0.0.1:{proxy.port}").geturl(), exchange)
    producers.publish({"id": "e-1"}, "report_scored", {})
    proxy.freeze()
    producers.publish({"id": "e-2"}, "report_scored", {})
    assert ids(received()) == ["e-1", "e-2"]
    assert producers.kept == 1
    producers.close()
