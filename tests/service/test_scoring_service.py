"""The scoring service in a container: consuming report_submitted, emitting report_scored, HTTP and RPC."""
import requests
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies
from nameko.testing.utils import get_extension

from common.mongo import Storage
from services.scoring.service import ScoringService
from tests.builders import blank_report, company, submitted_event, with_steps_1_and_21
from tests.support import SECRETARIAT_TOKEN, auth


def submitted(report, who, version=1, report_id="r-1", previous=None):
    return submitted_event(report, who, version, report_id)


def start(container_factory, service_config, members):
    container = container_factory(ScoringService, service_config)
    replace_dependencies(container, identity=members.identity())
    container.start()
    return container


def test_a_submitted_report_is_scored_once_however_often_it_is_delivered(
        container_factory, service_config, members, publish, capture):
    container = start(container_factory, service_config, members)
    scored = capture("scoring", "report_scored")
    who = company()
    report = with_steps_1_and_21(blank_report(1))
    wire = None
    for _ in range(3):
        with entrypoint_waiter(container, "score_submitted_report"):
            wire = publish("submission", "report_submitted", submitted(report, who), wire=wire)
    events = scored.wait_for(3)
    assert len({each["id"] for each in events}) == 1, "a redelivery re-sends the same event, never a new one"
    data = events[0]["data"]
    assert (data["assessment"]["score"], data["assessment"]["band"]) == (22.2, "20-40")
    assert data["ordinal"] == [1, 1] and data["previous_assessment"] is None
    assert events[0]["correlation_id"] == wire["correlation_id"]
    assert events[0]["producer"] == "scoring"
    assert data["submitted_at"] == "2020-12-01T10:00:00+00:00"
    assert data["calendar"] == {"due_date": "2020-12-31", "catch_up_date": "2021-04-01"}


def test_a_new_version_carries_the_assessment_it_replaces(
        container_factory, service_config, members, publish, capture):
    container = start(container_factory, service_config, members)
    scored = capture("scoring", "report_scored")
    who = company()
    first, second = blank_report(1), with_steps_1_and_21(blank_report(1, plan_of_approach=True))
    with entrypoint_waiter(container, "score_submitted_report"):
        publish("submission", "report_submitted", submitted(first, who))
    with entrypoint_waiter(container, "score_submitted_report"):
        publish("submission", "report_submitted", submitted(second, who, version=2, previous=1))
    old, new = (each["data"] for each in scored.wait_for(2))
    assert new["previous_assessment"] == old["assessment"]
    assert (old["assessment"]["outcome"], new["assessment"]["outcome"]) == ("needs_more_time", "compliant")


def test_the_assessment_is_shown_to_its_owner_and_the_secretariat_only(
        container_factory, service_config, members, publish, url):
    container = start(container_factory, service_config, members)
    owner, other = company(), company()
    members.add("owner-token", "company", owner["id"])
    members.add("other-token", "company", other["id"])
    with entrypoint_waiter(container, "score_submitted_report"):
        publish("submission", "report_submitted", submitted(blank_report(1), owner, report_id="r-9"))
    address = url("scoring", "/v1/reports/r-9/assessment")
    shown = requests.get(address, headers=auth("owner-token"))
    assert shown.status_code == 200
    assert (shown.json()["report_id"], shown.json()["outcome"]) == ("r-9", "needs_more_time")
    assert requests.get(address, headers=auth(SECRETARIAT_TOKEN)).json() == shown.json()
    assert requests.get(address, headers=auth("other-token")).status_code == 404
    assert requests.get(address).status_code == 401
    assert requests.get(url("scoring", "/v1/reports/nope/assessment"),
                        headers=auth("owner-token")).status_code == 404


def test_preview_rpc_assesses_without_storing_or_emitting(
        container_factory, service_config, members, capture, url):
    container = start(container_factory, service_config, members)
    scored = capture("scoring", "report_scored")
    report = with_steps_1_and_21(blank_report(1))
    with entrypoint_hook(container, "assess") as assess:
        assessment = assess(report, company())
    assert assessment["score"] == 22.2
    assert scored.queue(scored.channel).get() is None, "a preview emits nothing"
    storage = get_extension(container, Storage).repository
    assert storage.assessments.count_documents({}) == storage.reports.count_documents({}) == 0, \
        "a preview stores nothing"
    with entrypoint_hook(container, "get_framework") as get_framework:
        assert get_framework(2)["minimum_score"] == 40


def test_frameworks_are_public_and_an_unknown_year_is_404(container_factory, service_config, members, url):
    start(container_factory, service_config, members)
    year_1 = requests.get(url("scoring", "/v1/frameworks/1"))
    assert year_1.status_code == 200
    assert (year_1.json()["maximum"], year_1.json()["catch_up_date"]) == (90, "2021-04-01")
    missing = requests.get(url("scoring", "/v1/frameworks/7"))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    assert "covenant year 7" in missing.json()["error"]["message"]
