"""A handler that fails does not hold up the others: its message is retried after a pause, then parked
with its reason, where `trustone parked` lists, replays or discards it (on the real RabbitMQ)."""
import json
import socket
from collections import Counter

import amqp
import eventlet
import pytest
from kombu import Connection
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import get_extension

from common import errors, redelivery
from common.messaging import event_handler
from common.metrics import Metrics
from common.rpc import RpcClient, rpc
from launcher import parked
from tests.support import wait_until

HANDLED = Counter()  # behaviour -> handlings (the probe's workers count here)
QUEUE = "evt-submission-company_registered--probe.handle"
PARKED = f"{QUEUE}.parked"


class Probe:
    """A consumer whose handler does what each event's data says."""
    name = "probe"
    metrics = Metrics()

    @event_handler("submission", "company_registered")
    def handle(self, event):
        behaviour = event.data["behaviour"]
        HANDLED[behaviour] += 1
        if behaviour == "crash":
            raise RuntimeError("the handler cannot read this")
        if behaviour == "refused":
            raise errors.Invalid({"company": ["Unknown company."]})
        if behaviour == "flaky" and HANDLED[behaviour] < 3:
            raise ConnectionError("the database is down for a moment")
        if behaviour == "slow":
            eventlet.sleep(0.01)  # waits on something, as a handler writing to MongoDB does


@pytest.fixture
def probe(container_factory, service_config):
    HANDLED.clear()
    service_config.update(EVENT_ATTEMPTS=3, EVENT_RETRY_BACKOFF_SECONDS=0.2)
    container = container_factory(Probe, service_config)
    container.start()
    return container


def parked_now(amqp_uri):
    with parked.taken(amqp_uri, [PARKED]) as held:
        return [(each.reason, each.attempts, each.event_type, each.error) for each in held]


def parked_count(container, reason):
    value = get_extension(container, Metrics).registry.get_sample_value(
        "trustone_events_parked_total", {"entrypoint": "handle", "reason": reason})
    return value or 0


def test_a_failing_event_is_retried_then_parked_while_the_others_flow(probe, service_config, publish):
    amqp = service_config["AMQP_URI"]
    publish("submission", "company_registered", wire=envelope("crash"))
    publish("submission", "company_registered", wire=envelope("fine"))
    publish("submission", "company_registered", wire=envelope("flaky"))
    wait_until(lambda: HANDLED["fine"] == 1 and HANDLED["flaky"] == 3, "the other events to be handled")
    wait_until(lambda: parked_now(amqp), "the failing event to be parked")
    assert parked_now(amqp) == [("retries_exhausted", 3, "company_registered",
                                 "RuntimeError: the handler cannot read this")]
    assert HANDLED["crash"] == 3
    assert parked_count(probe, redelivery.RETRIES_EXHAUSTED) == 1
    assert parked_now(amqp), "listing leaves the parked message where it is"


def test_a_consumer_whose_connection_was_lost_under_it_consumes_again_on_a_new_one(probe, publish):
    """A worker's acknowledgement that fails on a connection going down marks it lost before the consumer
    reads its end; kombu made it again by itself the next time the consumer drained it, without the
    consumer's channel, so nothing came any more (its heartbeats kept it open): seen once in about fifteen
    runs of test_broker_outage.py. Marked lost here as amqp marks it when a write fails."""
    from common.messaging import ParkingQueueConsumer
    publish("submission", "company_registered", wire=envelope("fine"))
    wait_until(lambda: HANDLED["fine"] == 1, "the first event to be handled")
    consumer = get_extension(probe, ParkingQueueConsumer)
    lost = consumer._consuming_channel
    transport = lost.connection.transport
    transport.connected = False
    wait_until(lambda: consumer._consuming_channel is not lost, "the consumer's loop to come round and find "
               "its connection lost (it drains for a second at a time)", timeout=15)
    transport.sock.shutdown(socket.SHUT_RDWR)  # and the connection goes, as it was going
    publish("submission", "company_registered", wire=envelope("fine"))
    wait_until(lambda: HANDLED["fine"] == 2, "the next event to be handled, on a connection made again with its "
               "channel and consumers", timeout=15)


def test_what_can_never_succeed_is_parked_at_once(probe, service_config, publish):
    amqp = service_config["AMQP_URI"]
    publish("submission", "company_registered", wire=envelope("refused"))
    publish("submission", "company_registered", wire={"not": "an envelope"})
    with Connection(amqp) as connection:  # not JSON at all
        connection.Producer().publish(b"\x00 not json", exchange="submission.events",
                                      routing_key="company_registered", content_type="application/json",
                                      content_encoding="binary")
    wait_until(lambda: len(parked_now(amqp)) == 3, "three messages to be parked")
    reasons = sorted((reason, attempts) for reason, attempts, _, _ in parked_now(amqp))
    assert reasons == [("domain_error", 1), ("invalid_event", 1), ("undecodable", 1)]
    assert HANDLED["refused"] == 1
    assert [parked_count(probe, each) for each in ("domain_error", "invalid_event", "undecodable")] == [1, 1, 1]
    publish("submission", "company_registered", wire=envelope("fine"))
    wait_until(lambda: HANDLED["fine"] == 1, "the consumer to go on after them")


