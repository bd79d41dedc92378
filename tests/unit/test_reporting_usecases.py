"""The reporting service's use cases with in-memory ports: each change counted once."""
import pytest

from services.reporting import usecases
from services.reporting.dependencies import Publication, SectorStore
from services.reporting.domain import Disclosure
from tests.support import blank_report, company, scored_event, with_steps_1_and_21
from tests.support import in_memory


@pytest.fixture
def store():
    return in_memory(SectorStore)


def figures(store):
    return usecases.figures(1, store=store, publication=Publication({1: {}}, Disclosure()))


def test_a_redelivery_and_an_older_version_arriving_late_change_nothing(store):
    who = company()
    old = scored_event(blank_report(), who, version=1)
    new = scored_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), who, version=2)
    assert usecases.apply_assessment("event-old", old, store=store).changed
    assert not usecases.apply_assessment("event-old", old, store=store).changed
    assert usecases.apply_assessment("event-new", new, store=store).changed
    assert not usecases.apply_assessment("event-old", old, store=store).changed
    shown = figures(store)
    assert shown["assessed_reports"] == 1 and shown["outcomes"] == {"compliant": 1, "needs_more_time": 0}
    assert shown["steps"]["policy_and_chain_mapping_complete"] == 1


def test_a_member_is_counted_once(store):
    who = company()
    assert usecases.count_member("event-1", who, store=store)
    assert not usecases.count_member("event-1", who, store=store)
    assert figures(store)["participation"]["members"]["NL"]["importer"]["end"] == 1


def test_a_companys_latest_verification_counts_once_in_the_years_figures(store):
    confirmed = {"covenant_year": 1, "company_id": "c-1", "report_id": "r-1", "version": 1, "result": "confirmed",
                 "verified_on": "2021-03-02", "ordinal": [1]}
    corrected = {**confirmed, "result": "corrected", "ordinal": [2]}
    usecases.apply_verification("e-1", confirmed, store=store)
    usecases.apply_verification("e-2", corrected, store=store)
    usecases.apply_verification("e-1", confirmed, store=store)  # late and redelivered
    usecases.apply_verification("e-3", {**confirmed, "company_id": "c-2"}, store=store)
    assert figures(store)["verification"] == {"verified": 2, "corrected": 1}


def test_a_case_counts_once_in_the_state_it_stands_in_and_its_totals_agree(store):
    filed = {"number": "K-2021-0001", "kind": "complaint", "covenant_year": 2}
    usecases.apply_case("e-1", filed, [0], store=store)
    usecases.apply_case("e-2", {**filed, "number": "K-2021-0002", "kind": "assessment_appeal"}, [0], store=store)
    decided = {**filed, "number": "K-2021-0002", "kind": "assessment_appeal", "to_state": "decided",
               "decision": {"outcome": "upheld"}}
    usecases.apply_case("e-3", decided, [1], store=store)
    usecases.apply_case("e-2", {**filed, "number": "K-2021-0002", "kind": "assessment_appeal"}, [0], store=store)
    cases = usecases.figures(2, store=store, publication=Publication({2: {}}, Disclosure()))["cases"]
    assert {kind: n for kind, n in cases["by_kind"].items() if n} == {"complaint": 1, "assessment_appeal": 1}
    assert {state: n for state, n in cases["by_state"].items() if n} == {"received": 1, "decided": 1}
    assert cases["appeals_upheld"] == 1
    assert sum(cases["by_kind"].values()) == sum(cases["by_state"].values()), "nothing hidden to work back"
