"""End to end, with services going down: a dependency down is a 503 that changes nothing, and what is
published while a consumer is down waits for it on the broker. Each test leaves every service running."""
import time

import pytest
import requests

from tests.support import Platform, auth, register_company, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(vhost, processes):
    return Platform(vhost, processes, RPC_TIMEOUT_SECONDS="2").start_all()


def company(platform):
    return auth(register_company(platform.url("submission"), name="Graniet B.V.")["token"])


def assessed(platform, count):
    def counted():
        return platform.figures()["assessed_reports"] == count
    return counted


def test_a_service_that_is_down_makes_a_503_and_changes_nothing(platform, report):
    headers = company(platform)
    report["covenant_year"] = 2  # a year this submission process has not yet seen confirmed
    platform.stop("scoring")
    refused = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers, timeout=30)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "DEPENDENCY_UNAVAILABLE"
    assert "scoring" in refused.json()["error"]["message"]
    preview = requests.post(platform.url("submission", "/v1/reports/preview"), json=report, headers=headers)
    assert preview.status_code == 503
    assert requests.get(platform.url("submission", "/v1/reports"), headers=headers).json() == []
    platform.start("scoring")
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers)
    assert accepted.status_code == 202


def test_a_year_scoring_confirmed_once_is_taken_while_scoring_is_down(platform, report):
    headers = company(platform)
    before = platform.figures()["assessed_reports"]
    applied = platform.metric("reporting", "trustone_contributions_applied_total", '{covenant_year="1"}')

    def applied_twice():
        return platform.metric("reporting", "trustone_contributions_applied_total",
                               '{covenant_year="1"}') == applied + 2

    assert requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers).status_code == 202
    wait_until(assessed(platform, before + 1), "the first report, which confirms year 1, to be counted")
    platform.stop("scoring")
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers)
    assert accepted.status_code == 202, "year 1 was confirmed by the first report"
    assert requests.post(platform.url("submission", "/v1/reports/preview"), json=report,
                         headers=headers).status_code == 503
    platform.start("scoring")  # the report waited on the broker
    wait_until(applied_twice, "the version taken while scoring was down to be scored and counted")
    assert platform.figures()["assessed_reports"] == before + 1, "a new version replaces the first"


def test_events_published_while_a_consumer_is_down_reach_it_when_it_is_back(platform, report):
    headers = company(platform)
    counted = platform.figures()["assessed_reports"]
    platform.stop("notification")
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers).json()
    wait_until(assessed(platform, counted + 1), "the report to be counted while notification is down")
    platform.start("notification")

    def receipt_and_outcome():
        answer = requests.get(platform.url("notification", "/v1/notices"), headers=headers)
        items = answer.json()["items"] if answer.status_code == 200 else []  # a restarting service may answer 503
        return items if len(items) == 2 else None
    inbox = wait_until(receipt_and_outcome, "the receipt and outcome queued for the stopped notification service")
    assert {(each["kind"], each["about"]["report_id"]) for each in inbox} == {
        ("receipt", accepted["id"]), ("outcome", accepted["id"])}


def test_a_quiet_service_asked_to_stop_stops_before_docker_would_kill_it(platform):
    """`docker stop` sends SIGTERM and kills after 10 seconds. The portal, with no timer and no broker
    traffic of its own, used to sit out the 10 seconds and be killed mid-request; now it stops by itself."""
    time.sleep(3)  # nobody asks it anything: its event loop has nothing to wake it
    process = platform.processes.running.pop("portal")
    process.terminate()
    try:
        assert process.wait(timeout=10) == 0, "stopped by itself"
    finally:
        process.kill()  # (a no-op once it stopped) where it did not, as docker would
    assert "stopping services: portal" in platform.processes.log("portal")
    platform.start("portal")
    assert requests.get(platform.url("portal", "/"), timeout=10).status_code == 200
