"""Every rule of the annual report (contract §1): a failing example and its message, and valid shapes."""
import copy
import json
from pathlib import Path

import pytest

from common import errors
from common.web import load
from services.submission.schemas import AnnualReport
from tests.support import blank_report, mitigation, risk

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "report.json").read_text())


def refused(report):
    with pytest.raises(errors.Invalid) as caught:
        load(AnnualReport(), report)
    return caught.value.errors


def changed(path, value, base=None):
    report = copy.deepcopy(base or EXAMPLE)
    target = report
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return report


DELETE = object()

RULES = [
    # (field path, bad value, {error path: [message]})
    ("covenant_year", 0, {"covenant_year": ["Must be between 1 and 50."]}),
    ("covenant_year", 51, {"covenant_year": ["Must be between 1 and 50."]}),
    ("covenant_year", "1", {"covenant_year": ["Must be an integer."]}),
    ("covenant_year", 1.5, {"covenant_year": ["Must be an integer."]}),
    ("covenant_year", True, {"covenant_year": ["Must be an integer."]}),
    ("covenant_year", DELETE, {"covenant_year": ["Missing data for required field."]}),
    ("chains", -1, {"chains": ["Must be between 0 and 1000000."]}),
    ("chains", 2 ** 64, {"chains": ["Must be between 0 and 1000000."]}),
    ("chains", DELETE, {"chains": ["Missing data for required field."]}),
    ("supply_chain.factories", {"known": 13, "total": 12}, {"supply_chain.factories.known": ["Must not exceed total."]}),
    ("supply_chain.quarries.known", -1, {"supply_chain.quarries.known": ["Must be between 0 and 1000000."]}),
    ("supply_chain.quarries", {"known": 2 ** 63, "total": 2 ** 64},
     {"supply_chain.quarries.known": ["Must be between 0 and 1000000."],
      "supply_chain.quarries.total": ["Must be between 0 and 1000000."]}),
    ("supply_chain.quarries", {"known": 1}, {"supply_chain.quarries.total": ["Missing data for required field."]}),
    ("supply_chain.direct_suppliers", DELETE, {"supply_chain.direct_suppliers": ["Missing data for required field."]}),
    ("supply_chain.mines", {"known": 0, "total": 0}, {"supply_chain.mines": ["Unknown field."]}),
    ("production_countries", ["IN", "IN"], {"production_countries": ["Duplicate country: IN."]}),
    ("production_countries", ["in"], {"production_countries.0": ["Not an ISO 3166-1 alpha-2 country code: 'in'."]}),
    ("production_countries", ["IND"], {"production_countries.0": ["Not an ISO 3166-1 alpha-2 country code: 'IND'."]}),
    ("production_countries", ["XK"], {"production_countries.0": ["Not an ISO 3166-1 alpha-2 country code: 'XK'."]}),
    ("production_countries", "IN", {"production_countries": ["Not a valid list."]}),
    ("quarry_regions.0.country", "ZZ", {"quarry_regions.0.country": ["Not an ISO 3166-1 alpha-2 country code: 'ZZ'."]}),
    ("quarry_regions.0.region", "", {"quarry_regions.0.region": ["Length must be between 1 and 200."]}),
    ("quarry_regions.1", {"country": "IN", "region": "Bundi", "state": None},
     {"quarry_regions": ["Duplicate quarry region: IN/Bundi."]}),
    ("quarry_regions.0.state", DELETE, {"quarry_regions.0.state": ["Missing data for required field."]}),
    ("materials", ["granite", "granite"], {"materials": ["Duplicate material: granite."]}),
    ("materials", ["concrete"], {"materials.0": ["Must be one of: basalt, granite, limestone, slate, marble, sandstone."]}),
    ("risks.0.theme", "noise", {"risks.0.theme": ["Must be one of: health_and_safety, living_wage, forced_labour, "
                                                  "child_labour, freedom_of_association, environment, site_closure."]}),
    ("risks.0.severity", "extreme", {"risks.0.severity": ["Must be one of: low, medium, high."]}),
    ("risks.1.likelihood", "HIGH", {"risks.1.likelihood": ["Must be one of: low, medium, high."]}),
    ("risks.0.actual", "yes", {"risks.0.actual": ["Must be true or false."]}),
    ("risks.0.actual", 1, {"risks.0.actual": ["Must be true or false."]}),
    ("risks.0.source", "rumour", {"risks.0.source": ["Must be one of: site_visit, independent_audit, public_report, "
                                                     "stakeholder_dialogue."]}),
    ("risks.0.country", "India", {"risks.0.country": ["Not an ISO 3166-1 alpha-2 country code: 'India'."]}),
    ("risk_prioritisation", "gut_feeling", {"risk_prioritisation": ["Must be one of: severity_and_likelihood, volume, none."]}),
    ("policy.statement_adopted", None, {"policy.statement_adopted": ["Field may not be null."]}),
    ("policy.embedded_in_management", "true", {"policy.embedded_in_management": ["Must be true or false."]}),
    ("mitigation.0.kind", "donation", {"mitigation.0.kind": ["Must be one of: supplier_improvement, regional_project, "
                                                             "certification_programme."]}),
    ("mitigation.0.description", "", {"mitigation.0.description": ["Length must be between 1 and 2000."]}),
    ("plan_of_approach", "attached", {"plan_of_approach": ["Must be true or false."]}),
    ("monitoring.systematic", DELETE, {"monitoring.systematic": ["Missing data for required field."]}),
    ("communication.public_report_url", "http://example.nl/dd", {"communication.public_report_url": ["Must be an https URL."]}),
    ("communication.public_report_url", "not a url", {"communication.public_report_url": ["Must be an https URL."]}),
    ("remediation.grievance_mechanism", 0, {"remediation.grievance_mechanism": ["Must be true or false."]}),
    ("evidence.0.kind", "photo", {"evidence.0.kind": ["Must be one of: audit_report, certificate, other."]}),
    ("evidence.0.issued_on", "12-06-2020", {"evidence.0.issued_on": ["Not a valid date."]}),
    ("evidence.0.issued_on", "9999-12-31", {"evidence.0.issued_on": ["Must be between 2010-01-01 and 2069-09-30."]}),
    ("evidence.0.issued_on", "0201-06-12", {"evidence.0.issued_on": ["Must be between 2010-01-01 and 2069-09-30."]}),
    ("evidence.0.title", "", {"evidence.0.title": ["Length must be between 1 and 300."]}),
    ("company_id", "someone-else", {"company_id": ["Unknown field."]}),
]


