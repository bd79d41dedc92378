"""The portal's own rules, without a browser: the report as a form and back, where a year stands, sign-in
limits and the places errors are shown."""
import ast
import re
from datetime import date
from pathlib import Path

import pytest

from common import covenant, vocabulary
from services.portal import domain
from tests.support import company, example_report, form_fields as posted

YEAR_1 = covenant.YearCalendar(1, date(2020, 12, 31), date(2021, 4, 1))


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


def standing(today, **given):
    values = {"latest_version": None, "assessed_version": None, "outcome": None, "score": None, "own_date": None}
    values.update(given)
    return domain.year_standing(company(joined_on="2019-10-01"), YEAR_1, today, **values)


def test_where_a_year_stands_follows_the_covenants_dates():
    due = standing(date(2020, 12, 1))
    assert (due.status, due.date, due.date_kind, due.days_left) == ("due", date(2020, 12, 31), "due_date", 30)
    missing = standing(date(2021, 4, 2))
    assert (missing.status, missing.date_kind, missing.days_left) == ("missing", "catch_up_date", -1)
    after_due = standing(date(2021, 1, 5))
    assert (after_due.status, after_due.date) == ("due", date(2021, 4, 1))
    received = standing(date(2020, 12, 1), latest_version=2, assessed_version=1, outcome="compliant", score=50.0)
    assert (received.status, received.score, received.date_kind) == ("received", None, "catch_up_date")
    late = standing(date(2020, 12, 1), latest_version=1, assessed_version=1, outcome="needs_more_time", score=10.0,
                    own_date=date(2021, 5, 15))
    assert (late.status, late.date, late.date_kind, late.score) == ("needs_more_time", date(2021, 5, 15), "own_date", 10.0)
    newcomer = domain.year_standing(company(joined_on="2020-08-01"), YEAR_1, date(2020, 12, 1), latest_version=None,
                                    assessed_version=None, outcome=None, score=None, own_date=None)
    assert (newcomer.obliged, newcomer.status) == (False, "not_obliged")


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


# --- the proof's counters in words ------------------------------------------------------------------------

REPORTING = Path(__file__).resolve().parents[2] / "services" / "reporting"


def prefixes_of_reportings_counter_keys() -> set[str]:
    """Every kind of counter key reporting builds: the first part of each `key(...)` it calls."""
    found = set()
    for path in REPORTING.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "key" \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def counters_of_a_year_of_every_kind() -> list[str]:
    """The counters of a year as reporting's proof names them: a rich report, every case kind and state, a
    corrected verification, members and an authority."""
    from services.reporting import domain as reporting
    from services.reporting.dependencies import seed_regions
    from tests.support import mitigation, risk, scored_event
    report = example_report()
    report["quarry_regions"].append({"country": "IN", "region": "Makrana marble area", "state": None})
    report["risks"] = [risk(), risk("child_labour")]
    report["mitigation"] = [mitigation(), mitigation("regional_project")]
    report["monitoring"]["systematic"] = True
    report["chains"] = 7
    scored = scored_event(report, company())
    counters = reporting.summed([
        reporting.contribution(report, scored["assessment"], scored["company"], {"policy_and_chain_mapping": True},
                               reporting.Gazetteer(seed_regions())),
        *(reporting.case_contribution(kind, state, True)
          for kind in vocabulary.CASE_KINDS.codes for state in vocabulary.CASE_STATES.codes),
        reporting.verification_contribution({"result": "corrected"}),
        reporting.member_contribution(company(country="BE", role="processor", joined_on="2020-03-01")),
        reporting.authority_contribution({"country": "NL", "joined_on": "2020-01-15"})])
    return [each["counter"] for each in reporting.differences(counters, {})]


def test_the_portal_has_words_for_every_kind_of_counter_reporting_keeps():
    assert prefixes_of_reportings_counter_keys() - set(domain.COUNTER_WORDS) == set()
    assert {"region", "case_kind", "step", "member", "authority"} <= prefixes_of_reportings_counter_keys()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_counter_of_the_proof_is_said_in_words_without_codes(language):
    counters = counters_of_a_year_of_every_kind()
    assert {each.split(" ")[0] for each in counters} == prefixes_of_reportings_counter_keys(), "every kind made"
    for counter in counters:
        words = domain.counter_words(counter, language)
        prefix, *parts = counter.split(" ")
        assert "_" not in words and not words.startswith(prefix + " "), (counter, words)
        assert not re.search(r"\b[A-Z]{2}(-[A-Z0-9]{1,3})?\b", words), (counter, words)  # no country code


