"""End to end, a running platform moved from classic to quorum queues with `trustone queues quorum`, one
service at a time, while companies keep submitting reports: each service is stopped, its queues (with
the events that wait for it, and a parked poison message) are moved, and it is started again with
QUEUE_TYPE=quorum. The command refuses a service that still runs. Afterwards every queue that outlives a
process is a quorum queue, every report was assessed and counted once, every notice is in its inbox once,
the proof agrees, and the poison messages are still parked, where an operator finds them. On the machine's
RabbitMQ (a vhost of the test's own; a single node runs quorum queues as a cluster does)."""
import re
import subprocess
import time

import pytest

from tests.support import (TRUSTONE, Platform, ReportStream, SharedEngine, assert_each_report_once, publish_raw,
                           register_company, wait_until)

pytestmark = pytest.mark.e2e
SERVICES = ("submission", "scoring", "notification", "reporting", "complaints")  # all but the portal (a client)
POISONED = ("notification", "reporting", "complaints")  # the consumers of company_registered


@pytest.fixture(scope="module")
def platform(vhost, processes):
    engine = SharedEngine(processes)
    platform = Platform(vhost, processes, MONGO_URI=engine.uri("move"), QUEUE_TYPE="classic")
    for service in SERVICES:
        platform.start(service)
    return platform


def trustone(platform, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRUSTONE, *args], env=platform.env, capture_output=True, text=True, timeout=120)


def test_a_running_platform_moves_to_quorum_queues_one_service_at_a_time_losing_nothing(platform):
    publish_raw(platform.amqp_uri, "submission.events", "company_registered", b"\x00 not json")
    wait_until(lambda: parked_count(platform) == len(POISONED), "the poison message to be parked by each consumer")
    tokens = [register_company(platform.url("submission"), name=f"Move {number} B.V.")["token"]
              for number in range(10)]
    stream = ReportStream(platform, tokens, 60, pause=0.2).start()
    refused = trustone(platform, "queues", "quorum", "notification")
    assert refused.returncode == 1 and "stop notification first" in refused.stdout, refused.stdout + refused.stderr
    moved = {}
    try:
        for service in ("notification", "reporting", "scoring", "complaints", "submission"):
            mark = len(stream.accepted)
            wait_until(lambda: len(stream.accepted) >= mark + 5 or stream.refused, "reports on their way")
            if service == "submission":  # it takes the reports: they wait while it moves
                stream.held.set()
                time.sleep(0.5)
            platform.stop(service)
            time.sleep(1)  # events for it wait on its queues
            answer = trustone(platform, "queues", "quorum", service)
            assert answer.returncode == 0, answer.stdout + answer.stderr
            moved[service] = answer.stdout
            platform.start(service, QUEUE_TYPE="quorum")
            stream.held.clear()
    finally:
        stream.stop.set()
    stream.finish()
    checked = assert_each_report_once(platform, stream.accepted)
    print(f"\nnotices checked, each once where it should be: {dict(checked)}")
    assert checked["now_compliant"], "the stream turns companies compliant: its notices were checked"
    counts = {service: int(re.search(r"\((\d+) message\(s\) moved\)", text)[1]) for service, text in moved.items()}
    assert counts["notification"] >= 1, "its parked message at least"
    assert sum(counts.values()) > 2 * len(POISONED), f"events waited for the stopped services: {moved}"
    listing = trustone(platform, "queues", "list", "--all").stdout.splitlines()
    declared = [line for line in listing if "not declared" not in line]
    assert declared and all("  quorum  " in line for line in declared), listing
    assert any(line.startswith("rpc-submission  quorum") for line in listing), listing
    assert parked_count(platform) == len(POISONED), "the parked messages moved with their queues"


def parked_count(platform) -> int:
    listing = trustone(platform, "parked", "list")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    return int(listing.stdout.splitlines()[-1].split()[0])
