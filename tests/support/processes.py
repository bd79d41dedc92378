"""The platform's processes: services run as `nameko run` processes on the real broker, a link that can
be cut, the shared engine, what the image copies, RabbitMQ nodes of a test's own (a cluster), and a
stream of reports with the checks that each was taken once."""
from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

from common.vocabulary import SERVICES
from tests.support.basics import (API_SERVICES, METRICS_TOKEN, NAMEKO, PORTAL_SERVICE_KEY, ROOT, SECRETARIAT_TOKEN,
                                  TRUSTONE, auth, free_port, metric, metric_total, wait_for_listener, wait_until)
from tests.support.peers import appoint_chair, seat_commission_member
from tests.support.reports import blank_report, with_steps_1_and_21


class Processes:
    """Started OS processes with their logs, stopped at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.running: dict[str, subprocess.Popen] = {}
        self.lasting: set[str] = set()  # stopped after the others, which rely on them (the shared engine)

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

    def last_lines(self, count: int = 40) -> dict[str, str]:
        """The last `count` lines of each process's log, for a failure's report."""
        return {log.stem: "\n".join(log.read_text(errors="replace").splitlines()[-count:])
                for log in sorted(self.directory.glob("*.log"))}

    def stop_all(self) -> None:
        """Every process asked to stop at once, then waited for: each takes seconds to finish its work, and
        one after the other they took half a minute per platform. What the others rely on stops after them."""
        for group in ([name for name in self.running if name not in self.lasting], list(self.lasting)):
            stopping = [(name, self.running.pop(name)) for name in group if name in self.running]
            for _, process in stopping:
                process.terminate()
            deadline = time.monotonic() + 10
            for _, process in stopping:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


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
        processes.lasting.add(name)

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


class RabbitCluster:
    """RabbitMQ nodes of a test's own, each a host of its own: a network namespace with one end of a veth
    pair, the other ends on a bridge of the test's own where this machine has an address too (traffic only
    between them and this machine: nothing is forwarded or routed further). Each node has its own name,
    data and log folders under `directory`; all share one Erlang cookie of their own (their HOME holds it:
    the machine's cookie is not read nor changed) and find each other's addresses in an Erlang hosts file
    of their own (ERL_INETRC: /etc/hosts is not touched). Started from Debian's rabbitmq-server as this
    user (root: namespaces need it), joined into one cluster, and removed with everything they were given.
    The machine's own RabbitMQ is not touched.

    `pause_minority` (as `deploy/rabbitmq-cluster.conf` sets for the compose cluster): a node cut off from
    the majority pauses itself, and carries on when it sees the others again; `net_ticktime` 8 s, so that
    a node cut off is noticed in seconds rather than a minute."""

    SBIN = Path("/usr/lib/rabbitmq/bin")  # Debian's scripts; /usr/sbin's wrappers would switch to the user rabbitmq
    AMQP_PORT = 5672  # in each node's namespace

    def __init__(self, directory: Path, size: int = 3):
        self.directory = directory
        self.stem = f"ts{uuid.uuid4().hex[:6]}"
        taken = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=True).stdout
        subnets = [f"10.{second}.{third}" for second in range(200, 250) for third in range(0, 250, 7)]
        random.shuffle(subnets)
        self.subnet = next(each for each in subnets if f"{each}." not in taken)
        self.bridge = f"b{self.stem}"
        self.hosts = {f"{self.stem}{chr(ord('a') + index)}": f"{self.subnet}.{index + 2}" for index in range(size)}
        self.nodes = [f"rabbit@{host}" for host in self.hosts]
        self.home = directory / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(uuid.uuid4().hex.upper())
        cookie.chmod(0o400)
        self.inetrc = directory / "inetrc"
        self.inetrc.write_text("".join(f'{{host, {{{address.replace(".", ",")}}}, ["{host}"]}}.\n'
                                       for host, address in self.hosts.items()) + "{lookup, [file, native]}.\n")
        self.running: dict[str, subprocess.Popen] = {}
        self.cut: set[str] = set()

    @staticmethod
    def host_of(node: str) -> str:
        return node.split("@")[1]

    def address(self, node: str) -> str:
        return self.hosts[self.host_of(node)]

    def uri(self, vhost: str = "") -> str:
        """kombu's failover list naming every node (nameko and kombu take it as AMQP_URI)."""
        return ";".join(self.node_uri(node, vhost) for node in self.nodes)

    def node_uri(self, node: str, vhost: str = "") -> str:
        return f"amqp://guest:guest@{self.address(node)}:{self.AMQP_PORT}/{vhost}"

    def _network(self) -> None:
        def ip(*args):
            subprocess.run(["ip", *args], check=True, capture_output=True)
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for host, address in self.hosts.items():
            ip("netns", "add", host)
            ip("link", "add", f"v{host}", "type", "veth", "peer", "name", "eth0", "netns", host)
            ip("link", "set", f"v{host}", "master", self.bridge, "up")
            ip("-n", host, "addr", "add", f"{address}/24", "dev", "eth0")
            ip("-n", host, "link", "set", "eth0", "up")
            ip("-n", host, "link", "set", "lo", "up")

    def _env(self, node: str) -> dict:
        host = self.host_of(node)
        base = self.directory / host
        (base / "log").mkdir(parents=True, exist_ok=True)
        (base / "mnesia").mkdir(parents=True, exist_ok=True)
        config = base / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.1 = {self.address(node)}:{self.AMQP_PORT}\n"
            "loopback_users = none\n"  # guest, from this machine's address on the bridge
            "cluster_partition_handling = pause_minority\n"
            "log.console = false\nlog.file.level = info\n")
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        interface = "{" + self.address(node).replace(".", ",") + "}"
        return {"PATH": os.environ["PATH"], "HOME": str(self.home), "LANG": "C.UTF-8",
                "ERL_INETRC": str(self.inetrc), "RABBITMQ_NODENAME": node,
                "RABBITMQ_NODE_PORT": str(self.AMQP_PORT), "RABBITMQ_DIST_PORT": "25672",
                "RABBITMQ_CONFIG_FILE": str(config), "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
                "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
                "RABBITMQ_PID_FILE": str(base / "pid"),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                    f"-kernel net_ticktime 8 -kernel inet_dist_use_interface {interface}"}

    def ctl(self, node: str, *args: str, timeout: float = 60, check: bool = True,
            tool: str = "rabbitmqctl") -> subprocess.CompletedProcess:
        """A CLI tool asking `node`, from the node's own namespace: a CLI tool is a node too, named after the
        node it asks, that the others must reach at that name (with what the node lists, say)."""
        done = subprocess.run(["ip", "netns", "exec", self.host_of(node), str(self.SBIN / tool), "-n", node, *args],
                              env=self._env(node),
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} on {node}: {done.stdout}{done.stderr}")
        return done

    def start_node(self, node: str) -> None:
        """Starts `node` in its namespace (again: it keeps its data and its place in the cluster) and waits
        until it serves."""
        log = open(self.directory / f"{self.host_of(node)}.out", "ab")
        self.running[node] = subprocess.Popen(["ip", "netns", "exec", self.host_of(node),
                                               str(self.SBIN / "rabbitmq-server")], env=self._env(node),
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.await_node(node, lambda: self.running[node].poll() is None)

    def await_node(self, node: str, alive=lambda: True, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.ctl(node, "await_startup", "--timeout", str(int(timeout)), timeout=timeout + 10,
                       check=False).returncode:
            # not yet known to its epmd (still booting its VM), or paused
            if not alive() or time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {node} does not serve: see {self.directory}")
            time.sleep(0.5)

    def stop_node(self, node: str) -> None:
        """Stops `node` the way an operator or a shutdown does (its clients' connections close); a node
        that does not stop within a minute is killed, with whatever it started in its session."""
        process = self.running.pop(node)
        try:
            self.ctl(node, "stop", timeout=60, check=False)
            process.wait(30)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass
            process.wait()

    def restart_node(self, node: str) -> None:
        self.stop_node(node)
        self.start_node(node)

    def cut_off(self, node: str) -> None:
        """A partition: `node` and the other nodes no longer reach each other (a blackhole route each way,
        in their namespaces); this machine still reaches every one of them."""
        for other in self.nodes:
            if other != node:
                for source, target in ((node, other), (other, node)):
                    subprocess.run(["ip", "-n", self.host_of(source), "route", "add", "blackhole",
                                    f"{self.address(target)}/32"], check=True, capture_output=True)
        self.cut.add(node)

    def reconnect(self, node: str) -> None:
        """Ends the partition of `node`."""
        for other in self.nodes:
            if other != node:
                for source, target in ((node, other), (other, node)):
                    subprocess.run(["ip", "-n", self.host_of(source), "route", "del", "blackhole",
                                    f"{self.address(target)}/32"], capture_output=True)
        self.cut.discard(node)

    def start(self) -> "RabbitCluster":
        first, *others = self.nodes
        self._network()
        for node in self.nodes:
            self.start_node(node)
        for node in others:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first)
            self.ctl(node, "start_app")
        return self

    def running_nodes(self, asking: str) -> list[str]:
        answer = self.ctl(asking, "eval", "rabbit_nodes:all_running().", check=False)
        return re.findall(r"'?(rabbit@[\w-]+)'?", answer.stdout)

    def queues(self, vhost: str, *columns: str) -> list[dict]:
        """Each queue of `vhost` as RabbitMQ lists it (asked of a node that runs and is not cut off)."""
        columns = columns or ("name", "type", "messages", "leader", "members")
        asking = next(node for node in self.running if node not in self.cut)
        answer = self.ctl(asking, "list_queues", "-p", vhost, "--formatter", "json", *columns, timeout=60)
        return json.loads(answer.stdout or "[]")

    def stop(self) -> None:
        """Stops every node it started (one that does not stop is killed) and removes what it was given:
        whatever still runs in its namespace (its epmd), the namespace, its veth pair and the bridge."""
        for node in list(self.cut):
            self.reconnect(node)
        for node in list(self.running):
            self.stop_node(node)
        for host in self.hosts:
            pids = subprocess.run(["ip", "netns", "pids", host], capture_output=True, text=True).stdout.split()
            for pid in pids:  # started in the namespace by the node (epmd): ours
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", host], capture_output=True)
            subprocess.run(["ip", "link", "del", f"v{host}"], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


class ReportStream:
    """Companies submitting reports in turn, each again and again (new versions, a blank report and one that
    meets steps 1 and 2.1 by turns), with `pause` seconds between them (0.05: about fifteen a second here),
    from `start()` until `finish()` once at least `at_least` were accepted; every answer is kept with its
    time. `held` pauses it (a service that takes reports is about to stop)."""

    def __init__(self, platform: "Platform", tokens: list[str], at_least: int, pause: float = 0.05):
        import threading
        self.platform, self.tokens, self.at_least, self.pause = platform, tokens, at_least, pause
        self.accepted: list[tuple[str, str, int, float]] = []  # token, report id, version, when answered
        self.refused: list[str] = []
        self.longest_wait = 0.0  # the slowest answer since it was last set to 0
        self.stop, self.held = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "ReportStream":
        self.thread.start()
        return self

    def finish(self) -> None:
        self.held.clear()
        self.stop.set()
        self.thread.join(timeout=600)
        assert not self.refused, self.refused[:5]
        assert not self.thread.is_alive() and len(self.accepted) >= self.at_least

    def _run(self):
        session = requests.Session()
        reports = [blank_report(), with_steps_1_and_21(blank_report(plan_of_approach=True))]
        number = 0
        while not self.stop.is_set() or len(self.accepted) < self.at_least:
            if self.held.is_set():
                time.sleep(0.05)
                continue
            token = self.tokens[number % len(self.tokens)]
            asked = time.monotonic()
            try:
                answer = session.post(self.platform.url("submission", "/v1/reports"), timeout=30,
                                      json=reports[number // len(self.tokens) % 2], headers=auth(token))
            except requests.RequestException as exc:
                self.refused.append(f"{type(exc).__name__}: {exc}")
                continue
            finally:
                self.longest_wait = max(self.longest_wait, time.monotonic() - asked)
            if answer.status_code != 202:
                self.refused.append(f"{answer.status_code} {answer.text}")
                continue
            self.accepted.append((token, answer.json()["id"], answer.json()["version"], time.monotonic()))
            number += 1
            time.sleep(self.pause)

    def assessments(self, report_id: str) -> int:
        answer = requests.get(self.platform.url("scoring", f"/v1/reports/{report_id}/assessments"),
                              headers=auth(SECRETARIAT_TOKEN), timeout=10)
        return len(answer.json()) if answer.status_code == 200 else 0

    def through(self, entry: tuple[str, str, int, float]) -> bool:
        """Whether the accepted report `entry` was assessed and its outcome is in its company's inbox (with
        those of the company's earlier ones)."""
        token, report_id, version, _ = entry
        if self.assessments(report_id) < version:
            return False
        before = sum(1 for each in self.accepted if each[0] == token and each[3] <= entry[3])
        answer = requests.get(self.platform.url("notification", "/v1/notices?per_page=200"), headers=auth(token),
                              timeout=10)
        if answer.status_code != 200:  # notification could not answer just now (a node was lost): not yet
            return False
        return [each["kind"] for each in answer.json()["items"]].count("outcome") >= before


def all_notices(platform: "Platform", token: str) -> list[dict]:
    """Every notice in the inbox of `token`'s holder, page after page (a long stream outgrows one)."""
    items, page, size = [], 1, 200
    while True:
        answer = requests.get(platform.url("notification", f"/v1/notices?per_page={size}&page={page}"),
                              headers=auth(token), timeout=30)
        answer.raise_for_status()
        items += answer.json()["items"]
        if len(answer.json()["items"]) < size:
            return items
        page += 1


def stream_notice_faults(versions: int, inbox: list[dict], alerts: list[dict], before_due: bool) -> list[str]:
    """What is doubled, missing or wrong among the notices a stream's company with one report of `versions`
    versions (needing more time and compliant by turns, or as they came) should have: `inbox` its notices,
    `alerts` the secretariat's alerts about the report, `before_due` whether its versions were submitted by
    the year's due date. Following `services/notification/domain.py`:
    - a receipt and an outcome for each version, once;
    - the secretariat's alert for each version that needs more time, once, and for no other;
    - "now compliant" only for a version that turned needing more time into compliant, never twice; once for
      the latest version if it did (a turn that a newer version overtook at notification, as it may under
      kills and backlogs, rightly has none: it was no longer the standing);
    - the extension (its key: company, year and date) at most once, none after the due date, and once while
      the round is open if the latest version needs more time."""
    def per_version(kind: str, notices: list[dict]) -> Counter:
        return Counter(each["about"]["version"] for each in notices if each["kind"] == kind)
    faults, every = [], Counter(range(1, versions + 1))
    for kind in ("receipt", "outcome"):
        if per_version(kind, inbox) != every:
            faults.append(f"one {kind} per version: {dict(per_version(kind, inbox))}")
    outcome_of = {each["about"]["version"]: each["about"]["outcome"] for each in inbox if each["kind"] == "outcome"}
    needing = Counter(version for version, outcome in outcome_of.items() if outcome == "needs_more_time")
    if per_version("alert_needs_more_time", alerts) != needing:
        faults.append(f"an alert per version needing more time ({sorted(needing)}), once: "
                      f"{dict(per_version('alert_needs_more_time', alerts))}")
    turns = {version for version, outcome in outcome_of.items()
             if outcome == "compliant" and outcome_of.get(version - 1) == "needs_more_time"}
    turned = per_version("now_compliant", inbox)
    if set(turned) - turns or any(count > 1 for count in turned.values()):
        faults.append(f"'now compliant' only on a turn to compliant ({sorted(turns)}), once: {dict(turned)}")
    if versions in turns and not turned[versions]:
        faults.append(f"'now compliant' for the latest version {versions}, which turned compliant: {dict(turned)}")
    extensions = Counter(each["key"] for each in inbox if each["kind"] == "extension")
    if len(extensions) > (1 if before_due else 0) or any(count > 1 for count in extensions.values()):
        faults.append(f"an extension at most once, none after the due date: {dict(extensions)}")
    if before_due and outcome_of.get(versions) == "needs_more_time" and len(extensions) != 1:
        faults.append(f"an extension, as the latest version needs more time: {dict(extensions)}")
    return faults


def assert_each_report_once(platform: "Platform", accepted: list[tuple]) -> Counter:
    """Every report version `accepted` (token, report id, version, ...) was assessed once, every company is
    counted once in year 1's figures, every notice the stream should cause is there once and none it should
    not (`stream_notice_faults`: receipts, outcomes, the secretariat's alerts, "now compliant", extensions),
    and the proof agrees (waits for the pipeline to finish first). Returns how many notices of each kind
    were checked."""
    latest: dict[str, int] = {}
    report_of: dict[str, str] = {}
    for token, report_id, version, *_ in accepted:
        latest[report_id] = max(latest.get(report_id, 0), version)
        assert report_of.setdefault(token, report_id) == report_id, "one report (year 1's) per company"
    companies = set(report_of)

    def assessments(report_id: str) -> list:
        answer = requests.get(platform.url("scoring", f"/v1/reports/{report_id}/assessments"),
                              headers=auth(SECRETARIAT_TOKEN), timeout=10)
        return answer.json() if answer.status_code == 200 else []

    def noticed(token: str) -> Counter:
        return Counter(each["kind"] for each in all_notices(platform, token))

    def everything_done():
        # notification hears each version on queues of its own, which may still be catching up
        return platform.figures()["assessed_reports"] == len(companies) and all(
            len(assessments(report_id)) >= versions for report_id, versions in latest.items()) and all(
            min(noticed(token)["receipt"], noticed(token)["outcome"]) >= latest[report_of[token]]
            for token in companies)
    wait_until(everything_done, "every version assessed and noticed, and every company counted", timeout=120)
    for report_id, versions in latest.items():
        assert len(assessments(report_id)) == versions, "every version assessed once"
    due = requests.get(platform.url("scoring", "/v1/frameworks/1"), timeout=10).json()["due_date"]
    today = platform.env.get("CLOCK") or time.strftime("%Y-%m-%d", time.gmtime())
    alerts = [each for each in all_notices(platform, SECRETARIAT_TOKEN) if each["kind"] == "alert_needs_more_time"]
    faults, checked = {}, Counter()
    for token in companies:
        report_id = report_of[token]
        inbox = all_notices(platform, token)
        about = [each for each in alerts if each["about"]["report_id"] == report_id]
        checked.update(each["kind"] for each in inbox + about)
        found = stream_notice_faults(latest[report_id], inbox, about, before_due=today[:10] <= due)
        if found:
            faults[report_id] = found
    assert not faults, f"notices doubled, missing or wrong, for {len(faults)} of {len(companies)} reports: {faults}"
    proof = requests.get(platform.url("reporting", "/v1/sector/1/proof"), headers=auth(SECRETARIAT_TOKEN),
                         timeout=60).json()
    assert proof["agrees"], proof["differences"]
    return checked
