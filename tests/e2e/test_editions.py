"""End to end, the public figures attacked from the side: a reader who polls every public view (the API's
JSON and CSV, the HTML report in both languages, the portal's pages in both) around each change learns
nothing until the contributions of 3 companies changed and an edition is released (first reports, second
versions, a verification correction, an appeal upheld through the commission, a rescore); an authority that
asks about its supplier before and after a change reads no band for it between the two editions around it;
a year with two reports publishes nothing."""
import json
import shutil

import pytest
import requests
import yaml

from services.scoring.dependencies import SHIPPED_FRAMEWORKS

from tests.support import (AUTHORITY, SECRETARIAT_TOKEN, Platform, auth, blank_report, register_company, take_step, wait_until,
                           with_steps_1_and_21)

pytestmark = pytest.mark.e2e
SECRETARIAT = auth(SECRETARIAT_TOKEN)
REPORTING_VIEWS = ("/v1/sector/{year}", "/v1/sector/{year}/export.csv", "/v1/sector/{year}/report",
                   "/v1/sector/{year}/report?lang=en", "/v1/sector/{year}/editions")
PORTAL_VIEWS = ("/", "/sector/{year}/report", "/sector/{year}/figures.csv")


@pytest.fixture(scope="module")
def frameworks(tmp_path_factory):
    """The framework files scoring reads, to be corrected here (a rescore)."""
    return shutil.copytree(SHIPPED_FRAMEWORKS, tmp_path_factory.mktemp("editions") / "frameworks")


@pytest.fixture(scope="module")
def platform(vhost, processes, frameworks):
    # In year 1's reporting round: no scheduled edition is due, so only the secretariat releases one here.
    return Platform(vhost, processes, CLOCK="2020-12-15T09:00:00+00:00",
                    FRAMEWORKS_DIR=str(frameworks)).start_all()


def public_views(platform, year=1) -> dict:
    """Everything the public can read about the year's figures: each view's status and bytes."""
    views = {}
    for path in REPORTING_VIEWS:
        answer = requests.get(platform.url("reporting", path.format(year=year)), timeout=10)
        views[path] = (answer.status_code, answer.content)
    for language in ("nl", "en"):
        for path in PORTAL_VIEWS:
            answer = requests.get(platform.url("portal", path.format(year=year)), timeout=10,
                                  headers={"Accept-Language": language})
            views[f"portal {language} {path}"] = (answer.status_code, answer.content)
    return views


def submit(platform, company, report):
    answer = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=auth(company["token"]))
    assert answer.status_code == 202, answer.text
    return answer.json()


def counted(platform, reports, year=1):
    wait_until(lambda: platform.figures(year)["assessed_reports"] == reports, f"{reports} reports counted")


def changed_since_release(platform, year=1) -> int:
    return platform.figures(year)["release"]["companies_changed"]


