"""The platform's processes: services run as `nameko run` processes on the real broker, a link that can
be cut, the shared engine, and what the image copies."""
from __future__ import annotations

import os
import socket
import subprocess
import uuid
from pathlib import Path

import requests

from common.vocabulary import SERVICES
from tests.support.basics import (API_SERVICES, METRICS_TOKEN, NAMEKO, PORTAL_SERVICE_KEY, ROOT, SECRETARIAT_TOKEN,
                                  TRUSTONE, auth, free_port, metric, metric_total, wait_for_listener, wait_until)
from tests.support.peers import appoint_chair, seat_commission_member


class Processes:
    """Started OS processes with their logs, stopped at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict, cwd: Path = ROOT) -> None:
        log = open(self.directory / f"{name}.log", "ab")
        self.running[name] = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self, name: str) -> None:
        """SIGKILL: the process dies where it stands, as in a crash or an out-of-memory kill."""
        process = self.running.pop(name)
        process.kill()
        process.wait()

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


class TcpLink:
    """A TCP forwarder to `target` (host, port) that can be cut: every connection through it closed and new
    ones refused, as when the network to a broker goes."""

    def __init__(self, target: tuple[str, int]):
        import eventlet
        self.target = target
        self.server = eventlet.listen(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list = []
        self.thread = eventlet.spawn(self._accept)

    def _accept(self):
        import eventlet
        while True:
            client, _ = self.server.accept()
            upstream = eventlet.connect(self.target)
            self.sockets += [client, upstream]
            eventlet.spawn(self._pipe, client, upstream)
            eventlet.spawn(self._pipe, upstream, client)

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except (OSError, EOFError):
            pass
        finally:  # either side gone: the other goes too
            for each in (source, sink):
                try:
                    each.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def uri(self, amqp_uri: str) -> str:
        """`amqp_uri` with this link's address in place of the broker's."""
        scheme, rest = amqp_uri.split("://", 1)
        credentials, _, address = rest.partition("@")
        path = address.partition("/")[2]
        return f"{scheme}://{credentials}@127.0.0.1:{self.port}/{path}"

    def restore(self):
        """Listens again on the same port, as when the network comes back."""
        import eventlet
        self.server = eventlet.listen(("127.0.0.1", self.port))
        self.thread = eventlet.spawn(self._accept)

    def cut(self):
        """Closes the link; each pipe sees its end and stops."""
        self.thread.kill()
        self.server.close()
        for each in self.sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Platform:
    """Every service as its own `nameko run` process, on a vhost of the real RabbitMQ; only its public
    interfaces (HTTP, events, metrics) are used."""

    def __init__(self, amqp_uri: str, processes: Processes, root: Path = ROOT, nameko: str = NAMEKO,
                 **settings: str):
        """`root` and `nameko`: where the code is and the nameko that runs it (by default this checkout's)."""
        self.amqp_uri = amqp_uri
        self.processes = processes
        self.root, self.nameko = root, nameko
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {
            **os.environ, "AMQP_URI": amqp_uri,
            "MONGO_URI": f"mongomock://localhost/e2e_{uuid.uuid4().hex[:8]}",
            "SECRETARIAT_TOKEN": SECRETARIAT_TOKEN, "METRICS_TOKEN": METRICS_TOKEN, "HTTP_HOST": "127.0.0.1", "LOG_LEVEL": "INFO",
            "PORTAL_SERVICE_KEY": PORTAL_SERVICE_KEY,
            "OUTBOX_GRACE_SECONDS": "2",
            **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
            **settings,
        }

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def metric(self, service: str, name: str, labels: str = "") -> float:
        return metric(self.url(service, "/metrics"), name, labels)

    def start(self, service: str, instance: str | None = None, **settings: str) -> None:
        """Starts `service`; with `instance` (e.g. "scoring-2"), one more instance of it under that name, on
        an HTTP port of its own, competing for the same queues. `settings` are this process's own."""
        name = instance or service
        port = self.ports.setdefault(name, free_port())
        self.processes.start(name, [self.nameko, "run", "--config", "deploy/config.yaml",
                                    f"services.{service}.service"],
                             {**self.env, f"{service.upper()}_PORT": str(port), **settings}, cwd=self.root)

        def healthy():
            return requests.get(self.url(name, "/health"), timeout=1).status_code == 200
        wait_until(healthy, f"{name} to answer /health")

    def metric_total(self, instance: str, name: str) -> float:
        """The sum of every sample of a metric (all its labels) on one instance's /metrics."""
        return metric_total(self.url(instance, "/metrics"), name)

    def start_all(self) -> "Platform":
        for service in SERVICES:
            self.start(service)
        return self

    def stop(self, service: str) -> None:
        self.processes.stop(service)

    def start_proxy(self) -> str:
        """deploy/Caddyfile, the compose file's proxy, in front of this platform's processes (Debian's caddy);
        returns its address."""
        import shutil
        assert shutil.which("caddy"), "Debian's caddy runs the proxy's own configuration; .ci/run installs it"
        port = free_port()
        state = self.processes.directory / "caddy"
        env = {"PATH": os.environ["PATH"], "HOME": str(state), "XDG_DATA_HOME": str(state),
               "XDG_CONFIG_HOME": str(state), "PROXY_PORT": str(port),
               **{f"{name.upper()}_HOST": "127.0.0.1" for name in API_SERVICES},
               **{f"{name.upper()}_PORT": str(self.ports[name]) for name in API_SERVICES}}
        self.processes.start("proxy", ["caddy", "run", "--config", str(ROOT / "deploy" / "Caddyfile"),
                                       "--adapter", "caddyfile"], env)

        wait_for_listener(port, "the proxy to listen")
        return f"http://127.0.0.1:{port}"

    def figures(self, year: int = 1) -> dict:
        """The year's figures as they stand (the secretariat's live view: the public reads released editions)."""
        return requests.get(self.url("reporting", f"/v1/sector/{year}/live"), headers=auth(SECRETARIAT_TOKEN),
                            timeout=10).json()

    def published(self, year: int = 1) -> dict:
        """The year's figures as the public reads them: its latest released edition."""
        return requests.get(self.url("reporting", f"/v1/sector/{year}"), timeout=10).json()

    def release(self, year: int = 1) -> requests.Response:
        return requests.post(self.url("reporting", f"/v1/sector/{year}/editions"), headers=auth(SECRETARIAT_TOKEN),
                             timeout=30)

    def inbox(self, token: str) -> dict:
        return requests.get(self.url("notification", "/v1/notices?per_page=200"), headers=auth(token),
                            timeout=10).json()

    def chair(self) -> dict:
        """The commission's chair, appointed at this platform's deployment on first asking (`trustone
        appoint-chair`, which opens once): its id and token."""
        if not hasattr(self, "_chair"):
            self._chair = appoint_chair(self.env)
        return self._chair

    def commission_member(self, seat: str, **overrides) -> dict:
        """A member of the commission in `seat`, registered by the secretariat and confirmed by the chair (the
        chair itself for "chair": the one appointed at deployment)."""
        if seat == "chair" and not overrides:
            return self.chair()
        return seat_commission_member(self.url("submission"), self.chair()["token"], seat, **overrides)


class SharedEngine:
    """`trustone engine`: the in-process document engine served to the processes of this machine
    (`mongomock+tcp://`), so that several instances of a service share their databases."""

    def __init__(self, processes: "Processes", name: str = "engine"):
        self.port = free_port()
        self.uri_base = f"mongomock+tcp://127.0.0.1:{self.port}"
        processes.start(name, [TRUSTONE, "engine", "--port", str(self.port)], dict(os.environ))

        wait_for_listener(self.port, "the shared document engine to listen", timeout=20)

    def uri(self, name: str) -> str:
        return f"{self.uri_base}/{name}"


def copy_what_the_image_copies(destination: Path) -> Path:
    """Copies exactly what deploy/Dockerfile COPYs from the build context (less what .dockerignore leaves
    out) to where the Dockerfile puts it, below `destination` (its WORKDIR); returns `destination`."""
    import fnmatch
    import shlex
    import shutil
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]

    def left_out(relative: str) -> bool:
        parts = relative.split("/")
        return any(fnmatch.fnmatch(relative, pattern) or any(fnmatch.fnmatch(part, pattern.removeprefix("**/"))
                                                              for part in parts) for pattern in ignored)

    for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines():
        if not line.startswith("COPY "):
            continue
        *sources, target = [word for word in shlex.split(line)[1:] if not word.startswith("--")]
        for source in sources:
            into = destination / target / Path(source).name if target.endswith("/") else destination / target
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, into, ignore=lambda folder, names: [
                    name for name in names if left_out(str((Path(folder) / name).relative_to(ROOT)))])
            else:
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, into)
    return destination
