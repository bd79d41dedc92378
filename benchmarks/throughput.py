"""One run, one table: the broker's ceiling, the platform against it, its latency, its cost per report, and
the sector figures' cost as companies grow.

    .venv/bin/python benchmarks/throughput.py [--seconds 20] [--figures 1000 10000 100000] [--stored 1000 20000]

Needs RabbitMQ on 127.0.0.1:5672 with its management API on :15672 (guest/guest), as the tests do; it
makes a vhost of its own and removes it. Measured, in this order:

- the raw ceiling (kombu, persistent 2 KB messages): publish with and without publisher confirms, and
  consume with manual acks; again after the platform ran;
- the platform as one `trustone run <service>` process per service on RabbitMQ (in-process documents each), and as
  the embedded one (`trustone run`: every service in one process, in-memory broker), at full speed with 1
  and 4 clients: reports/s accepted and counted in the sector figures, the ratio to the confirmed-publish
  ceiling, CPU ms per report per service (and of RabbitMQ and of the benchmark's clients), broker
  operations per report (RabbitMQ's own message counts), resident memory per service;
- the latency from POST to counted in the figures (reporting's lag histogram, interpolated), p50/p95/p99,
  at fixed offered loads of 10 and 25 reports/s;
- CPU per report again (RabbitMQ, 4 clients, a platform of its own) once 1,000 and once 20,000 reports
  are stored (`--stored`), sent by 6,000 companies in turn (`--stored-companies`: a few versions each, as
  a covenant year has), to show that the cost of a report does not grow with the data;
- the sector figures' apply and read cost beside a full recomputation (benchmarks/sector_figures.py).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import requests
from kombu import Connection, Consumer, Exchange, Producer, Queue
from prometheus_client.parser import text_string_to_metric_families

import sector_figures  # beside this file
from common.vocabulary import SERVICES
from launcher import demo

ROOT = Path(__file__).resolve().parent.parent

EXAMPLE = json.loads((ROOT / "examples" / "report.json").read_text())
MANAGEMENT = "http://127.0.0.1:15672/api"
GUEST = ("guest", "guest")
PIPELINE = ("submission", "scoring", "notification", "reporting")  # what a report goes through
SECRETARIAT = "benchmark-secretariat-token-long-enough-to-start"
OPERATOR = {"Authorization": "Bearer benchmark-metrics-token"}
TRUSTONE = str(ROOT / ".venv" / "bin" / "trustone")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Vhost:
    """A RabbitMQ vhost of the benchmark's own, through the management API."""

    def __init__(self):
        self.name = f"trustone_bench_{uuid.uuid4().hex[:8]}"
        requests.put(f"{MANAGEMENT}/vhosts/{self.name}", auth=GUEST, timeout=10).raise_for_status()
        requests.put(f"{MANAGEMENT}/permissions/{self.name}/guest", auth=GUEST, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        self.uri = f"amqp://guest:guest@127.0.0.1:5672/{self.name}"

    def operations(self) -> int:
        """Messages published, delivered and acknowledged in the vhost so far."""
        stats = requests.get(f"{MANAGEMENT}/vhosts/{self.name}", auth=GUEST, timeout=10).json().get("message_stats", {})
        return sum(stats.get(name, 0) for name in ("publish", "deliver_get", "ack"))

    def remove(self):
        requests.delete(f"{MANAGEMENT}/vhosts/{self.name}", auth=GUEST, timeout=10)


# --- the ceiling ----------------------------------------------------------------------------------------

def ceiling(amqp_uri: str, messages: int = 3000) -> dict[str, float]:
    """msg/s: persistent ~2 KB messages published with and without confirms, consumed with manual acks."""
    body = "x" * 2048
    found = {}
    for confirms in (True, False):
        queue = Queue(f"ceiling-{uuid.uuid4().hex[:6]}", Exchange("", type="direct"), durable=True)
        with Connection(amqp_uri, transport_options={"confirm_publish": confirms}) as connection:
            channel = connection.channel()
            queue(channel).declare()
            producer = Producer(channel)
            started = time.perf_counter()
            for _ in range(messages):
                producer.publish(body, routing_key=queue.name, delivery_mode=2)
            found["publish with confirms" if confirms else "publish without confirms"] = \
                messages / (time.perf_counter() - started)
            if confirms:
                found["consume with manual acks"] = _consume(connection, queue, messages)
            queue(channel).delete()
    return found


def _consume(connection, queue, messages: int) -> float:
    received = 0

    def acknowledge(body, message):
        nonlocal received
        message.ack()
        received += 1
    with Consumer(connection.channel(), [queue], callbacks=[acknowledge], prefetch_count=200):
        started = time.perf_counter()
        while received < messages:
            connection.drain_events(timeout=10)
        return messages / (time.perf_counter() - started)


# --- the platform ---------------------------------------------------------------------------------------

class Running:
    """A platform's processes: `processes` maps a service (or "all") to its psutil process."""

    def __init__(self, kind: str, amqp_uri: str | None, logs: Path):
        self.kind = kind
        self.ports = {name: free_port() for name in SERVICES}
        env = {**os.environ, "MONGO_URI": "mongomock://localhost/bench", "SECRETARIAT_TOKEN": SECRETARIAT,
               "METRICS_TOKEN": OPERATOR["Authorization"].removeprefix("Bearer "), "HTTP_HOST": "127.0.0.1",
               "LOG_LEVEL": "WARNING", **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()}}
        env.pop("AMQP_URI", None)
        if amqp_uri:
            env["AMQP_URI"] = amqp_uri
        groups = {name: [name] for name in SERVICES} if amqp_uri else {"all": []}
        self.processes = {}
        for name, services in groups.items():
            log = open(logs / f"{kind}-{name}.log", "w")
            started = subprocess.Popen([TRUSTONE, "run", *services], env=env, cwd=ROOT, stdout=log, stderr=log)
            self.processes[name] = psutil.Process(started.pid)
        demo.wait_until_up({name: self.url(name) for name in SERVICES}, timeout=90)

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def cpu_seconds(self) -> dict[str, float]:
        return {name: sum(process.cpu_times()[:2]) for name, process in self.processes.items()}

    def memory_mb(self) -> dict[str, float]:
        return {name: process.memory_info().rss / 2**20 for name, process in self.processes.items()}

    def counted(self) -> float:
        text = requests.get(self.url("reporting", "/metrics"), headers=OPERATOR, timeout=10).text
        return sum(sample.value for family in text_string_to_metric_families(text)
                   if family.name == "trustone_contributions_applied" for sample in family.samples
                   if sample.name.endswith("_total"))

    def lag(self) -> list[tuple[float, float]]:
        """(upper bound, cumulative count) of the lag to `counted`."""
        text = requests.get(self.url("reporting", "/metrics"), headers=OPERATOR, timeout=10).text
        return [(float(sample.labels["le"]), sample.value) for family in text_string_to_metric_families(text)
                if family.name == "trustone_pipeline_lag_seconds" for sample in family.samples
                if sample.name.endswith("_bucket") and sample.labels.get("stage") == "counted"]

    def stop(self):
        for process in self.processes.values():
            process.terminate()
        psutil.wait_procs(list(self.processes.values()), timeout=20)


