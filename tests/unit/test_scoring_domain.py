"""Scoring against the assessment framework (contract §2), without a broker."""
import copy

import pytest
import yaml

from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from services.scoring.domain import FrameworkError, assess, band, load_frameworks, parse_framework
from tests.support import blank_report, company, mitigation, risk, with_steps_1_and_21

FRAMEWORKS = load_frameworks(SHIPPED_FRAMEWORKS)
IMPORTER = company()


def score(report, framework_year=None, who=IMPORTER):
    return assess(report, who, FRAMEWORKS[framework_year or report["covenant_year"]])


def criterion(assessment, code):
    return next(each for each in assessment["criteria"] if each["code"] == code)


def requirement(assessment, code):
    return next(each for each in assessment["requirements"] if each["code"] == code)


def test_blank_report_scores_nothing():
    assessment = score(blank_report())
    assert (assessment["points"], assessment["score"], assessment["band"]) == (0, 0.0, "<20")
    assert assessment["outcome"] == "needs_more_time"


def test_year_1_steps_1_and_21_in_full_give_22_2_percent():
    assessment = score(with_steps_1_and_21(blank_report(1)))
    assert (assessment["points"], assessment["maximum"], assessment["score"]) == (20, 90, 22.2)
    assert assessment["band"] == "20-40"
    assert requirement(assessment, "min_score")["met"] is True
    assert requirement(assessment, "chain_insight")["met"] is True


def test_year_1_importer_from_risk_countries_needs_a_plan_of_approach_to_comply():
    without_plan = score(with_steps_1_and_21(blank_report(1)))
    assert requirement(without_plan, "plan_of_approach") == {
        "code": "plan_of_approach", "applicable": True, "met": False,
        "reason": "A company that imports from outside the European Economic Area must attach a plan of approach.",
        "reasons": {"en": "A company that imports from outside the European Economic Area must attach a plan of approach.",
                    "nl": "Wie van buiten de Europese Economische Ruimte importeert, moet een plan van aanpak bijvoegen."}}
    assert without_plan["outcome"] == "needs_more_time"
    with_plan = score(with_steps_1_and_21(blank_report(1, plan_of_approach=True)))
    assert with_plan["outcome"] == "compliant"
    assert with_plan["score"] == 27.8  # 25 / 90


# Each criterion on its own: what to change in a blank report, and the points it gives in each year.
CRITERIA = [
    ("policy_statement_adopted", {"policy": {"statement_adopted": True, "embedded_in_management": False,
                                             "shared_with_suppliers": False}}, 4),
    ("policy_embedded_in_management", {"policy": {"statement_adopted": False, "embedded_in_management": True,
                                                  "shared_with_suppliers": False}}, 3),
    ("policy_shared_with_suppliers", {"policy": {"statement_adopted": False, "embedded_in_management": False,
                                                 "shared_with_suppliers": True}}, 3),
    ("direct_suppliers_known", {"supply_chain.direct_suppliers": {"known": 10, "total": 10}}, 4),
    ("factories_known", {"supply_chain.factories": {"known": 10, "total": 10}}, 2),
    ("quarry_regions_known", {"supply_chain.quarry_regions": {"known": 10, "total": 10}}, 2),
    ("quarries_known", {"supply_chain.quarries": {"known": 10, "total": 10}}, 2),
    ("risk_reported", {"risks": [risk(source="public_report")]}, 5),
    ("risks_prioritised", {"risk_prioritisation": "severity_and_likelihood"}, 5),
    ("plan_of_approach", {"plan_of_approach": True}, 5),
    ("supplier_improvement", {"mitigation": [mitigation("supplier_improvement")]}, 8),
    ("regional_project", {"mitigation": [mitigation("regional_project")]}, 6),
    ("certification_programme", {"mitigation": [mitigation("certification_programme")]}, 6),
    ("systematic_monitoring", {"monitoring": {"systematic": True, "effectiveness_evaluated": False}}, 10),
    ("effectiveness_evaluated", {"monitoring": {"systematic": False, "effectiveness_evaluated": True}}, 5),
    ("public_report", {"communication": {"public_report_url": "https://example.nl/dd-2020"}}, 15),
]


def apply(report, changes):
    report = copy.deepcopy(report)
    for path, value in changes.items():
        target = report
        *parents, last = path.split(".")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return report


