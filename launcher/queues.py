"""`trustone queues`: the platform's queues that outlive a process, and moving them from classic to quorum
queues (QUEUE_TYPE=quorum) on a running platform, one service at a time, without losing a message.

A queue's type cannot change in place: each queue of a stopped service is drained into a quorum queue of
its own while it is bound where the old one was (so whatever is published meanwhile reaches it), deleted,
declared again as a quorum queue with its bindings, and given back what it held. Run it while the service
is stopped, then start the service with QUEUE_TYPE=quorum; the others run on meanwhile, their events to it
waiting on its queues. A message published in the instant both the queue and its holding queue are bound
arrives twice; consumers are idempotent and drop the duplicate.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import amqp
from kombu import Connection
from nameko.events import SERVICE_POOL
from nameko.rpc import get_rpc_exchange

from common import messaging, rpc

HOLDING = ".moving"  # the suffix of the quorum queue that holds a queue's messages while it moves
KEPT_PROPERTIES = ("reply_to", "correlation_id", "message_id", "timestamp", "type", "app_id", "priority")
QUORUM = messaging.lasting("quorum")


@dataclass(frozen=True)
class Lasting:
    """A queue that outlives a process: its name, and the (exchange, routing key) it is bound with."""
    service: str
    name: str
    bindings: tuple[tuple[str, str], ...] = field(default=())
    retry_of: str | None = None  # a handler's retry queue: the handler's queue it gives messages back to


def lasting_queues(service: str) -> list[Lasting]:
    """Every queue of `service` that outlives its processes, from its code: each shared handler's queue,
    retry and parked queue, its RPC request queue and the RPC parked queue."""
    cls = __import__(f"services.{service}.service", fromlist=["service"]).SERVICE
    # a service that calls others parks the replies it cannot take; one that answers, the requests too
    calls = any(isinstance(each, rpc.RpcClient) for base in cls.__mro__ for each in vars(base).values())
    queues, answers = [], False
    for attribute in sorted(dir(cls)):
        for entrypoint in getattr(getattr(cls, attribute, None), "nameko_entrypoints", ()):
            answers = answers or isinstance(entrypoint, rpc.Entrypoint)
            if not isinstance(entrypoint, messaging.EnvelopeHandler):
                continue
            source, event_type = entrypoint.source_service, entrypoint.event_type
            parked = Lasting(service, messaging.parked_queue_name(source, event_type, cls.name, attribute))
            if entrypoint.handler_type != SERVICE_POOL:  # a broadcast queue lives with its instance
                queues.append(parked)
                continue
            name = f"evt-{source}-{event_type}--{cls.name}.{attribute}"
            queues += [Lasting(service, f"{name}.retry", retry_of=name),
                       Lasting(service, name, ((f"{source}.events", event_type),
                                               (messaging.replay_exchange(cls.name).name, f"{source}.{event_type}"))),
                       parked]
    if answers:
        queues.append(Lasting(service, f"rpc-{cls.name}", ((get_rpc_exchange({}).name, f"{cls.name}.*"),)))
    if answers or calls:
        queues.append(Lasting(service, rpc.parked_queue_name(cls.name)))
    return queues


class NotStopped(RuntimeError):
    """A queue still has consumers: the service must be stopped before its queues move."""


def state(connection: amqp.Connection, name: str) -> tuple[str, int, int] | None:
    """(type, messages, consumers) of the queue `name`, or None when it was never declared. The type is
    `quorum` when declaring it as a quorum queue of the same name changes nothing, else `classic`."""
    channel = connection.channel()
    try:
        _, messages, consumers = channel.queue_declare(name, passive=True)
    except amqp.exceptions.NotFound:
        return None
    channel.close()
    channel = connection.channel()
    try:
        channel.queue_declare(name, durable=True, auto_delete=False, arguments=_arguments(name))
    except amqp.exceptions.PreconditionFailed:  # not of the type (or arguments) of a quorum queue
        return "classic", messages, consumers
    channel.close()
    return "quorum", messages, consumers


def _arguments(name: str) -> dict:
    if name.endswith(".retry"):
        return messaging.retry_queue(name[:-len(".retry")], "quorum").queue_arguments
    return QUORUM


def move_service(connection: amqp.Connection, service: str, say) -> int:
    """Moves every queue of `service` that is classic to a quorum queue; returns how many messages moved.
    Raises NotStopped when one has consumers (before it changes anything)."""
    queues = lasting_queues(service)
    found = {queue.name: state(connection, queue.name) for queue in queues}
    busy = [f"{name} ({found[name][2]} consumer(s))" for name in found if found[name] and found[name][2]]
    if busy:
        raise NotStopped(f"stop {service} first: " + ", ".join(busy))
    moved = 0
    for queue in queues:
        now = found[queue.name]
        if not queue.retry_of and state(connection, queue.name + HOLDING):  # a move that was cut short
            moved += _move(connection, queue, begun=now is not None and now[0] == "classic")
            say(f"{queue.name}: a quorum queue now (a move cut short, finished)")
        elif now is None:
            say(f"{queue.name}: not declared yet; {service} declares it as a quorum queue")
        elif now[0] == "quorum":
            say(f"{queue.name}: a quorum queue already")
        elif queue.retry_of:  # its messages go straight back to the handler's queue, which moves next
            count = _drain_and_delete(connection, queue.name, queue.retry_of)
            moved += count
            say(f"{queue.name}: {count} message(s) waiting a retry handed back to {queue.retry_of}; deleted "
                f"({service} declares it again as a quorum queue)")
        else:
            count = _move(connection, queue)
            moved += count
            say(f"{queue.name}: a quorum queue now, with its {count} message(s)")
    return moved


def _move(connection: amqp.Connection, queue: Lasting, begun: bool = True) -> int:
    """Moves `queue` through its holding queue; `begun`: the old queue is still there (else a move cut short
    after deleting it is finished)."""
    holding = queue.name + HOLDING
    if not begun:
        return _settle(connection, queue, holding, 0)
    channel = connection.channel()
    try:
        channel.queue_declare(holding, durable=True, auto_delete=False, arguments=QUORUM)
        for exchange, key in queue.bindings:  # first bound beside it, so nothing published meanwhile is lost
            channel.queue_bind(holding, exchange, key)
        for exchange, key in queue.bindings:
            channel.queue_unbind(queue.name, exchange, key)
    finally:
        channel.close()
    return _settle(connection, queue, holding, _drain_and_delete(connection, queue.name, holding))


def _settle(connection: amqp.Connection, queue: Lasting, holding: str, count: int) -> int:
    """Declares `queue` as a quorum queue where it was bound, and gives it what `holding` holds."""
    channel = connection.channel()
    try:
        channel.queue_declare(queue.name, durable=True, auto_delete=False, arguments=QUORUM)
        for exchange, key in queue.bindings:
            channel.queue_bind(queue.name, exchange, key)
        for exchange, key in queue.bindings:
            channel.queue_unbind(holding, exchange, key)
    finally:
        channel.close()
    _drain_and_delete(connection, holding, queue.name)
    return count


def _drain(connection: amqp.Connection, source: str, target: str) -> int:
    """Moves every message of `source` to `target` as it came (but for an expiration, which would drop it
    from a queue without a dead-letter exchange); each is taken off `source` once the broker confirmed its
    copy. Returns how many."""
    channel = connection.channel()
    channel.confirm_select()
    count = 0
    try:
        while (message := channel.basic_get(source, no_ack=False)) is not None:
            properties = {key: value for key, value in message.properties.items()
                          if key in KEPT_PROPERTIES + ("application_headers", "content_type", "content_encoding")}
            channel.basic_publish_confirm(amqp.Message(message.body, delivery_mode=2, **properties),
                                          exchange="", routing_key=target, mandatory=True)
            channel.basic_ack(message.delivery_tag)
            count += 1
    finally:
        channel.close()
    return count


def _drain_and_delete(connection: amqp.Connection, source: str, target: str) -> int:
    """Moves every message of `source` to `target`, then deletes `source`: a classic queue only if it is
    empty (a message that came meanwhile is moved in another round); a holding queue, which RabbitMQ cannot
    delete on that condition (a quorum queue), once it is empty: nothing is bound to it any more."""
    count = 0
    while True:
        count += _drain(connection, source, target)
        channel = connection.channel()
        try:
            if source.endswith(HOLDING):
                if channel.queue_declare(source, passive=True).message_count:
                    continue
                channel.queue_delete(source)
            else:
                channel.queue_delete(source, if_empty=True)
            channel.close()
            return count
        except amqp.exceptions.PreconditionFailed:  # not empty after all
            continue


def command(amqp_uri: str, action: str, services: list[str], out) -> int:
    """`trustone queues list|quorum SERVICE...`: exits 1 when a service to move was not stopped."""
    with Connection(amqp_uri) as connection:
        connection.ensure_connection(max_retries=len(connection.alt or [None]) - 1, interval_start=0,
                                     interval_step=0)
        for service in services:
            if action == "list":
                for queue in lasting_queues(service):
                    found = state(connection.connection, queue.name)
                    print(f"{queue.name}  " + ("not declared" if found is None else
                                               "{}  {} message(s)  {} consumer(s)".format(*found)), file=out)
                continue
            try:
                moved = move_service(connection.connection, service, lambda line: print(line, file=out))
            except NotStopped as exc:
                print(str(exc), file=out)
                return 1
            print(f"{service}: its queues are quorum queues ({moved} message(s) moved); start it with "
                  "QUEUE_TYPE=quorum", file=out)
    return 0
