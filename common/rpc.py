"""RPC with a deadline: nameko 2's RpcProxy waits forever for a peer that is down."""
from __future__ import annotations

import eventlet
from nameko.exceptions import deserialize_to_instance
from nameko.extensions import DependencyProvider
from kombu.exceptions import OperationalError
from nameko.rpc import ReplyListener, Rpc, ServiceProxy

from common import errors, settings
from common.logging import get_logger

log = get_logger(__name__)

# A domain error raised by the service called crosses RPC as itself, not as a RemoteError.
for _error in (errors.Invalid, errors.Malformed, errors.TooLarge, errors.UnsupportedMediaType,
               errors.MethodNotAllowed, errors.Unauthenticated, errors.Forbidden, errors.NotFound, errors.TooMany,
               errors.Unavailable):
    deserialize_to_instance(_error)


class Entrypoint(Rpc):
    """nameko's RPC entrypoint, but a reply that cannot be sent (the broker went away meanwhile) is given
    up with a log line: in nameko 2 it kills the whole service container, which then answers nothing, not
    even /health. The caller's deadline runs out and it answers 503 (it may call again)."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (OperationalError, ConnectionError, OSError) as exc:
            log.warning("RPC reply not sent: the broker does not answer", entrypoint=self.method_name,
                        reason=f"{type(exc).__name__}: {exc}")
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


class Rpc(DependencyProvider):
    """Like nameko's RpcProxy, but a call that gets no reply in time raises `Unavailable`.

    The deadline is RPC_TIMEOUT_SECONDS, times `patience` for calls known to take longer.
    """

    rpc_reply_listener = ReplyListener()

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
