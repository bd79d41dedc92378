"""Acknowledgements sent together: several handled messages in one `basic.ack`, none left behind."""
import pytest

from common import messaging
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
