"""End to end, with services going down: a dependency down is a 503 that changes nothing, and what is
published while a consumer is down waits for it on the broker."""
import pytest
import requests

from tests.e2e.conftest import SERVICES, Platform, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(vhost, processes):
    platform = Platform(vhost, processes)
    platform.env["RPC_TIMEOUT_SECONDS"] = "2"
    for service in SERVICES:
        platform.start(service)
    return platform


def company(platform):
    created = requests.post(platform.url("submission", "/v1/companies"),
                            headers={"Authorization": "Bearer test-secretariat-token"},
                            json={"name": "Graniet B.V.", "country": "NL", "role": "importer",
                                  "imports_directly": True, "joined_on": "2019-10-01", "language": "nl",
                                  "email": "dd@graniet.example"})
    return {"Authorization": f"Bearer {created.json()['token']}"}


def test_a_service_that_is_down_makes_a_503_and_changes_nothing(platform, report):
    headers = company(platform)
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
    before = requests.get(platform.url("reporting", "/v1/sector/1")).json()["assessed_reports"]
    platform.stop("scoring")
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers)
    assert accepted.status_code == 202, "year 1 was confirmed by the previous test"
    assert requests.post(platform.url("submission", "/v1/reports/preview"), json=report,
                         headers=headers).status_code == 503
    platform.start("scoring")  # the report waited on the broker
    wait_until(lambda: requests.get(platform.url("reporting", "/v1/sector/1")).json()["assessed_reports"]
               == before + 1, what="the report taken while scoring was down to be scored and counted")


def test_events_published_while_a_consumer_is_down_reach_it_when_it_is_back(platform, report):
    headers = company(platform)
    counted = requests.get(platform.url("reporting", "/v1/sector/1")).json()["assessed_reports"]
    platform.stop("notification")
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers).json()
    wait_until(lambda: requests.get(platform.url("reporting", "/v1/sector/1")).json()["assessed_reports"]
               == counted + 1, what="the report to be counted while notification is down")
    platform.start("notification")
    inbox = wait_until(lambda: (lambda items: items if len(items) == 2 else None)(
        requests.get(platform.url("notification", "/v1/notices"), headers=headers).json()["items"]),
        what="the receipt and outcome queued for the stopped notification service")
    assert {(each["kind"], each["about"]["report_id"]) for each in inbox} == {
        ("receipt", accepted["id"]), ("outcome", accepted["id"])}
