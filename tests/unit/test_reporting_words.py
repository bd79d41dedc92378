"""The proof's counters in people's words (services/reporting/render.py): every kind of key reporting
keeps, so that no reader of the proof (the portal) needs the keys' grammar."""
import ast
import re
from pathlib import Path

import pytest

from common import vocabulary
from services.reporting import render
from tests.support import company, example_report

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
        reporting.verification_contribution("corrected"),
        reporting.member_contribution(company(country="BE", role="processor", joined_on="2020-03-01")),
        reporting.authority_contribution({"country": "NL", "joined_on": "2020-01-15"})])
    return [each["counter"] for each in reporting.differences(counters, {})]


def test_reporting_has_words_for_every_kind_of_counter_it_keeps():
    assert prefixes_of_reportings_counter_keys() - set(render.COUNTER_WORDS) == set()
    assert {"region", "case_kind", "step", "member", "authority"} <= prefixes_of_reportings_counter_keys()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_counter_of_the_proof_is_said_in_words_without_codes(language):
    counters = counters_of_a_year_of_every_kind()
    assert {each.split(" ")[0] for each in counters} == prefixes_of_reportings_counter_keys(), "every kind made"
    for counter in counters:
        words = render.counter_words(counter, language)
        prefix, *parts = counter.split(" ")
        assert "_" not in words and not words.startswith(prefix + " "), (counter, words)
        assert not re.search(r"\b[A-Z]{2}(-[A-Z0-9]{1,3})?\b", words), (counter, words)  # no country code


@pytest.mark.parametrize("language,words", [
    ("en", "Quarry region Bundi (Rajasthan, India)"), ("nl", "Groevegebied Bundi (Rajasthan, India)")])
def test_a_quarry_region_is_named_with_its_state_and_country(language, words):
    assert render.counter_words("region IN IN-RJ bundi", language) == words
    known = render.region_names([{"country": "VN", "state": "VN-21", "name": "Yên Định", "variants": []}])
    assert render.counter_words("region VN VN-21 yen dinh", language, regions=known).startswith(
        words.split(" Bundi")[0] + " Yên Định (Thanh Hóa, ")
    assert render.counter_words("region IN  makrana marble", language).endswith(" Makrana Marble (India)")
    assert render.counter_words(["region", "IN", "north rajastan", "foo bar"], language).endswith(
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
    assert (render.counter_words(counter, "nl"), render.counter_words(counter, "en")) == (dutch, english)


@pytest.mark.parametrize("counter", ["", "region", "band weird", "requirement min_score", "member NL",
                                     "authority NL not-a-date", "a_new_kind some thing"])
def test_a_counter_it_cannot_read_is_still_shown_readably(counter):
    words = render.counter_words(counter, "nl")
    assert "_" not in words and (not counter or words)
    assert render.counter_words("a_new_kind some thing", "en") == "A new kind: some thing"
