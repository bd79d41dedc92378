"""`trustone parked`: the events handlers parked (common.messaging), listed, replayed or discarded.

Every handler parks on a durable queue of its own (`evt-<source>-<type>--<service>.<method>.parked`); the
queues are found from the services' code. Reading a message without acknowledging it leaves it where it
was: the broker puts back what this command did not replay or discard when its channel closes.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

import amqp
from kombu import Connection
from nameko.amqp.publish import Publisher, UndeliverableMessage

from common import inbound, messaging
from common.vocabulary import SERVICES


@dataclass
class Parked:
    queue: str  # the parked queue
    id: str
    reason: str
    error: str
    attempts: int
    parked_at: str
    origin: str  # the handler's queue, where a replay puts it back
    event_type: str | None  # from the envelope, when the body is one
    event_id: str | None
    message: object  # kombu's, to acknowledge

    def line(self) -> str:
        event = f"{self.event_type} {self.event_id}" if self.event_id else "(no event envelope)"
        return (f"{self.id}  {self.parked_at}  {self.reason} after {self.attempts} attempt(s)  {event}\n"
                f"    from {self.origin}\n    {self.error}")


def handler_queues() -> list[str]:
    """Every handler's parked queue, and every service's RPC parked queue (requests and replies it could
    not take), from the services' code."""
    from launcher.queues import lasting_queues
    return [queue.name for service in SERVICES for queue in lasting_queues(service) if queue.name.endswith(".parked")]


# A quorum queue declared a moment ago answers `noproc` until its replica has started: asked again shortly.
STARTING_ATTEMPTS = 10
STARTING_PAUSE_SECONDS = 0.5


@contextmanager
def taken(amqp_uri: str, queues: Iterable[str]) -> Iterator[list[Parked]]:
    """Every message parked on `queues`, held (unacknowledged) until the block ends; what the block did not
    acknowledge goes back where it was."""
    queues = list(queues)
    for attempt in range(1, STARTING_ATTEMPTS + 1):
        connection = Connection(amqp_uri)
        try:
            channel, held = _held(connection, queues)
            break
        except amqp.exceptions.InternalError as error:  # the broker closed the connection
            connection.release()
            if "noproc" not in str(error) or attempt == STARTING_ATTEMPTS:
                raise
            time.sleep(STARTING_PAUSE_SECONDS)
    try:
        yield held
    finally:
        channel.close()
        connection.release()


def _held(connection, queues: list[str]):
    present = [name for name in queues if _exists(connection, name)]
    channel = connection.channel()
    held = []
    for name in present:
        queue = messaging.parked_queue(name)(channel)
        while (message := queue.get(no_ack=False)) is not None:
            held.append(_parked(name, message))
    return channel, held


def _exists(connection, name: str) -> bool:
    """Whether the queue `name` exists, whatever its type (classic or quorum: a platform moving to quorum
    queues has both for a while); asked on a channel of its own, which the broker closes if it does not."""
    channel = connection.channel()
    try:
        channel.queue_declare(name, passive=True)
    except amqp.exceptions.NotFound:  # never declared: nothing was parked there
        return False
    channel.close()
    return True


def _parked(queue: str, message) -> Parked:
    headers = message.headers or {}
    try:
        envelope = json.loads(message.body)
    except (TypeError, ValueError):
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    return Parked(queue=queue, id=str(headers.get(messaging.PARKED_ID, "")),
                  reason=str(headers.get(messaging.PARKED_REASON, "")),
                  error=str(headers.get(messaging.PARKED_ERROR, "")),
                  attempts=inbound.attempt_of(headers), parked_at=str(headers.get(messaging.PARKED_AT, "")),
                  origin=str(headers.get(messaging.PARKED_FROM, "")),
                  event_type=envelope.get("type"), event_id=envelope.get("id"), message=message)


def replay(amqp_uri: str, parked: Parked) -> None:
    """Puts the message back on its handler's queue as it first came (its attempts start again), then
    takes it off the parked queue."""
    message = parked.message
    headers = {key: value for key, value in (message.headers or {}).items()
               if key not in messaging.PARKED_HEADERS}
    Publisher(amqp_uri, mandatory=True).publish(
        message.body, exchange="", routing_key=parked.origin, headers=headers,
        content_type=message.content_type or "application/octet-stream",
        content_encoding=message.content_encoding or "binary")
    message.ack()


def discard(parked: Parked) -> None:
    parked.message.ack()


def command(amqp_uri: str, action: str, ids: list[str], everything: bool, out, queues=None) -> int:
    """`trustone parked list|replay|discard [ID ...] [--all]` on every handler's parked queue (or
    `queues`); exits 1 when an ID named is not parked."""
    with taken(amqp_uri, handler_queues() if queues is None else queues) as held:
        if action == "list":
            for each in held:
                print(each.line(), file=out)
            print(f"{len(held)} parked message(s)", file=out)
            return 0
        chosen = held if everything else [each for each in held if each.id in ids]
        unknown = [each for each in ids if each not in {parked.id for parked in chosen}]
        failed = []
        for each in chosen:
            if action == "discard":
                discard(each)
                print(f"discarded {each.id} ({each.event_type or 'no envelope'})", file=out)
                continue
            try:
                replay(amqp_uri, each)
            except UndeliverableMessage:  # a broadcast handler's queue goes with its instance
                print(f"not replayed {each.id}: its queue {each.origin} is gone; it stays parked", file=out)
                failed.append(each.id)
                continue
            print(f"replayed {each.id} ({each.event_type or 'no envelope'}) to {each.origin}", file=out)
        for each in unknown:
            print(f"not parked: {each}", file=out)
        return 1 if unknown or failed else 0
