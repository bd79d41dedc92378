"""The scoring service's use cases with in-memory ports: idempotent scoring and rescoring, no broker."""
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.events import Ordinal
from common.identity import Caller
from common.vocabulary import COMPANY
from common import errors
from services.scoring import usecases
from services.scoring.dependencies import SHIPPED_FRAMEWORKS, Frameworks, ScoringStore
from tests.support import blank_report, company, payload, with_steps_1_and_21
from tests.support import submitted_event as submitted_data
from tests.support import RecordingPublisher, SettableClock, in_memory


@pytest.fixture
def ports(tmp_path):
    directory = shutil.copytree(SHIPPED_FRAMEWORKS, tmp_path / "frameworks")
    return {"store": in_memory(ScoringStore), "frameworks": Frameworks(directory),
            "publisher": RecordingPublisher("scoring")}


def submitted_event(*args, **kwargs):
    return payload("report_submitted", submitted_data(*args, **kwargs))


def scored(ports):
    return [event.data for event in ports["publisher"].of_type("report_scored")]


def test_a_redelivered_report_is_assessed_once_and_its_event_sent_again_with_the_same_id(ports):
    submitted = submitted_event(with_steps_1_and_21(blank_report()), company())
    results = [usecases.score_submitted(submitted, **ports) for _ in range(3)]
    assert [each.created for each in results] == [True, False, False]
    events = ports["publisher"].of_type("report_scored")
    assert len(events) == 3 and len({event.id for event in events}) == 1
    assert events[0].data["assessment"]["score"] == 22.2
    assert events[0].data["progress"] == {"policy_and_chain_mapping": True}


def test_an_assessment_carries_the_time_of_the_submission_it_answers_and_a_rescore_none(ports):
    from datetime import datetime
    submitted = submitted_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), company())
    occurred = datetime.fromisoformat("2026-01-05T10:00:00.250000+00:00")
    usecases.score_submitted(submitted, **ports, submission_occurred_at=occurred)
    first = ports["publisher"].of_type("report_scored")[0]
    assert first.submission_occurred_at == occurred, "beside the event, for the metric's header"
    assert "submission_occurred_at" not in first.data, "no part of the event's contract"
    kept = ports["store"].kept_assessment("r-1", Ordinal(report_version=1, framework_version=1, correction=0))
    assert kept.event.submission_occurred_at == occurred, "kept with the event, for the outbox relay"
    path = ports["frameworks"].directory / "year-1.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.update(version=2, minimum_score=30)  # 27.8 % falls below: the rescore changes the outcome
    path.write_text(yaml.safe_dump(raw))
    assert usecases.rescore_year(1, **ports).summary()["rescored"] == ["r-1"]
    assert ports["publisher"].of_type("report_scored")[-1].submission_occurred_at is None, \
        "a rescore answers no submission: no lag to measure"


def test_an_older_version_arriving_late_does_not_claim_to_replace_the_newer(ports):
    who = company()
    newer = submitted_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), who, version=2)
    older = submitted_event(blank_report(), who, version=1)
    usecases.score_submitted(newer, **ports)
    usecases.score_submitted(older, **ports)
    first, late = scored(ports)
    assert first["previous_assessment"] is None
    assert late["ordinal"] == {"report_version": 1, "framework_version": 1, "correction": 0} and late["previous_assessment"] is None, \
        "the late version replaces nothing: its ordinal is lower, so consumers keep the newer"


def test_an_event_kept_while_the_broker_is_down_goes_out_on_the_redelivery(ports):
    submitted = submitted_event(blank_report(), company())
    ports["publisher"].failing = True
    usecases.score_submitted(submitted, **ports)
    ports["publisher"].failing = False
    again = usecases.score_submitted(submitted, **ports)
    assert not again.created and len(scored(ports)) == 1


