"""Acknowledgements sent together: several handled messages in one `basic.ack`, none left behind; and what a
consumer takes of a message's headers and properties (common.inbound)."""
from datetime import datetime, timezone

import pytest

from common import inbound, messaging, redelivery
from common.messaging import Acknowledgements


class Channel:
    """Records the acknowledgements sent, as (delivery tag, multiple)."""

    def __init__(self):
        self.acks = []

    def basic_ack(self, tag, multiple=False):
        self.acks.append((tag, multiple))


@pytest.fixture
def channel():
    return Channel()


def delivered(channel, tags, together=True, **options) -> Acknowledgements:
    """The acknowledgements of a channel on which `tags` were delivered."""
    acknowledgements = Acknowledgements(channel, together=together, **options)
    for tag in tags:
        acknowledgements.delivered(tag)
    return acknowledgements


def test_a_message_handled_alone_is_acknowledged_at_once(channel):
    acknowledgements = delivered(channel, [1])
    acknowledgements.handled(1)
    assert channel.acks == [(1, True)]


def test_messages_handled_while_others_wait_are_acknowledged_together_when_the_last_is_handled(channel):
    acknowledgements = delivered(channel, (1, 2, 3))
    acknowledgements.handled(1)
    acknowledgements.handled(2)
    assert channel.acks == []
    acknowledgements.handled(3)
    assert channel.acks == [(3, True)]
    acknowledgements.delivered(4)
    acknowledgements.handled(4)
    assert channel.acks == [(3, True), (4, True)]


def test_a_message_still_being_handled_is_never_acknowledged_with_the_others(channel):
    acknowledgements = delivered(channel, range(1, messaging.ACK_BATCH + 3))
    acknowledgements.handled(1)
    for tag in range(3, messaging.ACK_BATCH + 2):  # 2 is still being handled
        acknowledgements.handled(tag)
    assert channel.acks == [(1, True)] + [(tag, False) for tag in range(3, messaging.ACK_BATCH + 2)]
    acknowledgements.handled(2)
    acknowledgements.handled(messaging.ACK_BATCH + 2)
    assert channel.acks[-1] == (messaging.ACK_BATCH + 2, True)


