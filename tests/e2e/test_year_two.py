"""End to end, the covenant's year-2 features over separate processes: a contracting authority asks about
a supplier (answered, recorded, noticed), and the secretariat verifies a sample of the reports (drawn
again from its seed, the same companies; verified and corrected counts in the sector figures)."""
import pytest
import requests

from tests.support import (AUTHORITY, SECRETARIAT_TOKEN, Platform, auth, blank_report, register_company, wait_until,
                           with_steps_1_and_21)

pytestmark = pytest.mark.e2e
SECRETARIAT = auth(SECRETARIAT_TOKEN)


@pytest.fixture(scope="module")
def platform(vhost, processes):
    return Platform(vhost, processes, CLOCK="2021-06-01T09:00:00+00:00").start_all()


def test_an_authority_asks_about_a_supplier_which_is_answered_recorded_and_noticed(platform):
    supplier = register_company(platform.url("submission"), name="Basalt Handel B.V.", language="en")
    authority = requests.post(platform.url("submission", "/v1/authorities"), json=AUTHORITY, headers=SECRETARIAT)
    leiden = auth(authority.json()["token"])
    sent = requests.post(platform.url("submission", "/v1/reports"), json=with_steps_1_and_21(
        blank_report(1, plan_of_approach=True)), headers=auth(supplier["token"]))
    assert sent.status_code == 202

    def scored_and_known():
        found = requests.get(platform.url("notification", "/v1/suppliers?name=basalt"), headers=leiden).json()
        return found and platform.inbox(supplier["token"])["total"] >= 2 and found
    found = wait_until(scored_and_known, "the supplier to be known, its report scored")
    assert found == [{"id": supplier["id"], "name": "Basalt Handel B.V.", "country": "NL", "role": "importer"}]

    asked = requests.post(platform.url("notification", "/v1/supplier-questions"), json={"name": "Basalt Handel"},
                          headers=leiden)
    assert asked.status_code == 201, asked.text
    assert asked.json()["answer"]["years"] == [
        {"covenant_year": 1, "reported": "late", "outcome": "compliant", "more_time_until": None,
         "more_time_by": None},
        {"covenant_year": 2, "reported": "not_yet_due", "outcome": None, "more_time_until": None,
         "more_time_by": None}], "reported in June 2021: after every date"
    stranger = requests.post(platform.url("notification", "/v1/supplier-questions"), json={"name": "Onbekend NV"},
                             headers=leiden)
    assert stranger.json()["answer"] == {"member": False}

    def told():
        items = platform.inbox(supplier["token"])["items"]
        return [each for each in items if each["kind"] == "supplier_question"]
    notice = wait_until(told, "the supplier's notice that an authority asked")[0]
    assert notice["subject"] == "Gemeente Leiden asked about your reporting"
    questions = requests.get(platform.url("notification", "/v1/supplier-questions"), headers=SECRETARIAT).json()
    assert {each["asked"] for each in questions} >= {"Basalt Handel", "Onbekend NV"}
    about = requests.get(platform.url("notification", "/v1/supplier-questions"), headers=auth(supplier["token"]))
    assert [each["authority"]["name"] for each in about.json()] == ["Gemeente Leiden"]


def test_a_sample_drawn_from_a_seed_is_drawn_again_the_same_and_its_results_are_counted(platform):
    companies = [register_company(platform.url("submission"), name=f"Steen {number} B.V.") for number in range(5)]
    for each in companies:
        requests.post(platform.url("submission", "/v1/reports"), json=blank_report(2), headers=auth(each["token"]))

    def all_scored():
        return platform.figures(2)["assessed_reports"] == 5
    wait_until(all_scored, "five year-2 reports in the figures")

    drawn = requests.post(platform.url("scoring", "/v1/verification/2/sample"), json={"seed": "commission-2022-03"},
                          headers=SECRETARIAT)
    assert drawn.status_code == 201 and len(drawn.json()["sampled"]) == 3
    sampled = [each["company_id"] for each in drawn.json()["sampled"]]
    again = requests.post(platform.url("scoring", "/v1/verification/2/sample"), json={"seed": "commission-2022-03"},
                          headers=SECRETARIAT)
    assert again.status_code == 200 and [each["company_id"] for each in again.json()["sampled"]] == sampled
    redrawn = requests.get(platform.url("scoring", "/v1/verification/2/redraw"), headers=SECRETARIAT).json()
    assert redrawn["same"] is True and redrawn["drawn_again"] == sampled
    assert requests.post(platform.url("scoring", "/v1/verification/2/sample"), json={"seed": "luckier"},
                         headers=SECRETARIAT).status_code == 422

    tokens = {each["id"]: each["token"] for each in companies}

    def sampled_told():
        return all(any(notice["kind"] == "report_sampled" for notice in platform.inbox(tokens[each])["items"])
                   for each in sampled)
    wait_until(sampled_told, "each sampled company's notice")
    assert not any(notice["kind"] == "report_sampled" for each in set(tokens) - set(sampled)
                   for notice in platform.inbox(tokens[each])["items"])

    for company_id, result in zip(sampled, ("confirmed", "corrected", "confirmed")):
        body = {"company_id": company_id, "result": result, "verified_on": "2021-06-01"}
        if result == "corrected":
            body["corrections"] = "Quarries known: 2 of 10, not 10 of 10."
        recorded = requests.post(platform.url("scoring", "/v1/verification/2/results"), json=body, headers=SECRETARIAT)
        assert recorded.status_code == 201, recorded.text

    def counted():
        shown = platform.figures(2)["verification"]
        return shown == {"verified": 3, "corrected": 1} and shown
    wait_until(counted, "the verification in the sector figures")
    proof = requests.get(platform.url("reporting", "/v1/sector/2/proof"), headers=SECRETARIAT).json()
    assert proof["agrees"], proof["differences"]
