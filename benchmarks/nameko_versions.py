"""Round trips through the real RabbitMQ with whichever nameko is installed (2.14.1 or 3.0.0rc11).

    python benchmarks/nameko_versions.py [amqp_uri]

Prints standalone RPC calls/s, service-to-service RPC calls/s and events/s (dispatch to handler). The
platform pins the version that does better here (README: "Why nameko 2.14.1").
"""
import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")

from importlib import metadata  # noqa: E402

from nameko.events import EventDispatcher, event_handler  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

try:  # nameko 3
    from nameko.rpc import ServiceRpc as Proxy
    from nameko.standalone.rpc import ClusterRpcClient as Cluster
    version = 3
except ImportError:  # nameko 2
    from nameko.rpc import RpcProxy as Proxy
    from nameko.standalone.rpc import ClusterRpcProxy as Cluster
    version = 2

AMQP_URI = sys.argv[1] if len(sys.argv) > 1 else "amqp://guest:guest@127.0.0.1:5672/"
CALLS, EVENTS = 300, 2000
received = []


class Echo:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


class Caller:
    name = "bench_caller"
    echo_service = Proxy("bench_echo")
    dispatch = EventDispatcher()

    @rpc
    def call_many(self, count):
        started = time.perf_counter()
        for each in range(count):
            self.echo_service.echo(each)
        return count / (time.perf_counter() - started)

    @rpc
    def emit_many(self, count):
        for each in range(count):
            self.dispatch("pinged", {"n": each, "pad": "x" * 1000})


class Listener:
    name = "bench_listener"

    @event_handler("bench_caller", "pinged")
    def on_ping(self, payload):
        received.append(payload["n"])


def main():
    config = {"AMQP_URI": AMQP_URI}
    if version == 3:
        from nameko import config as global_config
        global_config.update(config)
    runner = ServiceRunner(config) if version == 2 else ServiceRunner()
    for cls in (Echo, Caller, Listener):
        runner.add_service(cls)
    runner.start()
    try:
        with (Cluster(config) if version == 2 else Cluster()) as cluster:
            started = time.perf_counter()
            for each in range(CALLS):
                cluster.bench_echo.echo(each)
            standalone = CALLS / (time.perf_counter() - started)
            service_to_service = cluster.bench_caller.call_many(CALLS)
            started = time.perf_counter()
            cluster.bench_caller.emit_many(EVENTS)
            while len(received) < EVENTS:
                eventlet.sleep(0.01)
            events = EVENTS / (time.perf_counter() - started)
    finally:
        runner.stop()
    print(f"nameko {metadata.version('nameko')}: "
          f"standalone RPC {standalone:.0f} calls/s, service RPC {service_to_service:.0f} calls/s, "
          f"events {events:.0f}/s (1 KB, confirmed)")


if __name__ == "__main__":
    main()