def test_handled_messages_wait_no_longer_than_the_limit_behind_a_slow_one(channel, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(messaging.time, "monotonic", lambda: now[0])
    acknowledgements = delivered(channel, (1, 2))
    acknowledgements.handled(2)
    assert not acknowledgements.due()
    now[0] += messaging.ACK_WAIT_SECONDS
    assert acknowledgements.due()
    acknowledgements.flush()
    assert channel.acks == [(2, False)]
    acknowledgements.handled(1)
    assert channel.acks == [(2, False), (1, True)]


def test_a_requeued_message_holds_up_no_acknowledgement(channel):
    acknowledgements = delivered(channel, (1, 2))
    acknowledgements.requeued(1)
    acknowledgements.handled(2)
    assert channel.acks == [(2, True)]


def test_on_a_channel_that_takes_one_tag_at_a_time_each_message_is_acknowledged_on_its_own(channel):
    # not an AMQP channel (kombu's in-memory broker's), so not acknowledged together
    acknowledgements = delivered(channel, (1, 2, 3), together=None)
    for tag in (2, 1, 3):
        acknowledgements.handled(tag)
    assert channel.acks == [(2, False), (1, False), (3, False)]


def test_messages_handled_behind_one_that_is_requeued_are_acknowledged_at_once(channel):
    acknowledgements = delivered(channel, (1, 2, 3))
    acknowledgements.handled(2)
    acknowledgements.handled(3)
    acknowledgements.requeued(1)  # e.g. the service is stopping and gives it back
    assert channel.acks == [(3, True)]


def test_no_more_wait_than_the_batch_a_small_prefetch_allows(channel):
    acknowledgements = delivered(channel, (1, 2, 3, 4), batch=2)
    acknowledgements.handled(2)
    assert channel.acks == []
    acknowledgements.handled(3)
    assert channel.acks == [(2, False), (3, False)]


# --- what a consumer takes of a message's headers and properties (common.inbound) -------------------------

CALL_STACK = ["submission.submit_report.5e0b6a57-6c2a-4c1b-a1f6-0ad3c1b36cbb"]


def test_a_message_s_headers_become_only_the_context_nameko_gives_checked():
    taken = inbound.taken({"nameko.correlation_id": "req-1", "nameko.call_id_stack": CALL_STACK,
                           "nameko.user_id": "someone", "x-death": [{"count": 1}], inbound.ATTEMPT: 2,
                           inbound.REPLAYED: True})
    assert taken == inbound.Taken({"correlation_id": "req-1", "call_id_stack": CALL_STACK}, 2, True)
    assert inbound.taken(None) == inbound.Taken({}, 0, False)


@pytest.mark.parametrize("header,moment", [
    ("2026-01-05T10:00:00.250000+00:00", datetime(2026, 1, 5, 10, 0, 0, 250000, tzinfo=timezone.utc)),
    ("2026-01-05T10:00:00", None), ("yesterday", None), (12, None), ("2026-01-05T10:00:00+00:00" * 3, None)])
def test_when_the_submission_occurred_travels_in_a_header_a_bad_one_only_loses_the_metric(header, moment):
    taken = inbound.taken({inbound.SUBMITTED: header})
    assert taken.submission_occurred_at == moment and taken.attempt == 0, "the message itself is taken"
    assert inbound.timing_headers(moment) == ({inbound.SUBMITTED: moment.isoformat()} if moment else {})


@pytest.mark.parametrize("headers", [
    {inbound.ATTEMPT: "x"}, {inbound.ATTEMPT: True}, {inbound.ATTEMPT: -1}, {inbound.ATTEMPT: 2.0},
    {inbound.REPLAYED: "yes"}, {inbound.REPLAYED: 1},
    {"nameko.call_id_stack": 5}, {"nameko.call_id_stack": [1]}, {"nameko.call_id_stack": "abc"},
    {"nameko.call_id_stack": CALL_STACK * 65}, {"nameko.call_id_stack": ["with space"]},
    {"nameko.correlation_id": 5}, {"nameko.correlation_id": "line\nbreak"}, {"nameko.correlation_id": "x" * 201},
    {"nameko.correlation_id": ""},
])
def test_a_header_no_consumer_can_read_is_refused_as_an_invalid_message(headers):
    with pytest.raises(inbound.Refused) as refused:
        inbound.taken(headers)
    assert refused.value.reason == redelivery.INVALID_MESSAGE


@pytest.mark.parametrize("message", [
    dict(headers={"compression": "application/x-gzip"}), dict(body_size=inbound.MAX_BODY_BYTES + 1),
    dict(content_type="text/plain"), dict(content_type=None), dict(content_encoding="utf-16"),
])
def test_a_body_no_consumer_reads_is_refused_as_undecodable(message):
    with pytest.raises(inbound.Refused) as refused:
        inbound.taken(message.pop("headers", {}), **message)
    assert refused.value.reason == redelivery.UNDECODABLE


def test_an_rpc_request_names_a_reply_queue_and_is_a_request_and_a_reply_is_one():
    inbound.reply_address("0b8f1f0e-9a0c-4f57-8a60-6f3d0f2b8a41", "call-1")
    for reply_to, correlation_id in ((None, "call-1"), ("scoring.assess", "call-1"), ("rpc-scoring", "call-1"),
                                     ("0B8F1F0E-9A0C-4F57-8A60-6F3D0F2B8A41", "call-1"),
                                     ("0b8f1f0e-9a0c-4f57-8a60-6f3d0f2b8a41", None)):
        with pytest.raises(inbound.Refused):
            inbound.reply_address(reply_to, correlation_id)
    inbound.rpc_request({"args": [1], "kwargs": {"a": 2}})
    for body in ({"args": [1]}, {"args": "x", "kwargs": {}}, [], "text", {"args": [], "kwargs": []}):
        with pytest.raises(inbound.Refused):
            inbound.rpc_request(body)
    inbound.rpc_reply({"result": 1, "error": None})
    inbound.rpc_reply({"result": None, "error": {"exc_type": "NotFound", "exc_path": "common.errors.NotFound",
                                                 "value": "", "exc_args": []}})
    for body in ({"result": 1}, [], {"result": None, "error": "boom"}, {"result": None, "error": {"exc_type": 1}}):
        with pytest.raises(inbound.Refused):
            inbound.rpc_reply(body)


def test_the_attempts_of_a_message_being_parked_are_read_whatever_the_header_holds():
    assert [inbound.attempt_of(headers) for headers in ({inbound.ATTEMPT: 3}, {inbound.ATTEMPT: "x"}, None,
                                                        {inbound.ATTEMPT: 10 ** 30})] == [3, 0, 0, 0]


def test_the_queues_that_outlive_a_process_are_quorum_queues_when_the_setting_says_so():
    from common import rpc
    assert messaging.parked_queue("q.parked").queue_arguments == {}
    assert messaging.parked_queue("q.parked", "quorum").queue_arguments == {"x-queue-type": "quorum"}
    classic, quorum = messaging.retry_queue("q"), messaging.retry_queue("q", "quorum")
    assert classic.name == quorum.name == "q.retry" and classic.durable and quorum.durable
    assert "x-queue-type" not in classic.queue_arguments
    # a quorum retry queue dead-letters at least once (RabbitMQ's default for quorum queues: at most once)
    assert quorum.queue_arguments == {**classic.queue_arguments, "x-queue-type": "quorum",
                                      "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    assert not messaging.retry_queue("q", durable=False).durable  # a broadcast handler's
    assert rpc.parked_queue_name("scoring") == "rpc-scoring.parked"