@pytest.mark.parametrize("language,words", [
    ("en", "Quarry region Bundi (Rajasthan, India)"), ("nl", "Groevegebied Bundi (Rajasthan, India)")])
def test_a_quarry_region_is_named_with_its_state_and_country(language, words):
    assert domain.counter_words("region IN IN-RJ bundi", language) == words
    known = domain.region_names([{"country": "VN", "state": "VN-21", "name": "Yên Định", "variants": []}])
    assert domain.counter_words("region VN VN-21 yen dinh", language, regions=known).startswith(
        words.split(" Bundi")[0] + " Yên Định (Thanh Hóa, ")
    assert domain.counter_words("region IN  makrana marble", language).endswith(" Makrana Marble (India)")
    assert domain.counter_words(["region", "IN", "north rajastan", "foo bar"], language).endswith(
        " Foo Bar (North Rajastan, India)"), "by its parts, a state nobody knows keeps its words"


@pytest.mark.parametrize("counter,dutch,english", [
    ("case_kind complaint", "Zaken: klacht over een lid of zijn keten",
     "Cases: complaint about a member or its supply chain"),
    ("step systematic_monitoring", "Voortgang: Systematisch gemonitord", "Progress: Systematic monitoring"),
    ("member NL importer 2019-10-01", "Leden: importeur uit Nederland, toegetreden op 2019-10-01",
     "Members: importer from Netherlands, joined on 2019-10-01"),
    ("band compliant >=60", "Score 60 % en meer, rapportages die aan de eisen voldoen",
     "Score 60 % and over, reports that meet the requirements"),
])
def test_counters_in_the_readers_language(counter, dutch, english):
    assert (domain.counter_words(counter, "nl"), domain.counter_words(counter, "en")) == (dutch, english)


@pytest.mark.parametrize("counter", ["", "region", "band weird", "requirement min_score", "member NL",
                                     "authority NL not-a-date", "a_new_kind some thing"])
def test_a_counter_it_cannot_read_is_still_shown_readably(counter):
    words = domain.counter_words(counter, "nl")
    assert "_" not in words and (not counter or words)
    assert domain.counter_words("a_new_kind some thing", "en") == "A new kind: some thing"


YEAR_2 = covenant.YearCalendar(2, date(2021, 12, 31), date(2022, 4, 1))


@pytest.mark.parametrize("today,year", [(date(2020, 12, 15), 1), (date(2021, 1, 15), 1), (date(2021, 4, 1), 1),
                                        (date(2021, 4, 2), 2), (date(2022, 6, 1), 2)])
def test_the_secretariat_opens_on_the_year_whose_round_is_open(today, year):
    assert domain.year_to_open([YEAR_1, YEAR_2], today) == year


def test_a_company_sees_the_year_it_must_act_on_first():
    who = company(joined_on="2019-10-01")

    def years(today, **first):
        given = {"latest_version": None, "assessed_version": None, "outcome": None, "score": None, "own_date": None}
        shown = [domain.year_standing(who, YEAR_1, today, **{**given, **first}),
                 domain.year_standing(who, YEAR_2, today, **given)]
        return [each.covenant_year for each in domain.pressing_first(shown)]
    assert years(date(2020, 12, 15)) == [1, 2], "16 days before year 1's due date"
    assert years(date(2021, 5, 1)) == [1, 2], "year 1 missing after every date: still to report, and first"
    assert years(date(2020, 12, 15), latest_version=1, assessed_version=1, outcome="compliant", score=50.0) == \
        [2, 1], "year 1 done: year 2 is the one to act on"
    newcomer = company(joined_on="2021-08-01")  # obliged from year 3 only: nothing to act on, newest first
    shown = [domain.year_standing(newcomer, calendar, date(2021, 9, 1), latest_version=None, assessed_version=None,
                                  outcome=None, score=None, own_date=None) for calendar in (YEAR_1, YEAR_2)]
    assert [each.covenant_year for each in domain.pressing_first(shown)] == [2, 1]
