"""The portal's own rules, without a browser: the report as a form and back, sign-in limits and the
places errors are shown (where a year stands is the notification service's, tests/unit/test_notification_domain.py)."""
from datetime import date

import pytest

from common import covenant
from services.portal import domain
from tests.support import example_report, form_fields as posted



def test_a_stored_report_shown_in_the_form_and_posted_back_is_the_same_report():
    report = example_report()
    state = domain.from_report(report, 1)
    assert domain.to_report(domain.compact(domain.from_form(posted(state), 1))) == report


def test_last_years_report_starts_this_years_form():
    state = domain.from_report(example_report(), 2)
    assert state["covenant_year"] == 2 and domain.to_report(state)["covenant_year"] == 2


def test_rows_are_added_and_removed_and_blank_ones_are_no_answer():
    state = domain.blank_report(1)
    state = domain.apply(domain.apply(domain.apply(state, "add:risks"), "add:risks"), "add:production_countries")
    assert len(state["risks"]) == 2 and state["production_countries"] == [""]
    state["risks"][1]["theme"] = "child_labour"
    state = domain.apply(state, "remove:risks:0")
    assert [each["theme"] for each in state["risks"]] == ["child_labour"]
    compacted = domain.compact(domain.apply(state, "add:evidence"))
    assert compacted["production_countries"] == [] and compacted["evidence"] == []
    assert len(compacted["risks"]) == 1, "a row with an answer in it stays"
    assert domain.apply(state, "remove:risks:7") == state and domain.apply(state, "add:nothing") == state


def test_what_does_not_read_as_a_number_or_date_goes_as_typed_for_the_api_to_name():
    fields = posted(domain.blank_report(1))
    fields.update({"chains": ["about ten"], "supply_chain.quarries.known": ["3"], "evidence.0.kind": ["other"],
                   "evidence.0.title": ["Audit"], "evidence.0.issued_on.day": ["31"],
                   "evidence.0.issued_on.month": ["2"], "evidence.0.issued_on.year": ["2020"]})
    report = domain.to_report(domain.compact(domain.from_form(fields, 1)))
    assert report["chains"] == "about ten"
    assert report["supply_chain"]["quarries"]["known"] == 3 and report["supply_chain"]["quarries"]["total"] is None
    assert report["evidence"][0]["issued_on"] == "2020-2-31"
    assert domain.from_form(fields, 1)["chains"] == "about ten", "nothing typed is lost"


def test_a_posted_form_cannot_grow_without_bound():
    state = domain.from_form({"risks.5000.theme": ["child_labour"]}, 1)
    assert state["risks"] == []


@pytest.mark.parametrize("path,anchor", [
    ("supply_chain.factories.known", "f-supply_chain-factories-known"), ("materials.1", "f-materials"),
    ("risks.0.theme", "f-risks-0-theme"), ("evidence.2.issued_on", "f-evidence-2-issued_on"),
    ("policy.statement_adopted", "f-policy-statement_adopted"), ("body", "f-report")])
def test_each_error_is_shown_where_its_field_is(path, anchor):
    assert domain.anchor(path, domain.blank_report(1)) == anchor


@pytest.mark.parametrize("asked,goes", [("/company", "/company"), ("//evil.example/x", "/"),
                                        ("https://evil.example", "/"), (None, "/"), ("/\\evil", "/")])
def test_a_language_switch_returns_only_to_a_page_of_this_site(asked, goes):
    assert domain.safe_next(asked) == goes


@pytest.mark.parametrize("asked", ["/\t/evil.example", "/\n/x", "/ //evil.example", "/\x00/evil.example"])
def test_a_character_a_browser_drops_cannot_make_a_way_off_the_site(asked):
    assert domain.safe_next(asked) == "/"