@pytest.mark.parametrize("year", [1, 2])
@pytest.mark.parametrize("code,changes,points", CRITERIA, ids=[each[0] for each in CRITERIA])
def test_each_criterion_alone_gives_its_points(year, code, changes, points):
    assessment = score(apply(blank_report(year), changes))
    assert criterion(assessment, code)["met"] is True
    assert criterion(assessment, code)["points"] == points
    assert assessment["points"] == points
    assert all(not each["met"] for each in assessment["criteria"] if each["code"] != code)


def test_a_risk_from_an_independent_audit_or_stakeholder_dialogue_gives_both_risk_criteria():
    for source in ("independent_audit", "stakeholder_dialogue"):
        assessment = score(blank_report(risks=[risk(source=source)]))
        assert criterion(assessment, "risk_reported")["met"]
        assert criterion(assessment, "risk_independently_identified")["met"]
        assert assessment["points"] == 10
    assert not criterion(score(blank_report(risks=[risk(source="site_visit")])),
                         "risk_independently_identified")["met"]


def test_step_6_is_scored_in_year_2_only():
    report = {"remediation": {"grievance_mechanism": True}}
    assert score(apply(blank_report(1), report))["points"] == 0
    assert all(each["code"] != "grievance_mechanism" for each in score(blank_report(1))["criteria"])
    year_2 = score(apply(blank_report(2), report))
    assert (year_2["points"], year_2["maximum"], year_2["score"]) == (10, 100, 10.0)


def test_everything_done_scores_100_percent_in_both_years():
    report = blank_report(
        risks=[risk(source="independent_audit")], risk_prioritisation="severity_and_likelihood",
        mitigation=[mitigation(kind) for kind in ("supplier_improvement", "regional_project",
                                                   "certification_programme")],
        plan_of_approach=True, monitoring={"systematic": True, "effectiveness_evaluated": True},
        communication={"public_report_url": "https://example.nl/dd"},
        remediation={"grievance_mechanism": True})
    for year in (1, 2):
        assessment = score(with_steps_1_and_21({**report, "covenant_year": year}))
        assert assessment["score"] == 100.0 and assessment["band"] == ">=60"
        assert assessment["outcome"] == "compliant"


# Chain thresholds, at and around each one: (year, link, known of 100, met?)
THRESHOLDS = [
    (1, "direct_suppliers", 99, False), (1, "direct_suppliers", 100, True),
    (1, "factories", 49, False), (1, "factories", 50, True), (1, "factories", 51, True),
    (1, "quarry_regions", 49, False), (1, "quarry_regions", 50, True),
    (1, "quarries", 24, False), (1, "quarries", 25, True), (1, "quarries", 26, True),
    (2, "direct_suppliers", 99, False), (2, "direct_suppliers", 100, True),
    (2, "factories", 74, False), (2, "factories", 75, True),
    (2, "quarry_regions", 74, False), (2, "quarry_regions", 75, True),
    (2, "quarries", 49, False), (2, "quarries", 50, True),
]


@pytest.mark.parametrize("year,link,known,met", THRESHOLDS)
def test_chain_thresholds(year, link, known, met):
    report = with_steps_1_and_21(blank_report(year))
    report["supply_chain"][link] = {"known": known, "total": 100}
    assessment = score(report)
    code = f"{link}_known"
    assert criterion(assessment, code)["met"] is met
    assert requirement(assessment, "chain_insight")["met"] is met
    if not met:
        assert f"{known} % of" in requirement(assessment, "chain_insight")["reason"]


def test_a_link_with_nothing_to_know_counts_as_fully_known():
    report = with_steps_1_and_21(blank_report())
    report["supply_chain"]["quarries"] = {"known": 0, "total": 0}
    assert criterion(score(report), "quarries_known")["met"]


@pytest.mark.parametrize("points_done,score_shown,met", [
    # policy (10) + direct suppliers (4) + factories (2) + quarry regions (2) = 18 of 90 = 20.0 %
    ("all", 20.0, True),
    ("no_quarry_regions", 17.8, False),
])
def test_year_1_minimum_score_at_the_threshold(points_done, score_shown, met):
    report = with_steps_1_and_21(blank_report(1))
    report["supply_chain"]["quarries"] = {"known": 0, "total": 10}
    if points_done == "no_quarry_regions":
        report["supply_chain"]["quarry_regions"] = {"known": 0, "total": 10}
    assessment = score(report)
    assert assessment["score"] == score_shown
    assert requirement(assessment, "min_score")["met"] is met


