"""End to end, the notices that say a company's standing changed ("now compliant", the extension) while
versions race: companies send their report in blocks of two versions at once (two scoring instances assess
them side by side), each block the other outcome than the one before (needs more time, compliant, needs
more time, ...), while scoring and notification are killed (SIGKILL) and started again. Whatever order the
versions are assessed and delivered in, each company gets exactly one "now compliant" per turn from
needing more time to compliant, naming a version of the block that turned it, none otherwise, and one
extension; no version's outcome is missing.

Bounded here (STANDING_COMPANIES companies, STANDING_BLOCKS blocks each, STANDING_ROUNDS rounds of kills);
the longer run is the same test:
`STANDING_COMPANIES=40 STANDING_BLOCKS=10 STANDING_ROUNDS=5 scripts/test tests/e2e/test_standings.py`."""
import os
import threading
import time
from collections import Counter

import pytest
import requests

from tests.support import (Platform, SharedEngine, auth, blank_report, register_company, wait_until,
                           with_steps_1_and_21)

pytestmark = pytest.mark.e2e
COMPANIES = int(os.environ.get("STANDING_COMPANIES", "6"))
BLOCKS = int(os.environ.get("STANDING_BLOCKS", "4"))
ROUNDS = int(os.environ.get("STANDING_ROUNDS", "1"))
NEEDS_MORE_TIME, COMPLIANT = blank_report(), with_steps_1_and_21(blank_report(plan_of_approach=True))


@pytest.fixture(scope="module")
def platform(vhost, processes):
    engine = SharedEngine(processes)
    platform = Platform(vhost, processes, MONGO_URI=engine.uri("standings"), CLOCK="2020-12-15T09:00:00+00:00")
    for service in ("submission", "scoring", "notification"):
        platform.start(service)
    platform.start("scoring", instance="scoring-2")
    return platform


def notices(platform, token) -> list[dict]:
    return platform.inbox(token)["items"]


def submit_at_once(platform, token, report, count: int) -> list[int]:
    """`count` versions sent at the same moment (each from a thread of its own); their version numbers."""
    start, answers = threading.Barrier(count), []

    def send():
        start.wait()
        answers.append(requests.post(platform.url("submission", "/v1/reports"), json=report, headers=auth(token),
                                     timeout=30))
    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer.status_code == 202 for answer in answers), [answer.text for answer in answers]
    return [answer.json()["version"] for answer in answers]


def report_in_blocks(platform, token, failures) -> None:
    """Block after block, two versions at once, each block the other outcome; the next block once
    notification heard of both (its outcome notices)."""
    try:
        for block in range(BLOCKS):
            report = NEEDS_MORE_TIME if block % 2 == 0 else COMPLIANT
            versions = sorted(submit_at_once(platform, token, report, 2))
            assert versions == [2 * block + 1, 2 * block + 2]

            def heard():
                outcomes = {each["about"]["version"] for each in notices(platform, token)
                            if each["kind"] == "outcome"}
                return set(versions) <= outcomes
            wait_until(heard, f"notification to hear of versions {versions}", timeout=180, interval=0.2)
    except Exception as exc:  # noqa: BLE001 - the test thread reports it
        failures.append(exc)


def test_now_compliant_and_extensions_follow_each_company_s_latest_version_through_races_and_kills(platform):
    tokens = [register_company(platform.url("submission"), name=f"Standing {n} B.V.")["token"]
              for n in range(COMPANIES)]
    failures: list = []
    senders = [threading.Thread(target=report_in_blocks, args=(platform, token, failures), daemon=True)
               for token in tokens]
    for sender in senders:
        sender.start()
    for _ in range(ROUNDS):
        for service in ("scoring", "notification"):
            time.sleep(2)  # versions on their way
            if not any(sender.is_alive() for sender in senders):
                break
            platform.processes.kill(service)
            time.sleep(0.5)
            platform.start(service)
    for sender in senders:
        sender.join(timeout=600)
    assert not failures, failures

    for number, token in enumerate(tokens):
        found = notices(platform, token)
        outcomes = Counter(each["about"]["version"] for each in found if each["kind"] == "outcome")
        assert set(outcomes) == set(range(1, 2 * BLOCKS + 1)), f"company {number}: an outcome for every version"
        turned = sorted(each["about"]["version"] for each in found if each["kind"] == "now_compliant")
        blocks = [(version - 1) // 2 for version in turned]
        assert blocks == list(range(1, BLOCKS, 2)), \
            f"company {number}: one 'now compliant' per turn to compliant, in the block that turned it: {turned}"
        extensions = [each["key"] for each in found if each["kind"] == "extension"]
        assert len(extensions) == 1, f"company {number}: {extensions}"
    print(f"\n{COMPANIES} companies x {2 * BLOCKS} versions, {ROUNDS} round(s) of kills: every change notice right")
