"""The reporting service in a container: contributions applied once, replaced by newer versions."""
import requests
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.reporting.service import ReportingService
from tests.support import blank_report, company, scored_event, with_steps_1_and_21
from tests.support import OPERATOR, SECRETARIAT_TOKEN, auth


def scored(who, report, version):
    return scored_event(report, who, version)


def live(url, year=1):
    """What the figures count, as the secretariat reads them live."""
    return requests.get(url("reporting", f"/v1/sector/{year}/live"), headers=auth(SECRETARIAT_TOKEN)).json()


def test_figures_count_each_company_once_whatever_arrives(container_factory, service_config, publish, url):
    service_config["MIN_COMPANIES_PER_CELL"] = 1  # one company's figures shown, to see what is counted
    container = container_factory(ReportingService, service_config)
    container.start()
    who = company()
    late, compliant = blank_report(), with_steps_1_and_21(blank_report(plan_of_approach=True))

    def deliver(data=None, wire=None):
        with entrypoint_waiter(container, "apply_assessment"):
            return publish("scoring", "report_scored", data, wire=wire)

    def sector():
        return live(url)

    first = deliver(scored(who, late, 1))
    deliver(wire=first)  # redelivered
    assert sector()["assessed_reports"] == 1
    assert sector()["outcomes"] == {"compliant": 0, "needs_more_time": 1}

    deliver(scored(who, compliant, 2))  # a new version moves the company
    assert sector()["assessed_reports"] == 1
    assert sector()["outcomes"] == {"compliant": 1, "needs_more_time": 0}
    assert sector()["bands"]["all"] == {"<20": 0, "20-40": 1, "40-60": 0, ">=60": 0}

    deliver(scored(who, late, 1))  # an older version arriving late changes nothing
    assert sector()["outcomes"] == {"compliant": 1, "needs_more_time": 0}
    metrics = requests.get(url("reporting", "/metrics"), headers=OPERATOR).text
    assert 'trustone_contributions_applied_total{covenant_year="1"} 2.0' in metrics
    assert "trustone_contributions_skipped_total 2.0" in metrics


class FakeScoringHistory:
    """scoring.latest_assessments and submission.list_members over lists the test controls (no
    verifications, no cases)."""

    def __init__(self):
        self.latest = []
        self.companies = []

    def latest_verifications(self, covenant_year):
        return []

    def cases_of_year(self, covenant_year):
        return []

    def list_members(self):
        return {"companies": self.companies, "authorities": []}

    def latest_verifications(self, covenant_year):
        return []  # no sample drawn: the proof recomputes no verification

    def latest_assessments(self, covenant_year, after=None, limit=0):
        found = sorted((each for each in self.latest if each["covenant_year"] == covenant_year
                        and (after is None or each["company"]["id"] > after)), key=lambda each: each["company"]["id"])
        return [{"company": each["company"], "company_id": each["company"]["id"], "report": each["report"],
                 "assessment": each["assessment"], "ordinal": each["ordinal"], "progress": each["progress"]}
                for each in found[:limit or None]]


def test_the_proof_agrees_with_a_recomputation_and_names_any_difference(
        container_factory, service_config, members, publish, url):
    history = FakeScoringHistory()
    container = container_factory(ReportingService, service_config)
    replace_dependencies(container, scoring=history, submission=history, complaints=history,
                         identity=members.identity())
    container.start()
    first, second = company(), company()
    for who in (first, second):
        history.companies.append(who)
        with entrypoint_waiter(container, "count_member"):
            publish("submission", "company_registered", {"company": who})
    for who, report in ((first, blank_report()), (second, with_steps_1_and_21(blank_report(plan_of_approach=True)))):
        history.latest.append(scored(who, report, 1))
        with entrypoint_waiter(container, "apply_assessment"):
            publish("scoring", "report_scored", history.latest[-1])
    proof = url("reporting", "/v1/sector/1/proof")
    assert requests.get(proof).status_code == 401
    assert requests.get(proof, headers=auth(SECRETARIAT_TOKEN)).json() == {
        "covenant_year": 1, "reports": 2, "members": 2, "agrees": True, "differences": []}

    history.latest.pop()  # scoring knows one report fewer than the figures count
    found = requests.get(proof, headers=auth(SECRETARIAT_TOKEN)).json()
    assert found["agrees"] is False
    assert {"counter": "assessed", "parts": ["assessed"], "words": "Reports assessed", "recomputed": 1,
            "incremental": 2} in found["differences"]
    assert {"counter": "outcome compliant", "parts": ["outcome", "compliant"], "words": "Outcome: meets the requirements",
            "recomputed": 0, "incremental": 1} in found["differences"]

    history.latest.append(scored(second, with_steps_1_and_21(blank_report(plan_of_approach=True)), 1))
    history.companies.append({**company(), "joined_on": "2020-02-01"})  # a member the figures never heard of
    found = requests.get(proof, params={"language": "nl"}, headers=auth(SECRETARIAT_TOKEN)).json()
    assert found["differences"] == [
        {"counter": "member NL importer 2020-02-01", "parts": ["member", "NL", "importer", "2020-02-01"],
         "words": "Leden: importeur uit Nederland, toegetreden op 1 februari 2020", "recomputed": 1,
         "incremental": 0}], "in words, in the language asked: the key's grammar is reporting's own"


