"""End to end, the public figures attacked from the side: a reader who polls every public view (the API's
JSON and CSV, the HTML report in both languages, the portal's pages in both) around each change learns
nothing until the contributions of 3 companies changed and an edition is released; an authority that
combines its answer about a supplier with the figures learns nothing more; a year with two reports
publishes nothing."""
import pytest
import requests

from tests.support import (AUTHORITY, SECRETARIAT_TOKEN, Platform, auth, blank_report, register_company, wait_until,
                           with_steps_1_and_21)

pytestmark = pytest.mark.e2e
SECRETARIAT = auth(SECRETARIAT_TOKEN)
REPORTING_VIEWS = ("/v1/sector/{year}", "/v1/sector/{year}/export.csv", "/v1/sector/{year}/report",
                   "/v1/sector/{year}/report?lang=en", "/v1/sector/{year}/editions")
PORTAL_VIEWS = ("/", "/sector/{year}/report", "/sector/{year}/figures.csv")


@pytest.fixture(scope="module")
def platform(vhost, processes):
    # In year 1's reporting round: no scheduled edition is due, so only the secretariat releases one here.
    return Platform(vhost, processes, CLOCK="2020-12-15T09:00:00+00:00").start_all()


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

    # An authority learns a supplier's outcome, never its band; the figures tell it nothing more.
    authority = requests.post(platform.url("submission", "/v1/authorities"), json=AUTHORITY, headers=SECRETARIAT)
    submit(platform, d, with_steps_1_and_21(blank_report(plan_of_approach=True)))
    counted(platform, 4)
    asked = requests.post(platform.url("notification", "/v1/supplier-questions"), json={"company_id": d["id"]},
                          headers=auth(authority.json()["token"]))
    assert asked.status_code == 201 and asked.json()["answer"]["years"][0]["outcome"] == "compliant"
    assert public_views(platform) == first, "the supplier's band is in no public view"

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