def test_rescoring_assesses_again_only_what_a_corrected_framework_changes(ports, tmp_path):
    low, high = company(), company()
    usecases.score_submitted(submitted_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), low,
                                             report_id="low"), **ports)
    usecases.score_submitted(submitted_event(with_steps_1_and_21(blank_report(
        plan_of_approach=True, monitoring={"systematic": True, "effectiveness_evaluated": True})), high,
        report_id="high"), **ports)
    path = tmp_path / "frameworks" / "year-1.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.update(version=2, minimum_score=30)  # 27.8 % falls below; 44.4 % stays above
    path.write_text(yaml.safe_dump(raw))
    rescored = usecases.rescore_year(1, **ports)
    assert rescored.summary() == {"covenant_year": 1, "framework_version": 2, "rescored": ["low"], "unchanged": 1}
    latest = scored(ports)[-1]
    assert (latest["report_id"], latest["ordinal"], latest["assessment"]["outcome"]) == (
        "low", {"report_version": 1, "framework_version": 2, "correction": 0}, "needs_more_time")
    assert latest["previous_assessment"]["outcome"] == "compliant"
    assert usecases.rescore_year(1, **ports).summary()["rescored"] == [], "a second run changes nothing"


def test_the_assessment_is_shown_to_its_owner_only(ports):
    who = company()
    usecases.score_submitted(submitted_event(blank_report(), who, report_id="r-9"), **ports)
    shown = usecases.assessment_of(Caller(COMPANY, who["id"]), "r-9", store=ports["store"])
    assert (shown["report_id"], shown["outcome"]) == ("r-9", "needs_more_time")
    with pytest.raises(errors.NotFound):
        usecases.assessment_of(Caller(COMPANY, "someone-else"), "r-9", store=ports["store"])


def verification_ports(ports):
    from services.scoring.domain import VerificationRules
    return {**ports, "clock": SettableClock("2021-03-01T10:00:00"), "rules": VerificationRules(0.10, 3)}


def test_a_years_sample_is_drawn_once_and_can_be_drawn_again_from_its_seed(ports):
    with pytest.raises(errors.Invalid) as refused:  # drawn from nothing, the sample would stay empty for good
        usecases.draw_sample(1, None, **verification_ports(ports))
    assert list(refused.value.errors) == ["covenant_year"] and ports["store"].draw(1) is None
    for number in range(12):
        usecases.score_submitted(submitted_event(blank_report(), company(), report_id=f"r-{number}"), **ports)
    given = verification_ports(ports)
    draw, made = usecases.draw_sample(1, "commission-2021-03-01", **given)
    assert made and len(draw["sampled"]) == 3 and len(draw["population"]) == 12
    assert [event.data["seed"] for event in ports["publisher"].of_type("verification_sample_drawn")] == \
        ["commission-2021-03-01"]
    assert usecases.draw_sample(1, None, **given) == (draw, False)
    assert usecases.draw_sample(1, "commission-2021-03-01", **given) == (draw, False)
    with pytest.raises(errors.Invalid) as refused:
        usecases.draw_sample(1, "a luckier seed", **given)
    assert "drawn on 2021-03-01 with seed commission-2021-03-01" in refused.value.errors["seed"][0]
    assert usecases.redraw(1, store=ports["store"])["same"] is True
    assert len(ports["publisher"].of_type("verification_sample_drawn")) == 1, "each company is told once"