def test_a_name_a_spreadsheet_would_run_is_written_as_text():
    assert domain.spreadsheet_safe("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert domain.spreadsheet_safe("Steen B.V.") == "Steen B.V."


def test_an_error_on_a_decision_is_shown_beside_the_field_it_concerns():
    found = {"decision.outcome": ["a"], "decision.corrections.1.why": ["b"], "decision.corrections": ["c"],
             "decision.corrections.0.code": ["d"], "reason": ["e"]}
    placed = domain.errors_by_anchor(domain.decision_errors_on_the_page(found, ["policy", "factories_known"]), None)
    assert placed == {"f-outcome": ["a"], "f-why-factories_known": ["b"], "f-decision-corrections": ["c", "d"],
                      "f-reason": ["e"]}


YEAR_1 = covenant.YearCalendar(1, date(2020, 12, 31), date(2021, 4, 1))
YEAR_2 = covenant.YearCalendar(2, date(2021, 12, 31), date(2022, 4, 1))


@pytest.mark.parametrize("today,year", [(date(2020, 12, 15), 1), (date(2021, 1, 15), 1), (date(2021, 4, 1), 1),
                                        (date(2021, 4, 2), 2), (date(2022, 6, 1), 2)])
def test_the_secretariat_opens_on_the_year_whose_round_is_open(today, year):
    assert domain.year_to_open([YEAR_1, YEAR_2], today) == year


def standing(year, status, days_left, obliged=True) -> dict:
    """A year's standing as the notification service gives it (the fields the order reads)."""
    return {"covenant_year": year, "obliged": obliged, "status": status, "days_left": days_left}


def test_a_company_sees_the_year_it_must_act_on_first():
    def order(*standings):
        return [each["covenant_year"] for each in domain.pressing_first(list(standings))]
    assert order(standing(1, "due", 16), standing(2, "due", 381)) == [1, 2], "16 days before year 1's due date"
    assert order(standing(1, "missing", -30), standing(2, "due", 244)) == [1, 2], \
        "year 1 missing after every date: still to report, and first"
    assert order(standing(1, "compliant", 16), standing(2, "due", 381)) == [2, 1], \
        "year 1 done: year 2 is the one to act on"
    assert order(standing(1, "needs_more_time", 107), standing(2, "due", 381)) == [1, 2]
    assert order(standing(1, "not_obliged", 16, False), standing(2, "not_obliged", 381, False)) == [2, 1], \
        "nothing to act on: the newest first"


def test_files_chosen_in_the_form_are_kept_as_the_ids_they_were_given_and_can_be_taken_off():
    report = {**example_report(), "plan_of_approach_file": "plan-id"}
    report["evidence"] = [{**report["evidence"][0], "file": "audit-id"}, {**report["evidence"][0], "title": "B"}]
    state = domain.from_report(report, 1)
    assert (state["evidence"][0]["file"], state["evidence"][1]["file"]) == ("audit-id", "")
    assert domain.to_report(domain.compact(domain.from_form(posted(state), 1))) == report, \
        "a piece of evidence without a file names none"
    assert domain.upload_path("evidence.3.file.upload") == "evidence.3.file"
    assert domain.upload_path("plan_of_approach_file.upload") == "plan_of_approach_file"
    assert domain.upload_path("evidence.3.title") is None and domain.upload_path("risks.0.file.upload") is None
    fields = domain.with_file(posted(state), "evidence.1.file", "new-id")
    assert [each["file"] for each in domain.from_form(fields, 1)["evidence"]] == ["audit-id", "new-id"]
    taken_off = domain.apply(domain.apply(state, "unfile:evidence:0"), "unfile:plan_of_approach")
    assert "file" not in domain.to_report(taken_off)["evidence"][0]
    assert "plan_of_approach_file" not in domain.to_report(taken_off)
    assert domain.anchor("evidence.1.file", state) == "f-evidence-1-file"
    assert domain.anchor("plan_of_approach_file", state) == "f-plan_of_approach_file"


def test_a_proofs_text_is_read_from_its_file_or_as_typed_and_a_file_that_cannot_hold_one_is_said_so():
    proof = "eyJhbGciOiJFZDI1NTE5In0.eyJzdWIiOiJjLTEifQ.c2lnbmF0dXJl"
    assert domain.attestation_text(f"  {proof[:30]}\n{proof[30:]}\n", None) == (proof, {}), \
        "a copy broken over lines reads whole"
    assert domain.attestation_text("ignored", ("\ufeff" + proof + "\r\n").encode()) == (proof, {}), \
        "a file's text wins, with its byte order mark and line end"
    said = {name: domain.attestation_text("", content)[1] for name, content in {
        "photo": b"\xff\xd8\xff\xe0" + bytes(range(256)), "empty": b" \n",
        "binary": b"eyJ\x00\x01.abc.def", "huge": b"a" * (domain.MAX_ATTESTATION_FILE_BYTES + 1)}.items()}
    assert said == {"photo": {"attestation_file": [domain.ATTESTATION_FILE_NOT_TEXT]},
                    "empty": {"attestation_file": [domain.ATTESTATION_FILE_EMPTY]},
                    "binary": {"attestation_file": [domain.ATTESTATION_FILE_NOT_TEXT]},
                    "huge": {"attestation_file": [domain.ATTESTATION_FILE_TOO_LARGE]}}


@pytest.mark.parametrize("notice,role,link", [
    ({"kind": "case_received", "about": {"number": "K-2020-0001"}}, "commission", "/cases/K-2020-0001"),
    ({"kind": "outcome", "about": {"report_id": "r 1"}}, "company", "/reports/r%201"),
    ({"kind": "outcome", "about": {"report_id": "r-1"}}, "secretariat", None),
    ({"kind": "alert_needs_more_time", "about": {"company_id": "c-1", "report_id": "r-1"}}, "secretariat",
     "/secretariat/companies/c-1"),
    ({"kind": "alert_missing", "covenant_year": 2, "about": {"company_ids": ["c-1"]}}, "secretariat",
     "/secretariat?year=2"),
    ({"kind": "alert_unknown_state", "about": {"state": "Rajastan"}}, "secretariat", "/secretariat/regions"),
    ({"kind": "commission_seat_awaiting", "about": {}}, ("commission", "chair"), "/commission/members"),
    ({"kind": "commission_seat_awaiting", "about": {}}, ("commission", "employers"), None),
    ({"kind": "reminder", "about": {"date": "2020-12-31"}}, "company", None),
])
def test_a_notice_links_to_where_its_reader_acts_on_it(notice, role, link):
    action = domain.notice_action(notice, *role) if isinstance(role, tuple) else domain.notice_action(notice, role)
    assert (action[0] if action else None) == link
