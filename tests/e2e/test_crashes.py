"""End to end, consumers killed mid-stream: while companies submit reports steadily, scoring, notification
and reporting are each killed (SIGKILL, as a crash or an out-of-memory kill leaves them) and started again,
in turn, every service its own process on the real RabbitMQ and their databases in a document store of
their own (the shared engine, as MongoDB would be). Afterwards nothing is lost and nothing counted twice:
every version assessed, every receipt and outcome in the inbox once, every company counted once in the
figures, the proof agrees, nothing parked.

Bounded here (``FAULT_REPORTS`, at least 60 reports, and one round of kills, `FAULT_ROUNDS`); the longer run is the same test:
`FAULT_REPORTS=1000 FAULT_ROUNDS=5 scripts/test tests/e2e/test_crashes.py`."""
import os
import subprocess
import threading
import time

import pytest
import requests

from tests.support import (SECRETARIAT_TOKEN, TRUSTONE, Platform, SharedEngine, auth, blank_report,
                           register_company, wait_until, with_steps_1_and_21)

pytestmark = pytest.mark.e2e
REPORTS = int(os.environ.get("FAULT_REPORTS", "60"))
ROUNDS = int(os.environ.get("FAULT_ROUNDS", "1"))
CONSUMERS = ("scoring", "notification", "reporting")


@pytest.fixture(scope="module")
def platform(vhost, processes):
    engine = SharedEngine(processes)
    return Platform(vhost, processes, MONGO_URI=engine.uri("crashes")).start_all()


def submit_steadily(platform, tokens, accepted, stop, failures):
    """The companies report in turn, each again and again (new versions), about ten reports a second,
    until the kills are over and at least `REPORTS` were accepted. A refusal ends it, kept in `failures`."""
    try:
        _submit(platform, tokens, accepted, stop)
    except Exception as exc:  # noqa: BLE001 - the test thread reports it
        failures.append(exc)


def _submit(platform, tokens, accepted, stop):
    session = requests.Session()
    reports = [blank_report(), with_steps_1_and_21(blank_report(plan_of_approach=True))]
    number = 0
    while not stop.is_set() or number < REPORTS:
        token = tokens[number % len(tokens)]
        answer = session.post(platform.url("submission", "/v1/reports"), json=reports[number // len(tokens) % 2],
                              headers=auth(token), timeout=30)
        assert answer.status_code == 202, answer.text
        accepted.append((token, answer.json()["id"], answer.json()["version"]))
        number += 1
        time.sleep(0.1)


def test_consumers_killed_mid_stream_lose_nothing_and_count_nothing_twice(platform):
    tokens = [register_company(platform.url("submission"), name=f"Crash {number} B.V.")["token"]
              for number in range(max(2, REPORTS // 2))]
    accepted, stop, failures = [], threading.Event(), []
    sender = threading.Thread(target=submit_steadily, args=(platform, tokens, accepted, stop, failures),
                              daemon=True)
    sender.start()
    try:
        for _ in range(ROUNDS):
            for service in CONSUMERS:
                handled = len(accepted)
                wait_until(lambda: len(accepted) >= handled + 5 or failures, "reports on their way")
                assert not failures, failures
                platform.processes.kill(service)
                time.sleep(1)  # reports keep coming while it is down
                platform.start(service)
    finally:
        stop.set()
        sender.join(timeout=600)
    assert not failures, failures
    assert not sender.is_alive() and len(accepted) >= REPORTS

    companies = {token for token, _, _ in accepted}

    def everything_done():
        figures = platform.figures()
        return figures["assessed_reports"] == len(companies) and all(
            len(requests.get(platform.url("scoring", f"/v1/reports/{report_id}/assessments"),
                             headers=auth(SECRETARIAT_TOKEN), timeout=10).json()) == versions
            for report_id, versions in latest_versions(accepted).items())
    wait_until(everything_done, "every version assessed and every company counted", timeout=120)

    for token in companies:
        mine = [(report_id, version) for each, report_id, version in accepted if each == token]
        kinds = [each["kind"] for each in platform.inbox(token)["items"]]
        assert kinds.count("receipt") == len(mine), "one receipt per version, none lost, none twice"
        assert kinds.count("outcome") == len(mine), "one outcome per version, none lost, none twice"
    proof = requests.get(platform.url("reporting", "/v1/sector/1/proof"), headers=auth(SECRETARIAT_TOKEN),
                         timeout=60).json()
    assert proof["agrees"], proof["differences"]
    listing = subprocess.run([TRUSTONE, "parked", "list"], env=platform.env, capture_output=True, text=True,
                             timeout=60)
    assert listing.stdout.startswith("0 parked message(s)"), listing.stdout + listing.stderr


def latest_versions(accepted):
    """report id -> how many versions of it were accepted."""
    versions = {}
    for _, report_id, version in accepted:
        versions[report_id] = max(versions.get(report_id, 0), version)
    return versions