def test_only_a_sampled_report_is_verified_and_a_later_record_replaces_the_earlier(ports):
    who = company()
    usecases.score_submitted(submitted_event(blank_report(), who, report_id="r-1"), **ports)
    given = verification_ports(ports)
    usecases.draw_sample(1, "s", **given)
    record = dict(store=ports["store"], publisher=ports["publisher"], clock=given["clock"], recorded_by="secretariat")
    given["clock"].set("2021-03-02T10:00:00")
    with pytest.raises(errors.Invalid):
        usecases.record_verification(1, {"company_id": "someone-else", "result": "confirmed",
                                         "verified_on": "2021-03-02"}, **record)
    usecases.record_verification(1, {"company_id": who["id"], "result": "confirmed", "verified_on": "2021-03-02"},
                                 **record)
    given["clock"].set("2021-03-05T10:00:00")
    with pytest.raises(errors.Invalid) as future:  # a verification is recorded once it is done
        usecases.record_verification(1, {"company_id": who["id"], "result": "confirmed", "verified_on": "2021-03-06"},
                                     **record)
    assert future.value.problems["verified_on"][0].params == {"today": "2021-03-05"}
    usecases.record_verification(1, {"company_id": who["id"], "result": "corrected", "verified_on": "2021-03-05",
                                     "corrections": "Factories known: 4 of 12, not 8."}, **record)
    assert usecases.latest_verifications(1, store=ports["store"]) == [{"company_id": who["id"], "result": "corrected"}]
    verified = ports["publisher"].of_type("report_verified")
    assert verified[0].data["sequence"] < verified[1].data["sequence"], "a later record replaces an earlier one"


def test_once_a_correction_is_applied_no_instance_scores_under_the_older_version(ports):
    other_instance = Frameworks(ports["frameworks"].directory)  # read its files before the correction
    path = ports["frameworks"].directory / "year-1.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.update(version=2, minimum_score=30)
    path.write_text(yaml.safe_dump(raw))
    usecases.rescore_year(1, **ports)
    assert [each.data for each in ports["publisher"].of_type("framework_corrected")] == [
        {"covenant_year": 1, "version": 2}]
    usecases.score_submitted(submitted_event(with_steps_1_and_21(blank_report(plan_of_approach=True)), company()),
                             store=ports["store"], frameworks=other_instance, publisher=ports["publisher"])
    assert scored(ports)[-1]["ordinal"] == {"report_version": 1, "framework_version": 2, "correction": 0}
    assert scored(ports)[-1]["assessment"]["outcome"] == "needs_more_time", "27.8 % is below the new 30 %"


def test_a_framework_corrected_event_makes_an_instance_read_its_files_once(ports):
    path = ports["frameworks"].directory / "year-1.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.update(version=3)
    path.write_text(yaml.safe_dump(raw))
    assert usecases.apply_correction(payload("framework_corrected", {"covenant_year": 1, "version": 3}), frameworks=ports["frameworks"])
    assert ports["frameworks"].get(1).version == 3
    assert not usecases.apply_correction(payload("framework_corrected", {"covenant_year": 1, "version": 3}), frameworks=ports["frameworks"])


def appeal_upheld(report_id, version, *corrections, number="2021-001"):
    """The data of a case_moved event: the commission upheld an appeal against a report version."""
    return {"number": number, "kind": "assessment_appeal", "covenant_year": 1, "language": "en",
            "from_state": "in_investigation", "to_state": "decided", "at": "2021-03-20T10:00:00+00:00",
            "company_id": None, "admissible": True, "company_asked": True, "deadline": None,
            "decision": {"outcome": "upheld", "decided_by": "chair",
                         "appeal": {"report_id": report_id, "version": version},
                         "corrections": [{"code": code, "met": True, "why": "Shown to the commission."}
                                         for code in corrections]}}


def test_a_correction_on_appeal_survives_a_rescoring_under_a_corrected_framework(ports, tmp_path):
    usecases.score_submitted(submitted_event(with_steps_1_and_21(blank_report()), company(), report_id="r-1"),
                             **ports)
    assert scored(ports)[-1]["assessment"]["outcome"] == "needs_more_time"  # no plan of approach
    usecases.apply_appeal_decision(payload("case_moved", appeal_upheld("r-1", 1, "plan_of_approach")), **ports)
    assert scored(ports)[-1]["assessment"]["outcome"] == "compliant"

    path = tmp_path / "frameworks" / "year-1.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.update(version=2, minimum_score=90)  # a correction the report's score falls below
    path.write_text(yaml.safe_dump(raw))
    assert usecases.rescore_year(1, **ports).summary()["rescored"] == ["r-1"]

    latest = usecases.assessment_of_version("r-1", 1, store=ports["store"])["assessment"]
    assert latest["framework_version"] == 2
    plan = next(each for each in latest["criteria"] if each["code"] == "plan_of_approach")
    assert plan["met"] and plan["reason"].startswith("Corrected on appeal (case 2021-001)")
    unmet = [each["code"] for each in latest["requirements"] if not each["met"]]
    assert unmet == ["min_score"] and latest["outcome"] == "needs_more_time"  # for its score alone now