def test_year_2_minimum_is_40_percent():
    report = with_steps_1_and_21(blank_report(2, risk_prioritisation="severity_and_likelihood",
                                              plan_of_approach=True))
    assessment = score(report)  # 20 + 5 + 5 = 30 of 100
    assert assessment["score"] == 30.0
    assert requirement(assessment, "min_score")["met"] is False
    assert assessment["outcome"] == "needs_more_time"
    report["mitigation"] = [mitigation("supplier_improvement"), mitigation("regional_project")]
    assessment = score(report)  # + 14 = 44
    assert (assessment["score"], assessment["outcome"]) == (44.0, "compliant")


def test_year_2_high_score_without_prioritisation_by_severity_and_likelihood_needs_more_time():
    report = with_steps_1_and_21(blank_report(
        2, risks=[risk(source="independent_audit")], risk_prioritisation="volume", plan_of_approach=True,
        mitigation=[mitigation("supplier_improvement")], monitoring={"systematic": True,
                                                                      "effectiveness_evaluated": True},
        communication={"public_report_url": "https://example.nl/dd"}))
    assessment = score(report)
    assert assessment["score"] >= 60
    core = requirement(assessment, "core_questions")
    assert core["met"] is False
    assert core["reason"] == "Core question not met: Risks prioritised by severity and likelihood."
    assert assessment["outcome"] == "needs_more_time"
    assert criterion(assessment, "risks_prioritised")["reason"] == \
        "Risks are prioritised by volume, not by severity and likelihood."
    # the same report in year 1: prioritisation is no core question yet
    assert score({**report, "covenant_year": 1})["outcome"] == "compliant"


def test_year_1_without_a_policy_statement_fails_the_core_question_whatever_the_score():
    report = with_steps_1_and_21(blank_report(1, plan_of_approach=True,
                                              monitoring={"systematic": True, "effectiveness_evaluated": True}))
    report["policy"]["statement_adopted"] = False
    assessment = score(report)
    assert assessment["score"] > 20
    assert requirement(assessment, "core_questions")["met"] is False
    assert assessment["outcome"] == "needs_more_time"


@pytest.mark.parametrize("countries,regions,eea_only", [
    (["PT", "IT"], [{"country": "PT", "region": "Alentejo", "state": None}], True),
    (["NO"], [], True),
    (["PT"], [{"country": "IN", "region": "Bundi", "state": "Rajasthan"}], False),
    (["PT", "TR"], [], False),
    (["CH"], [], False),  # Switzerland is not in the EEA
    ([], [], False),      # nothing known: not shown to source inside the EEA
])
def test_eea_only_importer_needs_no_plan_of_approach(countries, regions, eea_only):
    report = with_steps_1_and_21(blank_report(production_countries=countries, quarry_regions=regions))
    assessment = score(report)
    assert assessment["eea_only"] is eea_only
    plan = requirement(assessment, "plan_of_approach")
    assert plan["applicable"] is (not eea_only)
    assert assessment["outcome"] == ("compliant" if eea_only else "needs_more_time")


def test_a_company_that_does_not_import_itself_needs_no_plan_of_approach():
    processor = company(role="processor", imports_directly=False)
    assessment = score(with_steps_1_and_21(blank_report()), who=processor)
    assert requirement(assessment, "plan_of_approach")["applicable"] is False
    assert assessment["outcome"] == "compliant"


@pytest.mark.parametrize("score_points,expected", [(0, "<20"), (17, "<20"), (18, "20-40"), (36, "40-60"),
                                               (54, ">=60"), (90, ">=60")])
def test_bands_have_inclusive_lower_bounds(score_points, expected):
    assert band(score_points * 100 / 90) == expected


# --- framework files -----------------------------------------------------------------------------

def year_1_raw():
    return yaml.safe_load((SHIPPED_FRAMEWORKS / "year-1.yaml").read_text())


def test_shipped_frameworks_match_the_contract():
    one, two = FRAMEWORKS[1], FRAMEWORKS[2]
    assert (one.maximum, one.minimum_score, two.maximum, two.minimum_score) == (90, 20, 100, 40)
    assert one.chain_thresholds == {"direct_suppliers": 100, "factories": 50, "quarry_regions": 50, "quarries": 25}
    assert two.chain_thresholds == {"direct_suppliers": 100, "factories": 75, "quarry_regions": 75, "quarries": 50}
    assert [c.code for c in one.criteria if c.core] == ["policy_statement_adopted"]
    assert [c.code for c in two.criteria if c.core] == ["policy_statement_adopted", "risks_prioritised"]
    assert (str(one.due_date), str(one.catch_up_date)) == ("2020-12-31", "2021-04-01")