@pytest.mark.parametrize("path,value,expected", RULES, ids=[f"{rule[0]}={rule[1]!r}"[:60] for rule in RULES])
def test_each_rule_refuses_with_its_message(path, value, expected):
    assert refused(changed(path, value)) == expected


def test_every_bad_field_is_named_at_once():
    report = changed("chains", -2)
    report = changed("materials", ["glass"], report)
    report = changed("risks.1.source", "rumour", report)
    assert set(refused(report)) == {"chains", "materials.0", "risks.1.source"}


def test_a_report_must_be_an_object():
    with pytest.raises(errors.Invalid) as caught:
        load(AnnualReport(), [EXAMPLE])
    assert caught.value.errors == {"body": ["Expected a JSON object."]}


@pytest.mark.parametrize("shape,report", [
    ("the example (importer from risk countries)", EXAMPLE),
    ("EEA-only importer", blank_report(production_countries=["PT", "IT"], quarry_regions=[
        {"country": "PT", "region": "Estremoz", "state": None}], materials=["marble", "limestone"],
        plan_of_approach=False)),
    ("processor that knows nothing yet, chains unknown", blank_report(chains=None, production_countries=[],
                                                                       quarry_regions=[], materials=[])),
    ("importer that found no risks", blank_report(risks=[], risk_prioritisation="none")),
    ("everything filled in", blank_report(
        chains=60, risks=[risk(source=source) for source in ("site_visit", "independent_audit")],
        mitigation=[mitigation(kind) for kind in ("supplier_improvement", "regional_project",
                                                   "certification_programme")],
        communication={"public_report_url": "https://steen.example/verslag-2020"},
        evidence=[{"kind": "certificate", "title": "ISO 14001", "issued_on": "2020-01-31"}])),
    ("a link with nothing to know", changed("supply_chain.quarries", {"known": 0, "total": 0})),
])
def test_valid_reports_of_every_shape_are_accepted_unchanged_but_for_states_kept_as_their_codes(shape, report):
    codes = {"Rajasthan": "IN-RJ", "Andhra Pradesh": "IN-AP", "Telangana": "IN-TS", "Thanh Hóa": "VN-21"}
    expected = {**report, "quarry_regions": [{**each, "state": codes.get(each["state"], each["state"])}
                                             for each in report["quarry_regions"]]}
    assert AnnualReport().dump(load(AnnualReport(), report)) == expected


