"""RPC with a deadline (nameko 2's RpcProxy waits forever for a peer that is down), and RPC messages no
caller can use to stop a service: each request and reply is checked before nameko reads it."""
from __future__ import annotations

import eventlet
from kombu import Queue
from kombu.exceptions import OperationalError
from nameko.exceptions import deserialize_to_instance
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, ServiceProxy

from common import errors, inbound, redelivery, settings
from common.logging import get_logger
from common.messaging import GuardedQueueConsumer, Parking, decoded, lasting, parked_queue

log = get_logger(__name__)

# A domain error raised by the service called crosses RPC as itself, not as a RemoteError.
for _error in (errors.Invalid, errors.Malformed, errors.TooLarge, errors.UnsupportedMediaType,
               errors.MethodNotAllowed, errors.Unauthenticated, errors.Forbidden, errors.NotFound, errors.TooMany,
               errors.Unavailable):
    deserialize_to_instance(_error)


def parked_queue_name(service: str) -> str:
    """Where a service parks the RPC requests and replies it cannot take (one durable queue per service)."""
    return f"rpc-{service}.parked"


class GuardedRpcConsumer(RpcConsumer):
    """nameko's RPC request consumer, taking only requests it can answer: headers and properties checked
    (`common.inbound`: a reply address that is a reply queue, a correlation id, JSON), the body a request
    ({"args": [...], "kwargs": {...}}). Any other is parked (`rpc-<service>.parked`, reason and error in
    headers, counted) instead of reaching nameko, which would stop the service replying to no address."""

    queue_consumer = GuardedQueueConsumer()

    def setup(self):
        super().setup()
        queue_type = settings.of(self.container).queue_type
        shared = self.queue  # the service's request queue outlives its instances: quorum when QUEUE_TYPE says so
        self.queue = Queue(shared.name, exchange=shared.exchange, routing_key=shared.routing_key, durable=True,
                           queue_arguments=lasting(queue_type))
        self.parking = Parking(self.container, parked_queue(parked_queue_name(self.container.service_name),
                                                            queue_type))

    def take(self, message):
        method = str((message.delivery_info or {}).get("routing_key", "")).rpartition(".")[2]
        entrypoint = method if any(each.method_name == method for each in self._providers) else "rpc"
        try:
            inbound.taken(message.headers, len(message.body or b""), message.content_type, message.content_encoding)
            refused = getattr(message, "trustone_refused", None)
            if refused:
                raise refused
            properties = message.properties or {}
            inbound.reply_address(properties.get("reply_to"), properties.get("correlation_id"))
            body = decoded(message)
            inbound.rpc_request(body)
        except inbound.Refused as exc:
            _park(self.parking, self.queue_consumer, message, self.queue.name, entrypoint, exc)
            return
        try:
            self.handle_message(body, message)  # a method nobody has, or arguments it does not take: answered
        except Exception as exc:  # noqa: BLE001 - the answer could not be sent (the broker went away)
            log.warning("RPC request neither handled nor answered", entrypoint=entrypoint,
                        error=redelivery.describe(exc))


class GuardedReplyListener(ReplyListener):
    """nameko's RPC reply listener, taking only replies as nameko sends them; any other is parked (and the
    call it claims to answer runs out of time: `Unavailable`)."""

    queue_consumer = GuardedQueueConsumer()

    def setup(self):
        super().setup()
        # this instance's reply queue: classic, and not durable, so that it goes with a lost node instead of
        # holding its name there (a durable classic queue whose node is down cannot be declared again)
        own = self.queue
        self.queue = Queue(own.name, exchange=own.exchange, routing_key=own.routing_key, durable=False,
                           queue_arguments=own.queue_arguments)
        self.parking = Parking(self.container, parked_queue(parked_queue_name(self.container.service_name),
                                                            settings.of(self.container).queue_type))

    def take(self, message):
        try:
            inbound.taken(message.headers, len(message.body or b""), message.content_type, message.content_encoding)
            refused = getattr(message, "trustone_refused", None)
            if refused:
                raise refused
            correlation_id = (message.properties or {}).get("correlation_id")
            if not isinstance(correlation_id, str):
                raise inbound.Refused("a reply without the correlation id of its call")
            body = decoded(message)
            inbound.rpc_reply(body)
        except inbound.Refused as exc:
            _park(self.parking, self.queue_consumer, message, self.queue.name, "rpc_reply", exc)
            return
        self.handle_message(body, message)


def _park(parking: Parking, consumer, message, origin: str, entrypoint: str, refused: inbound.Refused) -> None:
    try:
        parking.park(message, origin, entrypoint, refused.reason, refused, inbound.attempt_of(message.headers) + 1)
    except Exception as exc:  # noqa: BLE001 - the broker took it not: it is dropped (no caller can use it)
        log.error("RPC message refused and not parked; dropped", entrypoint=entrypoint, reason=refused.reason,
                  error=redelivery.describe(refused), park_error=redelivery.describe(exc))
    try:
        consumer.ack_message(message)
    except Exception as exc:  # noqa: BLE001 - a channel gone: the broker gives it back, to be refused again
        log.warning("refused RPC message not acknowledged", error=redelivery.describe(exc))


class Entrypoint(Rpc):
    """nameko's RPC entrypoint, on a consumer that checks each request first (`GuardedRpcConsumer`), with
    the worker's context built only from what was checked; a reply that cannot be sent (the broker went
    away meanwhile) is given up with a log line: in nameko 2 it kills the whole service container, which
    then answers nothing, not even /health. The caller's deadline runs out and it answers 503 (it may call
    again)."""

    rpc_consumer = GuardedRpcConsumer()

    def unpack_message_headers(self, message):
        return inbound.context_of(message.headers)

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (OperationalError, ConnectionError, OSError) as exc:
            log.warning("RPC reply not sent: the broker does not answer", entrypoint=self.method_name,
                        reason=f"{type(exc).__name__}: {exc}")
            return result, exc_info
        except Exception as exc:  # noqa: BLE001 - e.g. a channel the broker closed: nothing may escape here
            log.error("RPC reply not sent", entrypoint=self.method_name, reason=redelivery.describe(exc))
            return result, exc_info


rpc = Entrypoint.decorator


class TimedProxy:
    def __init__(self, proxy: ServiceProxy, timeout: float):
        self._proxy = proxy
        self._timeout = timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)

        def call(*args, **kwargs):
            reply = method.call_async(*args, **kwargs)
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout:
                raise errors.Unavailable(
                    f"The {self._proxy.service_name} service did not answer in {self._timeout:g} s.") from None

        return call


class RpcClient(DependencyProvider):
    """Like nameko's RpcProxy, but a call that gets no reply in time raises `Unavailable`.

    The deadline is RPC_TIMEOUT_SECONDS, times `patience` for calls known to take longer.
    """

    rpc_reply_listener = GuardedReplyListener()

    def __init__(self, target_service: str, patience: float = 1.0):
        self.target_service = target_service
        self.patience = patience

    def setup(self):
        self.timeout = settings.of(self.container).rpc_timeout_seconds * self.patience

    def proxy(self, worker_ctx) -> TimedProxy:
        return TimedProxy(ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener),
                          self.timeout)

    def get_dependency(self, worker_ctx):
        return self.proxy(worker_ctx)