def test_an_assessment_announced_in_version_1_is_still_counted(container_factory, service_config, publish, url):
    from common.events import new_event
    service_config["MIN_COMPANIES_PER_CELL"] = 1
    container = container_factory(ReportingService, service_config)
    container.start()
    data = scored(company(), with_steps_1_and_21(blank_report(plan_of_approach=True)), 1)
    version_1 = {**{key: value for key, value in data.items() if key != "progress"}, "ordinal": list(data["ordinal"].values())[:2]}
    with entrypoint_waiter(container, "apply_assessment"):
        publish("scoring", "report_scored", wire=new_event("report_scored", version_1, producer="scoring",
                                                           correlation_id="test", schema_version=1).to_wire())
    figures = live(url)
    assert figures["assessed_reports"] == 1
    assert figures["steps"]["policy_and_chain_mapping_complete"] == 1


def test_the_secretariat_keeps_the_gazetteer_and_hears_of_unknown_region_names_once(
        container_factory, service_config, members, publish, capture, url):
    container = container_factory(ReportingService, service_config)
    replace_dependencies(container, identity=members.identity())
    container.start()
    reported = capture("reporting", "unknown_region_reported")
    kota = blank_report(quarry_regions=[{"country": "IN", "region": "Kota", "state": "IN-RJ"}])
    for version in (1, 2):  # a second version naming it again alerts no one again
        with entrypoint_waiter(container, "apply_assessment"):
            publish("scoring", "report_scored", scored(company(), kota, version))
    assert [each["data"] for each in reported.wait_for(1)] == [
        {"country": "IN", "state": "IN-RJ", "region": "Kota", "covenant_year": 1}]
    assert reported.nothing_waiting()

    regions, unknown = url("reporting", "/v1/regions"), url("reporting", "/v1/regions/unknown")
    new = {"country": "IN", "state": "Rajasthan", "name": "Kota", "variants": ["Kotah"]}
    members.add("company-token", "company", "c-1")
    assert requests.post(regions, json=new).status_code == 401
    assert requests.post(regions, json=new, headers=auth("company-token")).status_code == 403
    assert requests.get(unknown).status_code == 401
    assert requests.post(regions, json={**new, "name": "=1+1", "state": "IT-52", "variants": "Kotah"},
                         headers=auth(SECRETARIAT_TOKEN)).json()["errors"] == {
        "name": ["Must start with a letter or digit, not with =, +, - or @."],
        "variants": ["Not a valid list."]}
    assert requests.post(regions, json={**new, "state": "IT-52"}, headers=auth(SECRETARIAT_TOKEN)).json() == {
        "errors": {"state": ["IT-52 is a subdivision of Italy, not of India."]},
        "problems": {"state": [{"code": "state_of_another_country", "state": "IT-52", "state_country": "IT",
                                "country": "IN", "message": "IT-52 is a subdivision of Italy, not of India."}]}}
    assert [each["region"] for each in requests.get(unknown, headers=auth(SECRETARIAT_TOKEN)).json()] == ["Kota"]
    added = requests.post(regions, json=new, headers=auth(SECRETARIAT_TOKEN))
    assert added.status_code == 200
    assert added.json()["region"] == {"country": "IN", "state": "IN-RJ", "state_name": "Rajasthan", "name": "Kota",
                                      "variants": ["Kotah"]}
    assert requests.get(unknown, headers=auth(SECRETARIAT_TOKEN)).json() == []
    assert "Kota" in [each["name"] for each in requests.get(regions, params={"country": "IN"}).json()]

    # A state nobody knows, for a region everybody does: the secretariat hears of it, and places it.
    stated = capture("reporting", "unknown_state_reported")
    with entrypoint_waiter(container, "apply_assessment"):
        publish("scoring", "report_scored", scored(company(), blank_report(quarry_regions=[
            {"country": "IN", "region": "Kota", "state": "Rajastan"}]), 1))
    assert [each["data"] for each in stated.wait_for(1)] == [
        {"country": "IN", "state": "Rajastan", "region": "Kota", "covenant_year": 1}]
    assert [(each["kind"], each["state"]) for each in requests.get(unknown, headers=auth(SECRETARIAT_TOKEN)).json()] \
        == [("state", "Rajastan")]
    names, spelling = url("reporting", "/v1/state-names"), {"country": "IN", "name": "Rajastan", "state": "IN-RJ"}
    assert requests.post(names, json=spelling).status_code == 401
    assert requests.post(names, json=spelling, headers=auth("company-token")).status_code == 403
    assert requests.post(names, json={**spelling, "state": "IT-52"}, headers=auth(SECRETARIAT_TOKEN)).json()[
        "errors"] == {"state": ["IT-52 is a subdivision of Italy, not of India."]}
    placed = requests.post(names, json=spelling, headers=auth(SECRETARIAT_TOKEN))
    assert placed.status_code == 200 and (placed.json()["state"], placed.json()["state_name"]) == ("IN-RJ", "Rajasthan")
    assert requests.get(unknown, headers=auth(SECRETARIAT_TOKEN)).json() == []