@pytest.mark.parametrize("state,stored", [
    ("IN-RJ", "IN-RJ"), ("in-rj", "IN-RJ"), ("Rajasthan", "IN-RJ"), ("Rājasthān", "IN-RJ"), ("rajasthan ", "IN-RJ"),
    ("Telangana", "IN-TS"), ("Somewhere nobody knows", "Somewhere nobody knows")])
def test_a_state_is_kept_as_its_subdivision_code_or_else_as_written(state, stored):
    report = blank_report(quarry_regions=[{"country": "IN", "region": "Bundi", "state": state}])
    assert load(AnnualReport(), report)["quarry_regions"][0]["state"] == stored


@pytest.mark.parametrize("country,state,code", [
    ("IT", "Tuscany", "IT-52"), ("IT", "Toscane", "IT-52"), ("IT", "toscana", "IT-52"),
    ("DE", "Rhineland-Palatinate", "DE-RP"), ("CN", "Fujian", "CN-FJ"), ("CN", "Fujian Sheng", "CN-FJ"),
    ("VN", "Thanh Hoa", "VN-21")])
def test_subdivisions_are_known_by_their_english_and_dutch_names(country, state, code):
    report = blank_report(quarry_regions=[{"country": country, "region": "A quarry", "state": state}])
    assert load(AnnualReport(), report)["quarry_regions"][0]["state"] == code


@pytest.mark.parametrize("region,state,message", [
    ("Bundi", "IT-52", {"quarry_regions.0.state": ["IT-52 is a subdivision of Italy, not of India."]}),
    ("Bundi", "IN-ZZ", {"quarry_regions.0.state": ["IN-ZZ is not an ISO 3166-2 code of India."]}),
    ("suppressed", None, {"quarry_regions.0.region": [
        "Must be a place name: this word is what the published figures print for hidden values."]}),
    ("<b>Bundi</b>", None, {"quarry_regions.0.region": ["Must be a place name, without markup."]}),
    ("=HYPERLINK(\"x\")", None, {"quarry_regions.0.region": [
        "Must start with a letter or digit, not with =, +, - or @."]}),
    ("Bun\u0000di", None, {"quarry_regions.0.region": ["Must not contain control characters."]}),
    ("Bundi", "@Rajasthan", {"quarry_regions.0.state": ["Must start with a letter or digit, not with =, +, - or @."]}),
    ("---", None, {"quarry_regions.0.region": ["Must start with a letter or digit, not with =, +, - or @."]}),
])
def test_names_that_are_not_place_names_are_refused(region, state, message):
    report = blank_report(quarry_regions=[{"country": "IN", "region": region, "state": state}])
    with pytest.raises(errors.Invalid) as caught:
        load(AnnualReport(), report)
    assert caught.value.errors == message


def test_two_spellings_of_one_region_in_one_report_are_a_duplicate():
    report = blank_report(quarry_regions=[{"country": "IN", "region": "Bundi", "state": None},
                                          {"country": "IN", "region": "bundi district", "state": "Rajasthan"}])
    with pytest.raises(errors.Invalid) as caught:
        load(AnnualReport(), report)
    assert caught.value.errors == {"quarry_regions": ["Duplicate quarry region: IN/bundi district."]}
