"""The scoring service in a container: consuming report_submitted, emitting report_scored, HTTP and RPC."""
import requests
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies
from nameko.testing.utils import get_extension

from common.mongo import Storage
from services.scoring.service import ScoringService
from tests.support import blank_report, company, submitted_event, with_steps_1_and_21
from tests.support import SECRETARIAT_TOKEN, ApiContract, auth


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
    assert data["ordinal"] == {"report_version": 1, "framework_version": 1, "correction": 0} and data["previous_assessment"] is None
    assert events[0]["correlation_id"] == wire["correlation_id"]
    assert events[0]["producer"] == "scoring"
    assert data["submitted_at"] == "2020-12-01T10:00:00+00:00"
    assert data["calendar"] == {"due_date": "2020-12-31", "catch_up_date": "2021-04-01"}


def test_a_new_version_carries_the_result_of_the_assessment_it_replaces(
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
    # its result, not its criteria again: those went out with the old assessment's own event
    assert new["previous_assessment"] == {key: old["assessment"][key] for key in (
        "framework_version", "points", "maximum", "score", "band", "outcome")}
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
    assert scored.nothing_waiting(), "a preview emits nothing"
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


def test_every_version_s_assessment_and_the_year_overview_go_to_whom_they_may(
        container_factory, service_config, members, publish, url):
    container = start(container_factory, service_config, members)
    owner = company()
    members.add("owner-token", "company", owner["id"])
    members.add("other-token", "company", company()["id"])
    members.add("authority-token", "authority", "a-1")
    for version, report in ((1, blank_report(1)), (2, with_steps_1_and_21(blank_report(1, plan_of_approach=True)))):
        with entrypoint_waiter(container, "score_submitted_report"):
            publish("submission", "report_submitted", submitted(report, owner, version=version, report_id="r-5"))
    contract = ApiContract(requests.get(url("scoring", "/openapi.json")).json())
    matrix = {  # public, owner, other company, authority, secretariat
        "/v1/reports/r-5/assessments": (401, 200, 404, 404, 200),
        "/v1/assessments?covenant_year=1": (401, 403, 403, 403, 200),
        "/v1/frameworks": (200, 200, 200, 200, 200),
    }
    templates = {"/v1/reports/r-5/assessments": "/v1/reports/{report_id}/assessments",
                 "/v1/assessments?covenant_year=1": "/v1/assessments", "/v1/frameworks": "/v1/frameworks"}
    for path, expected in matrix.items():
        for token, status in zip((None, "owner-token", "other-token", "authority-token", SECRETARIAT_TOKEN),
                                 expected):
            answer = requests.get(url("scoring", path), headers=auth(token) if token else {})
            assert answer.status_code == status, (path, token, answer.text)
            contract.check("GET", templates[path], answer)
    versions = requests.get(url("scoring", "/v1/reports/r-5/assessments"), headers=auth("owner-token")).json()
    assert [(each["version"], each["outcome"]) for each in versions] == [(1, "needs_more_time"), (2, "compliant")]
    overview = requests.get(url("scoring", "/v1/assessments?covenant_year=1"), headers=auth(SECRETARIAT_TOKEN)).json()
    assert overview == [{"company_id": owner["id"], "report_id": "r-5", "version": 2, "framework_version": 1,
                         "correction": 0, "score": 27.8, "band": "20-40", "outcome": "compliant"}]
    assert requests.get(url("scoring", "/v1/assessments"), headers=auth(SECRETARIAT_TOKEN)).status_code == 422
    years = requests.get(url("scoring", "/v1/frameworks")).json()
    assert [(each["covenant_year"], each["due_date"]) for each in years] == [(1, "2020-12-31"), (2, "2021-12-31")]


def test_the_secretariat_alone_draws_the_sample_and_records_verifications(
        container_factory, service_config, members, publish, url, capture):
    container = start(container_factory, service_config, members)
    drawn, verified = capture("scoring", "verification_sample_drawn"), capture("scoring", "report_verified")
    who = company()
    members.add("company-token", "company", who["id"])
    members.add("authority-token", "authority", "a-1")
    with entrypoint_waiter(container, "score_submitted_report"):
        publish("submission", "report_submitted", submitted(blank_report(1), who, report_id="r-7"))
    contract = ApiContract(requests.get(url("scoring", "/openapi.json")).json())
    record = {"company_id": who["id"], "result": "confirmed", "verified_on": "2021-03-02"}
    matrix = {  # public, company, authority, secretariat, bad token
        ("POST", "/v1/verification/1/sample", "/v1/verification/{covenant_year}/sample", None): (401, 403, 403, 201, 401),
        ("GET", "/v1/verification/1", "/v1/verification/{covenant_year}", None): (401, 403, 403, 200, 401),
        ("GET", "/v1/verification/1/redraw", "/v1/verification/{covenant_year}/redraw", None): (401, 403, 403, 200, 401),
        ("POST", "/v1/verification/1/results", "/v1/verification/{covenant_year}/results", "record"): (401, 403, 403, 201, 401),
    }
    for (method, path, template, body), expected in matrix.items():
        for token, status in zip((None, "company-token", "authority-token", SECRETARIAT_TOKEN, "bad-token"), expected):
            answer = requests.request(method, url("scoring", path), headers=auth(token) if token else {},
                                      json=record if body else {"seed": "s-1"} if method == "POST" else None)
            assert answer.status_code == status, (method, path, token, answer.text)
            contract.check(method, template, answer)
    again = requests.post(url("scoring", "/v1/verification/1/sample"), headers=auth(SECRETARIAT_TOKEN),
                          json={"seed": "s-1"})
    assert again.status_code == 200 and [each["company_id"] for each in again.json()["sampled"]] == [who["id"]]
    corrected = requests.post(url("scoring", "/v1/verification/1/results"), headers=auth(SECRETARIAT_TOKEN),
                              json={**record, "result": "corrected"})
    assert corrected.status_code == 422 and corrected.json()["errors"] == {"corrections": [
        "Say what was corrected and why."]}
    assert [each["data"]["sampled"][0]["company"]["id"] for each in drawn.wait_for(1)] == [who["id"]]
    assert [each["data"]["result"] for each in verified.wait_for(1)] == ["confirmed"]
    assert drawn.nothing_waiting(), "a second draw announces nothing"