def test_a_path_segment_out_of_range_is_a_json_404(container_factory, service_config, url):
    container = container_factory(ReportingService, service_config)
    container.start()
    for year in ("-1", "0x1", str(2 ** 64), "1.5"):
        answer = requests.get(url("reporting", f"/v1/sector/{year}"))
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND", year


class Calendars:
    def __init__(self):
        self.asked = 0

    def list_calendars(self):
        self.asked += 1
        return [{"covenant_year": 1, "due_date": "2020-12-31", "catch_up_date": "2021-04-01"}]


def test_the_public_reads_editions_released_by_the_secretariat_or_on_schedule(
        container_factory, service_config, members, publish, url):
    service_config["CLOCK"] = "fixed:2021-01-01T08:00:00+00:00"  # the day after year 1's due date
    container = container_factory(ReportingService, service_config)
    calendars = Calendars()
    replace_dependencies(container, scoring=calendars, identity=members.identity())
    container.start()
    public, editions = url("reporting", "/v1/sector/1"), url("reporting", "/v1/sector/1/editions")
    release = url("reporting", "/v1/sector/1/editions")

    def due():
        with entrypoint_hook(container, "release_when_due") as hook:
            return hook()
    assert due() == []
    unpublished = requests.get(public)
    assert unpublished.status_code == 404 and unpublished.json()["error"] == {
        "code": "NOT_PUBLISHED", "message": "The figures of covenant year 1 are not published yet.",
        "next_edition_due": "2021-01-01", "problem": {
            "code": "not_published", "covenant_year": 1,
            "message": "The figures of covenant year 1 are not published yet."}}
    for path in ("/v1/sector/1/export.csv", "/v1/sector/1/report?lang=en"):
        assert requests.get(url("reporting", path)).json()["error"]["code"] == "NOT_PUBLISHED", path
    assert requests.get(editions).json() == {"covenant_year": 1, "editions": [], "next_edition_due": "2021-01-01"}

    members.add("company-token", "company", "c-1")
    assert requests.post(release).status_code == 401
    assert requests.post(release, headers=auth("company-token")).status_code == 403
    assert requests.get(url("reporting", "/v1/sector/1/live"), headers=auth("company-token")).status_code == 403
    for _ in range(2):
        with entrypoint_waiter(container, "apply_assessment"):
            publish("scoring", "report_scored", scored(company(), blank_report(), 1))
    refused = requests.post(release, headers=auth(SECRETARIAT_TOKEN))
    assert refused.status_code == 422
    assert refused.json()["errors"]["covenant_year"][0].startswith("1 more company: ")
    assert due() == [] and requests.get(public).status_code == 404

    with entrypoint_waiter(container, "apply_assessment"):
        publish("scoring", "report_scored", scored(company(), blank_report(), 1))
    assert due() == [1]
    shown = requests.get(public).json()
    assert shown["edition"] == {"number": 1, "released_at": "2021-01-01T08:00:00+00:00", "released_by": "schedule",
                                "companies_changed": 3}
    assert shown["assessed_reports"] == 3
    csv = requests.get(url("reporting", "/v1/sector/1/export.csv"))
    assert 'filename="trustone-sector-year-1-edition-1.csv"' in csv.headers["Content-Disposition"]
    assert csv.text.splitlines()[1] == "1,assessed_reports,,3"  # for programs: the codes
    dutch = requests.get(url("reporting", "/v1/sector/1/export.csv?language=nl")).text.splitlines()
    assert dutch[:2] == ["Convenantjaar;Cijfer;Waarde", "1;Beoordeelde rapportages;3"]  # for people
    assert requests.get(url("reporting", "/v1/sector/1/export.csv?language=fr")).status_code == 422
    page = requests.get(url("reporting", "/v1/sector/1/report?lang=en")).text
    assert "Edition 1, released on 1 January 2021 (as scheduled)" in page
    assert requests.post(release, headers=auth(SECRETARIAT_TOKEN)).json()["errors"]["covenant_year"][0] \
        .startswith("3 more companies: ")
    assert requests.get(url("reporting", "/v1/sector/1?edition=2")).status_code == 404
    assert requests.get(url("reporting", "/v1/sector/1?edition=x")).status_code == 422
    assert requests.get(editions).json()["next_edition_due"] == "2021-04-02"
    assert calendars.asked >= 2
