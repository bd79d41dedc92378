"""Every service as its own OS process (`nameko run`), on a fresh vhost of the real RabbitMQ."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from tests.conftest import SECRETARIAT_TOKEN, free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("submission", "scoring", "notification", "reporting")
NAMEKO = str(Path(sys.executable).with_name("nameko"))
TRUSTONE = str(Path(sys.executable).with_name("trustone"))


def wait_until(check, timeout=20.0, interval=0.1, what="condition"):
    """Polls `check` until it returns something truthy; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


def metric(platform, service, name, labels=""):
    """The value of one sample on a service's /metrics, 0 when absent."""
    text = requests.get(platform.url(service, "/metrics"), timeout=5).text
    found = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


class Processes:
    """Started OS processes with their logs, stopped at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict) -> None:
        log = open(self.directory / f"{name}.log", "ab")
        self.running[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


class Platform:
    def __init__(self, amqp_uri: str, processes: Processes):
        self.amqp_uri = amqp_uri
        self.processes = processes
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {
            **os.environ, "AMQP_URI": amqp_uri,
            "MONGO_URI": f"mongomock://localhost/e2e_{uuid.uuid4().hex[:8]}",
            "SECRETARIAT_TOKEN": SECRETARIAT_TOKEN, "HTTP_HOST": "127.0.0.1", "LOG_LEVEL": "INFO",
            "OUTBOX_GRACE_SECONDS": "2",
            **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
        }

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def start(self, service: str) -> None:
        self.processes.start(service, [NAMEKO, "run", "--config", "deploy/config.yaml",
                                       f"services.{service}.service"], self.env)
        wait_until(lambda: requests.get(self.url(service, "/health"), timeout=1).status_code == 200,
                   what=f"{service} to answer /health")

    def stop(self, service: str) -> None:
        self.processes.stop(service)


@pytest.fixture(scope="module")
def vhost(request):
    """A RabbitMQ vhost of our own (through the management API), deleted afterwards."""
    from nameko.testing.rabbit import Client
    api = Client(request.config.getoption("RABBIT_API_URI"))
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    name = f"trustone_e2e_{uuid.uuid4().hex[:10]}"
    api.create_vhost(name)
    api.set_vhost_permissions(name, amqp.username, ".*", ".*", ".*")
    yield f"{amqp.scheme}://{amqp.netloc}/{name}"
    api.delete_vhost(name)


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    running = Processes(tmp_path_factory.mktemp("logs"))
    yield running
    running.stop_all()


@pytest.fixture(scope="module")
def platform(vhost, processes):
    """All four services, each in its own process, on the real RabbitMQ."""
    platform = Platform(vhost, processes)
    for service in SERVICES:
        platform.start(service)
    return platform