def test_a_reader_learns_nothing_until_three_companies_changed_and_an_edition_is_released(platform):
    names = ("Alfa", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot")
    a, b, c, d, e, f = (register_company(platform.url("submission"), name=f"{name} Natuursteen B.V.")
                        for name in names)
    before = public_views(platform)
    assert before["/v1/sector/{year}"][0] == 404 and b"NOT_PUBLISHED" in before["/v1/sector/{year}"][1]
    assert b"Nog niet gepubliceerd" in before["portal nl /"][1] and b'href="/sector/1/report"' not in before["portal nl /"][1]

    submit(platform, a, blank_report())
    counted(platform, 1)
    assert public_views(platform) == before, "one company's first report"
    submit(platform, b, blank_report())
    counted(platform, 2)
    submit(platform, a, with_steps_1_and_21(blank_report(plan_of_approach=True)))  # a second version
    wait_until(lambda: platform.figures()["outcomes"]["compliant"] != 0, "the second version counted")
    assert changed_since_release(platform) == 2
    refused = platform.release()
    assert refused.status_code == 422 and refused.json()["errors"]["covenant_year"][0].startswith("1 more company")
    assert public_views(platform) == before, "two companies, one with two versions, and a refused release"

    submit(platform, c, blank_report())
    counted(platform, 3)
    released = platform.release()
    assert released.status_code == 201 and released.json()["companies_changed"] == 3
    first = public_views(platform)
    assert first["/v1/sector/{year}"][0] == 200 and first != before
    assert platform.published()["edition"]["number"] == 1 and platform.published()["assessed_reports"] == 3

    submit(platform, d, with_steps_1_and_21(blank_report(plan_of_approach=True)))
    counted(platform, 4)
    assert public_views(platform) == first, "a fourth company's report, not released"

    # A verification that corrects a report counts as its company's change, and no more than one.
    drawn = requests.post(platform.url("scoring", "/v1/verification/1/sample"), json={"seed": "editions"},
                          headers=SECRETARIAT)
    assert drawn.status_code == 201, drawn.text
    corrected = drawn.json()["sampled"][0]["company_id"]
    recorded = requests.post(platform.url("scoring", "/v1/verification/1/results"), headers=SECRETARIAT, json={
        "company_id": corrected, "result": "corrected", "verified_on": "2020-12-14",
        "corrections": "Factories known: 2 of 10, not 10 of 10."})
    assert recorded.status_code == 201, recorded.text
    expected = len({d["id"], corrected})
    wait_until(lambda: changed_since_release(platform) == expected, f"{expected} companies changed")
    assert public_views(platform) == first, "a verification correction"

    for reports, company in ((5, e), (6, f)):
        submit(platform, company, blank_report())
        counted(platform, reports)  # counted before the release is tried: what it sees stays
        if changed_since_release(platform) < 3:
            assert platform.release().status_code == 422
            assert public_views(platform) == first
    second = platform.release()
    assert second.status_code == 201, second.text
    assert public_views(platform) != first
    shown = platform.published()
    assert (shown["edition"]["number"], shown["assessed_reports"]) == (2, 6)
    assert requests.get(platform.url("reporting", "/v1/sector/1?edition=1")).json()["assessed_reports"] == 3


def test_a_year_of_two_reports_publishes_nothing(platform):
    one, two = (register_company(platform.url("submission"), name=f"Jaar Twee {n} B.V.") for n in (1, 2))
    submit(platform, one, blank_report(2))
    submit(platform, two, with_steps_1_and_21(blank_report(2, plan_of_approach=True)))
    counted(platform, 2, year=2)
    live = platform.figures(2)
    assert set(live["outcomes"].values()) == {"suppressed"}, "each would read the other's outcome"
    assert set(live["bands"]["all"].values()) == {"suppressed"}
    assert platform.release(2).status_code == 422
    assert requests.get(platform.url("reporting", "/v1/sector/2")).status_code == 404
    assert b'href="/sector/2/report"' not in requests.get(platform.url("portal", "/")).content


def with_a_public_report(report: dict) -> dict:
    return {**report, "communication": {"public_report_url": "https://example.org/verslag"}}


def assessment(platform, company, report_id) -> dict | None:
    answer = requests.get(platform.url("scoring", f"/v1/reports/{report_id}/assessment"),
                          headers=auth(company["token"]), timeout=10)
    return answer.json() if answer.status_code == 200 else None


def ask_about(platform, authority, supplier) -> dict:
    asked = requests.post(platform.url("notification", "/v1/supplier-questions"), json={"company_id": supplier["id"]},
                          headers=auth(authority["token"]), timeout=10)
    assert asked.status_code == 201, asked.text
    assert "band" not in json.dumps(asked.json()) and "score" not in json.dumps(asked.json())
    return asked.json()["answer"]["years"][0]


def bands_it_could_have(before: dict, after: dict) -> set:
    """What an authority that knows its supplier became compliant between two editions reads of the
    supplier's band by differencing them: the bands whose count among compliant reports rose (or that a
    suppressed count hides)."""
    was, now = before["bands"]["compliant"], after["bands"]["compliant"]
    return {band for band in now if not (isinstance(was[band], int) and isinstance(now[band], int)
                                         and now[band] <= was[band])}


def test_an_upheld_appeal_and_a_rescore_tell_nothing_until_three_companies_changed_nor_an_authority_its_suppliers_band(
        platform, frameworks):
    """The public flow of an appeal (the company appeals, the commission upholds it with a correction,
    scoring rescores the version, reporting counts the correction) and a framework correction that rescores
    one report each change one company's contribution: no public view moves, no release passes, until a
    third company changed. An authority that asked about its supplier before and after reads, between the two
    editions around the change, no band for it."""
    fresh = platform.figures()["assessed_reports"]  # what the tests before counted
    names = ("Graniet Een", "Graniet Twee", "Leisteen", "Kalksteen", "Basalt")
    first, second, ranked, supplier, blank = (register_company(platform.url("submission"), name=f"{name} B.V.")
                                              for name in names)
    for company, report in ((first, with_steps_1_and_21(blank_report(plan_of_approach=True))),
                            (second, with_steps_1_and_21(blank_report(plan_of_approach=True))),
                            (ranked, with_a_public_report(with_steps_1_and_21(blank_report(plan_of_approach=True)))),
                            (supplier, with_steps_1_and_21(blank_report())),  # its plan went by e-mail: not ticked
                            (blank, blank_report())):
        company["report"] = submit(platform, company, report)
    counted(platform, fresh + 5)
    base = platform.release()
    assert base.status_code == 201, base.text
    edition = base.json()["number"]
    before = public_views(platform)
    assert assessment(platform, supplier, supplier["report"]["id"])["outcome"] == "needs_more_time"
    assert assessment(platform, ranked, ranked["report"]["id"])["band"] == "40-60"

    registered = requests.post(platform.url("submission", "/v1/authorities"), json=AUTHORITY, headers=SECRETARIAT)
    assert registered.status_code == 201, registered.text
    authority = registered.json()
    assert ask_about(platform, authority, supplier)["outcome"] == "needs_more_time"

    # 1. An appeal upheld, through the public flow: the company appeals, the commission's chair upholds it.
    appeal = requests.post(platform.url("complaints", "/v1/appeals"), headers=auth(supplier["token"]), json={
        "report_id": supplier["report"]["id"], "version": 1, "criteria": ["plan_of_approach"],
        "reasons": "Our plan of approach went by e-mail to the secretariat on 1 December."})
    assert appeal.status_code == 201, appeal.text
    chair = auth(platform.commission_member("chair")["token"])
    number = appeal.json()["number"]
    take_step(platform, chair, number, "acknowledged")
    take_step(platform, chair, number, "admissibility_decided", admissible=True)
    take_step(platform, chair, number, "in_investigation")
    take_step(platform, chair, number, "decided", decision={"outcome": "upheld", "corrections": [
        {"code": "plan_of_approach", "met": True, "why": "The plan reached the secretariat in time."}]})
    wait_until(lambda: assessment(platform, supplier, supplier["report"]["id"])["outcome"] == "compliant",
               "the version rescored with the commission's correction")
    wait_until(lambda: changed_since_release(platform) == 1, "the correction counted")
    refused = platform.release()
    assert refused.status_code == 422 and refused.json()["errors"]["covenant_year"][0].startswith("2 more companies")
    assert public_views(platform) == before, "an upheld appeal"

    # 2. A framework correction that moves one report up a band (a public report weighs more; monitoring and
    # improving suppliers, which none of this year's reports meets, less): the rescore changes that company
    # alone (a score that stays in its band changes no contribution: the figures count bands).
    path = frameworks / "year-1.yaml"
    corrected = yaml.safe_load(path.read_text())
    weights = {"public_report": 30, "systematic_monitoring": 1, "supplier_improvement": 2}
    corrected["version"] += 1
    corrected["criteria"] = [{**each, "points": weights.get(each["code"], each["points"])}
                             for each in corrected["criteria"]]
    path.write_text(yaml.safe_dump(corrected, allow_unicode=True))
    rescored = requests.post(platform.url("scoring", "/v1/frameworks/1/rescore"), headers=SECRETARIAT, timeout=60)
    assert rescored.status_code == 200, rescored.text
    assert rescored.json()["rescored"] == [ranked["report"]["id"]], rescored.json()
    assert assessment(platform, ranked, ranked["report"]["id"])["band"] == ">=60"
    wait_until(lambda: changed_since_release(platform) == 2, "the rescore counted")
    refused = platform.release()
    assert refused.status_code == 422 and refused.json()["errors"]["covenant_year"][0].startswith("1 more company")
    assert public_views(platform) == before, "an upheld appeal and a rescore"

    # The authority asks again: its supplier now meets the requirements.
    assert ask_about(platform, authority, supplier)["outcome"] == "compliant"

    # 3. A third company's first report: now an edition is released, and it changes what the public reads.
    late = register_company(platform.url("submission"), name="Porfier B.V.")
    submit(platform, late, with_a_public_report(with_steps_1_and_21(blank_report(plan_of_approach=True))))
    counted(platform, fresh + 6)
    wait_until(lambda: changed_since_release(platform) == 3, "three companies changed")
    released = platform.release()
    assert released.status_code == 201 and released.json()["companies_changed"] == 3, released.text
    assert public_views(platform) != before

    # Between the edition before its first question and the one after its second, the authority reads no band.
    editions = [requests.get(platform.url("reporting", f"/v1/sector/1?edition={number}"), timeout=10).json()
                for number in (edition, edition + 1)]
    assert len(bands_it_could_have(*editions)) >= 2, (editions[0]["bands"], editions[1]["bands"])