def test_a_parked_event_is_replayed_to_its_handler_or_discarded(probe, service_config, publish, capsys):
    amqp = service_config["AMQP_URI"]
    publish("submission", "company_registered", wire=envelope("flaky"))  # fails twice: not parked
    publish("submission", "company_registered", wire=envelope("refused"))
    publish("submission", "company_registered", wire=envelope("crash"))
    wait_until(lambda: len(parked_now(amqp)) == 2, "two messages to be parked")
    with parked.taken(amqp, [PARKED]) as held:
        ids = {each.reason: each.id for each in held}
    assert parked.command(amqp, "replay", [ids["domain_error"]], False, None, [PARKED]) == 0
    wait_until(lambda: HANDLED["refused"] == 2, "the replayed event to be handled again")
    wait_until(lambda: len(parked_now(amqp)) == 2, "it to be parked again, refused again")
    with parked.taken(amqp, [PARKED]) as held:
        ids = {each.reason: each.id for each in held}
    assert parked.command(amqp, "discard", [ids["retries_exhausted"]], False, None, [PARKED]) == 0
    assert [reason for reason, *_ in parked_now(amqp)] == ["domain_error"]
    assert parked.command(amqp, "discard", ["no-such-id"], False, None, [PARKED]) == 1


def test_a_burst_is_acknowledged_in_fewer_acknowledgements_and_none_is_left_unacknowledged(
        probe, service_config, publish, monkeypatch):
    sent = []
    basic_ack = amqp.Channel.basic_ack

    def counted(channel, tag, multiple=False, **kwargs):
        sent.append((tag, multiple))
        return basic_ack(channel, tag, multiple, **kwargs)
    monkeypatch.setattr(amqp.Channel, "basic_ack", counted)
    for _ in range(40):
        publish("submission", "company_registered", wire=envelope("slow"))
    wait_until(lambda: HANDLED["slow"] == 40, "the burst to be handled")
    wait_until(lambda: sent and sent[-1][0] == 40, "the last message to be acknowledged")
    assert len(sent) < 40, sent
    probe.stop()  # what was handled but not acknowledged would now go back to the queue
    with Connection(service_config["AMQP_URI"]) as connection:
        _, waiting, _ = connection.channel().queue_declare(QUEUE, passive=True)
    assert waiting == 0 and HANDLED["slow"] == 40


def envelope(behaviour):
    """A valid company_registered, with a field its schema does not know (consumers let it through) that
    tells the probe what to do."""
    from common.events import new_event
    from tests.support import company
    event = new_event("company_registered", {"company": company()}, producer="submission", correlation_id="test")
    wire = event.to_wire()
    wire["data"]["behaviour"] = behaviour
    return json.loads(json.dumps(wire))


def test_on_the_embedded_in_memory_broker_a_failing_event_is_retried_then_parked_too(container_factory,
                                                                                      service_config):
    HANDLED.clear()
    service_config.update(AMQP_URI=f"memory://redelivery-{id(service_config)}/", EVENT_ATTEMPTS=3,
                          EVENT_RETRY_BACKOFF_SECONDS=0.05)
    container = container_factory(Probe, service_config)
    container.start()
    dispatch = event_dispatcher(service_config)
    for behaviour in ("flaky", "crash", "fine"):
        dispatch("submission", "company_registered", envelope(behaviour))
    wait_until(lambda: parked_count(container, redelivery.RETRIES_EXHAUSTED) == 1, "the failing event to be parked")
    assert (HANDLED["flaky"], HANDLED["crash"], HANDLED["fine"]) == (3, 3, 1)


class QuorumProbe(Probe):
    """The probe, with an RPC entrypoint (its request queue) and a peer it calls (its reply queue)."""
    name = "probe"
    peer = RpcClient("probe")

    @rpc
    def echo(self, text):
        return text

    @rpc
    def ask_self(self, text):
        return self.peer.echo(text)


def test_on_quorum_queues_a_failing_event_is_retried_then_parked_and_what_lives_with_a_process_stays_classic(
        container_factory, service_config, publish, rabbit_manager):
    """QUEUE_TYPE=quorum: the handler's queue, its retry and parked queues and the RPC request queue are
    quorum queues, and poison handling works on them as on classic ones (our own count of attempts); the
    reply queue, which lives as long as its process, stays classic."""
    HANDLED.clear()
    service_config.update(QUEUE_TYPE="quorum", EVENT_ATTEMPTS=3, EVENT_RETRY_BACKOFF_SECONDS=0.2)
    container = container_factory(QuorumProbe, service_config)
    container.start()
    amqp_uri = service_config["AMQP_URI"]
    publish("submission", "company_registered", wire=envelope("crash"))
    publish("submission", "company_registered", wire=envelope("refused"))
    publish("submission", "company_registered", wire=envelope("flaky"))
    wait_until(lambda: len(parked_now(amqp_uri)) == 2, "the failing and the refused event to be parked")
    assert sorted((reason, attempts) for reason, attempts, *_ in parked_now(amqp_uri)) == [
        ("domain_error", 1), ("retries_exhausted", 3)]
    assert (HANDLED["crash"], HANDLED["flaky"]) == (3, 3), "retried through the quorum retry queue"
    with entrypoint_hook(container, "ask_self") as ask:
        assert ask("over quorum") == "over quorum"
    vhost = amqp_uri.rsplit("/", 1)[1]
    kinds = {queue["name"]: (queue.get("type"), queue["durable"]) for queue in rabbit_manager.get_queues(vhost)}
    assert kinds[QUEUE] == kinds[f"{QUEUE}.retry"] == kinds[PARKED] == ("quorum", True)
    assert kinds["rpc-probe"] == ("quorum", True)
    replies = [kind for name, kind in kinds.items() if name.startswith("rpc.reply-probe-")]
    assert replies == [("classic", False)], kinds
    assert parked.command(amqp_uri, "discard", [], True, None, [PARKED]) == 0
    assert parked_now(amqp_uri) == []