@pytest.mark.parametrize("change,fault", [
    (lambda raw: raw.update(maximum=100), "maximum: The criteria's points add up to 90, not 100."),
    (lambda raw: raw["criteria"].append({"code": "bribery", "step": "3", "points": 1}), "criteria.17.code"),
    (lambda raw: raw.update(catch_up_date="2020-12-01"), "catch_up_date: Must be after the due date."),
    (lambda raw: raw.pop("minimum_score"), "minimum_score: Missing data for required field."),
    (lambda raw: raw["chain_thresholds"].update(quarries=125), "chain_thresholds.quarries"),
    (lambda raw: raw.update(colour="blue"), "colour: Unknown field."),
])
def test_a_broken_framework_file_is_refused_with_its_fault(change, fault):
    raw = year_1_raw()
    change(raw)
    with pytest.raises(FrameworkError) as refused:
        parse_framework(raw, "year-1.yaml")
    assert str(refused.value).startswith("year-1.yaml: ")
    assert fault in str(refused.value)


def test_a_framework_file_named_for_another_year_is_refused(tmp_path):
    (tmp_path / "year-3.yaml").write_text((SHIPPED_FRAMEWORKS / "year-1.yaml").read_text())
    with pytest.raises(FrameworkError, match="holds covenant_year 1; name it year-1.yaml"):
        load_frameworks(tmp_path)


def test_every_reason_is_said_in_dutch_and_english_and_numbers_read_as_each_language_writes_them():
    report = blank_report(1, supply_chain={"direct_suppliers": {"known": 10, "total": 10},
                                           "factories": {"known": 1, "total": 3},
                                           "quarry_regions": {"known": 1, "total": 2},
                                           "quarries": {"known": 1, "total": 4}})
    assessment = score(report)
    for each in assessment["criteria"] + assessment["requirements"]:
        assert set(each["reasons"]) == {"en", "nl"} and each["reason"] == each["reasons"]["en"]
        assert each["reasons"]["nl"] != each["reasons"]["en"], each["code"]
    factories = next(each for each in assessment["criteria"] if each["code"] == "factories_known")
    assert factories["reasons"] == {"en": "33.3 % of factories known, below the threshold of 50 %.",
                                    "nl": "33,3 % van de fabrieken bekend, onder de drempel van 50 %."}


@pytest.mark.parametrize("count,en,nl", [
    (0, "No regional project reported.", "Geen regionaal project gerapporteerd."),
    (1, "1 regional project reported.", "1 regionaal project gerapporteerd."),
    (2, "2 regional projects reported.", "2 regionale projecten gerapporteerd.")])
def test_a_count_in_a_reason_is_said_in_proper_plurals_in_both_languages(count, en, nl):
    assessment = score(blank_report(1, mitigation=[mitigation("regional_project")] * count,
                                    risks=[risk()] * count))
    assert criterion(assessment, "regional_project")["reasons"] == {"en": en, "nl": nl}
    for each in assessment["criteria"]:
        assert "(s)" not in each["reasons"]["en"] and "(en)" not in each["reasons"]["nl"], each["code"]


@pytest.mark.parametrize("population,size", [(0, 0), (2, 2), (26, 3), (30, 3), (31, 4), (200, 20)])
def test_the_sample_is_a_tenth_at_least_three_and_never_more_than_all(population, size):
    from services.scoring.domain import sample_size
    assert sample_size(population, 0.10, 3) == size


def test_the_same_seed_draws_the_same_companies_whatever_order_they_come_in():
    from services.scoring.domain import draw_sample
    companies = [f"company-{number:02d}" for number in range(26)]
    drawn = draw_sample(companies, "commission-2021-03-01", 3)
    assert draw_sample(list(reversed(companies)), "commission-2021-03-01", 3) == drawn
    assert len(set(drawn)) == 3 and set(drawn) <= set(companies)
    assert draw_sample(companies, "another seed", 3) != drawn


def test_a_correction_on_appeal_counts_in_the_criterion_and_its_requirement():
    report = with_steps_1_and_21(blank_report(1))  # an importer from India without a plan of approach
    corrected = assess(report, IMPORTER, FRAMEWORKS[1], {"plan_of_approach": {
        "code": "plan_of_approach", "met": True, "why": "The plan was sent in time.", "case": "K-2021-0002"}})
    criterion = next(each for each in corrected["criteria"] if each["code"] == "plan_of_approach")
    assert (criterion["met"], criterion["points"], criterion["corrected_by"]) == (True, 5, "K-2021-0002")
    assert requirement(corrected, "plan_of_approach")["met"] is True
    assert corrected["outcome"] == "compliant" and corrected["score"] == 27.8