def _wait(check, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def together(work, clients: int) -> None:
    """Runs work(0) ... work(clients - 1) at once, each in a thread of its own, and waits for them all."""
    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def companies(platform: Running, count: int, clients: int = 4) -> list[str]:
    """Registers `count` member companies (`clients` at a time); returns their tokens."""
    tokens: list[str] = []

    def register(numbers):
        session = requests.Session()
        for number in numbers:
            created = session.post(platform.url("submission", "/v1/companies"), timeout=30,
                                   headers={"Authorization": f"Bearer {SECRETARIAT}"},
                                   json={"name": f"Bench {uuid.uuid4().hex[:8]}", "country": "NL",
                                         "role": "importer", "imports_directly": True, "joined_on": "2019-10-01",
                                         "language": "nl", "email": f"bench{number}@example.nl"})
            created.raise_for_status()
            tokens.append(created.json()["token"])
    together(lambda index: register(range(index, count, clients)), clients)
    assert len(tokens) == count, "every company registered"
    return tokens


class Client:
    """A company's client posting reports over one kept-alive connection. It shares the machine with the
    platform, so it costs as little as it can: plain http.client and bodies encoded once (requests took
    1.0 ms of CPU per report, this about a third of that)."""

    BODIES = [json.dumps({**EXAMPLE, "chains": chains}).encode() for chains in range(60)]

    def __init__(self, platform: Running):
        self.connection = http.client.HTTPConnection("127.0.0.1", platform.ports["submission"], timeout=30)

    def submit(self, token: str, number: int) -> None:
        self.connection.request("POST", "/v1/reports", body=self.BODIES[number % len(self.BODIES)],
                                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        answer = self.connection.getresponse()
        text = answer.read()
        assert answer.status == 202, text


def others_cpu_seconds() -> dict[str, float]:
    """CPU seconds of what shares the machine with the services: RabbitMQ (its Erlang VM) and this
    process (the benchmark's clients)."""
    broker = 0.0
    for each in psutil.process_iter(["name", "cpu_times"]):  # every Erlang VM here: run nothing else beside
        if "beam" in (each.info["name"] or "") and each.info["cpu_times"]:
            broker += sum(each.info["cpu_times"][:2])
    return {"RabbitMQ": broker, "the clients": sum(psutil.Process().cpu_times()[:2])}


def full_speed(platform: Running, tokens: list[str], clients: int, seconds: float, vhost: Vhost | None) -> dict:
    """Reports sent as fast as `clients` threads can for `seconds`; then until every one is counted."""
    counted_before, cpu_before, others_before = platform.counted(), platform.cpu_seconds(), others_cpu_seconds()
    operations_before = vhost.operations() if vhost else 0
    sent = [0] * clients
    deadline = time.monotonic() + seconds

    def post_reports(index: int):
        client = Client(platform)
        while time.monotonic() < deadline:
            client.submit(tokens[(index + clients * sent[index]) % len(tokens)], sent[index])
            sent[index] += 1
    started = time.monotonic()
    together(post_reports, clients)
    accepted_in = time.monotonic() - started
    total = sum(sent)
    _wait(lambda: platform.counted() - counted_before >= total, "every report counted", timeout=600)
    counted_in = time.monotonic() - started
    time.sleep(1.5)  # the last notices and relay rounds
    cpu_after, others_after = platform.cpu_seconds(), others_cpu_seconds()
    return {"reports": total, "accepted_per_s": total / accepted_in, "counted_per_s": total / counted_in,
            "cpu_ms": {name: (cpu_after[name] - cpu_before[name]) * 1000 / total for name in cpu_after},
            "others_ms": {name: (others_after[name] - others_before[name]) * 1000 / total for name in others_after},
            "broker_ops": ((vhost.operations() - operations_before) / total) if vhost else None}


def fill(platform: Running, tokens: list[str], stored: int, clients: int = 4) -> None:
    """Reports sent (4 clients) until the platform has counted `stored` of them since it started."""
    missing = stored - int(platform.counted())
    if missing <= 0:
        return
    each = -(-missing // clients)

    def post_reports(index: int):
        client = Client(platform)
        for number in range(each):
            client.submit(tokens[(index + clients * number) % len(tokens)], number)
    together(post_reports, clients)
    _wait(lambda: platform.counted() >= stored, f"{stored:,} reports stored and counted", timeout=1800)


def offered(platform: Running, tokens: list[str], rate: float, seconds: float) -> dict:
    """Reports sent at `rate` per second for `seconds`; the lag to counted, p50/p95/p99."""
    before = dict(platform.lag())
    counted_before = platform.counted()
    client = Client(platform)
    total = int(rate * seconds)
    started = time.monotonic()
    for number in range(total):
        time.sleep(max(0.0, started + number / rate - time.monotonic()))
        client.submit(tokens[number % len(tokens)], number)
    _wait(lambda: platform.counted() - counted_before >= total, "every report counted", timeout=600)
    buckets = [(bound, count - before.get(bound, 0)) for bound, count in platform.lag()]
    return {f"p{int(q * 100)}": _quantile(buckets, q) for q in (0.5, 0.95, 0.99)}


def _quantile(buckets: list[tuple[float, float]], q: float) -> float:
    """histogram_quantile, as Prometheus computes it: linear within the bucket that holds the rank."""
    total = buckets[-1][1]
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 0)
        lower, below = bound, count
    return lower


# --- the table ------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0, help="each full-speed and fixed-load run")
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--figures", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--stored", type=int, nargs="*", default=[1_000, 20_000],
                        help="CPU per report measured again once this many reports are stored (RabbitMQ)")
    parser.add_argument("--stored-companies", type=int, default=6_000,
                        help="the companies those reports come from, in turn (a few versions each)")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []

    def row(measure: str, where: str, value: str):
        rows.append((measure, where, value))
        print(f"| {measure} | {where} | {value} |", file=sys.stderr, flush=True)  # progress as it goes

    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"trustone-bench-{uuid.uuid4().hex[:6]}"
    logs.mkdir()
    vhost = Vhost()
    try:
        before = ceiling(vhost.uri)
        for name, value in before.items():
            row(f"ceiling: {name}", "kombu, before", f"{value:,.0f} msg/s")
        for kind in ("rabbitmq", "embedded"):
            where = f"{len(SERVICES)} processes on RabbitMQ" if kind == "rabbitmq" else "embedded (1 process, in-memory broker)"
            platform = Running(kind, vhost.uri if kind == "rabbitmq" else None, logs)
            try:
                tokens = companies(platform, args.companies)
                for clients in (1, 4):
                    found = full_speed(platform, tokens, clients, args.seconds, vhost if kind == "rabbitmq" else None)
                    at = f"{where}, {clients} client(s)"
                    row("reports/s accepted", at, f"{found['accepted_per_s']:.1f}")
                    row("reports/s counted in the figures", at, f"{found['counted_per_s']:.1f}")
                    row("counted / confirmed-publish ceiling", at,
                        f"{found['counted_per_s'] / before['publish with confirms']:.1%}")
                    row("CPU ms per report", at, ", ".join(f"{name} {value:.1f}" for name, value in
                                                           found["cpu_ms"].items()) +
                        f" (all {sum(found['cpu_ms'].values()):.1f})")
                    row("CPU ms per report besides the services", at, ", ".join(
                        f"{name} {value:.1f}" for name, value in found["others_ms"].items()
                        if name != "RabbitMQ" or kind == "rabbitmq"))
                    if found["broker_ops"] is not None:
                        row("broker operations per report (publish, deliver, ack)", at, f"{found['broker_ops']:.1f}")
                for rate in (10, 25):
                    found = offered(platform, tokens, rate, args.seconds)
                    row("POST to counted, p50 / p95 / p99", f"{where}, {rate} reports/s offered",
                        " / ".join(f"{found[p] * 1000:.0f} ms" for p in ("p50", "p95", "p99")))
                row("resident memory", where, ", ".join(f"{name} {value:.0f} MB"
                                                        for name, value in platform.memory_mb().items()))
            finally:
                platform.stop()
        if args.stored:  # the cost of a report as reports accumulate, on a platform of its own
            platform = Running("stored", vhost.uri, logs)
            try:
                tokens = companies(platform, args.stored_companies)
                for stored in args.stored:
                    fill(platform, tokens, stored)
                    found = full_speed(platform, tokens, 4, args.seconds, vhost)
                    row("CPU ms per report", f"{len(SERVICES)} processes on RabbitMQ, 4 clients, {stored:,} "
                        f"reports of {args.stored_companies:,} companies stored before",
                        ", ".join(f"{name} {value:.1f}" for name, value in found["cpu_ms"].items()) +
                        f" (all {sum(found['cpu_ms'].values()):.1f})")
                row("resident memory", f"{len(SERVICES)} processes on RabbitMQ, after the last of those",
                    ", ".join(f"{name} {value:.0f} MB" for name, value in platform.memory_mb().items()))
            finally:
                platform.stop()
        for name, value in ceiling(vhost.uri).items():
            row(f"ceiling: {name}", "kombu, after", f"{value:,.0f} msg/s")
    finally:
        vhost.remove()
    for companies_count in args.figures:
        found = sector_figures.measure(companies_count, "mongomock://localhost/bench_{run}")
        where = f"{companies_count:,} companies, in-process engine"
        row("sector figures: apply one contribution / read the figures / recompute", where,
            f"{found['apply_ms']:.2f} / {found['read_ms']:.2f} / {found['recompute_ms']:,.0f} ms "
            f"(recompute {found['recompute_ms'] / found['read_ms']:,.0f} x a read)")
        row("sector figures: largest shard / a contribution", where,
            f"{found['largest_shard_kb']:.1f} KB / {found['contribution_kb']:.1f} KB")
    print(f"\nmachine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
          f"Python {sys.version.split()[0]}; logs in {logs}")
    print("| measure | where | value |\n| --- | --- | --- |")
    for measure, where, value in rows:
        print(f"| {measure} | {where} | {value} |")


if __name__ == "__main__":
    main()