def test_a_report_refused_for_its_year_leaves_the_store_as_it_was(ports):
    submitted = submitted_event(blank_report(covenant_year=9), company())
    with pytest.raises(errors.NotFound):  # no framework for year 9: parked, a domain error
        usecases.score_submitted(submitted, **ports)
    store = ports["store"]
    assert store.kept_report("r-1", 1) is None and store.latest_assessment("r-1") is None
    assert ports["publisher"].published == []


def everything_read(store, year=1):
    """Each company's latest version of the year with its latest assessment, read from every stored version
    and assessment (what the read model must equal)."""
    found = {}
    for latest in store.latest_reports(year):
        stored = store.latest_assessment_of_version(latest["report_id"], latest["version"])
        if stored:
            found[latest["company_id"]] = (latest["report_id"], stored["version"], stored["framework_version"],
                                           stored["assessment"]["score"], stored["assessment"]["outcome"])
    return found


def overview(ports, year=1):
    return {each["company_id"]: (each["report_id"], each["version"], each["framework_version"], each["score"],
                                 each["outcome"]) for each in usecases.year_overview(year, store=ports["store"])}


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.permutations([(who, version) for who in range(3) for version in (1, 2, 3)] + [(0, 2), (1, 3)]),
       st.integers(0, 11))
def test_the_overview_answers_from_its_read_model_what_every_version_and_assessment_say(
        tmp_path_factory, arrivals, rescore_after):
    ports = {"store": in_memory(ScoringStore), "publisher": RecordingPublisher("scoring"),
             "frameworks": Frameworks(shutil.copytree(SHIPPED_FRAMEWORKS, tmp_path_factory.mktemp("f") / "f"))}
    companies = [company(company_id=f"c-{number}") for number in range(3)]
    reports = [blank_report(), with_steps_1_and_21(blank_report()), with_steps_1_and_21(blank_report(plan_of_approach=True))]
    for index, (who, version) in enumerate(arrivals):  # any order, some delivered twice
        usecases.score_submitted(submitted_event(reports[version - 1], companies[who], version=version,
                                                 report_id=f"r-{who}"), **ports)
        if index == rescore_after:  # a corrected framework: every latest version assessed again
            path = ports["frameworks"].directory / "year-1.yaml"
            raw = yaml.safe_load(path.read_text())
            path.write_text(yaml.safe_dump({**raw, "version": 2, "minimum_score": 25}))
            usecases.rescore_year(1, **ports)
        assert overview(ports) == everything_read(ports["store"])
    assert {each["company"]["id"]: each["ordinal"]["report_version"] for each in usecases.latest_assessments(1, store=ports["store"])} \
        == {who["id"]: 3 for who in companies}
    assert [each["company_id"] for each in usecases.latest_assessments(1, store=ports["store"], after="c-0", limit=1)] \
        == ["c-1"]


def test_a_store_from_before_the_read_model_gets_it_once_from_what_it_holds(ports):
    for number in range(3):
        for version in (1, 2):
            usecases.score_submitted(submitted_event(blank_report(), company(company_id=f"c-{number}"),
                                                     version=version, report_id=f"r-{number}"), **ports)
    before = overview(ports)
    ports["store"].latest.drop()  # as a store written by the version before the read model
    assert overview(ports) == {}
    ports["store"].ensure_indexes()
    assert overview(ports) == before == everything_read(ports["store"]) and len(before) == 3
