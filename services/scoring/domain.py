"""Scoring a report against its year's assessment framework (contract §2). Pure: no nameko, no storage.

The framework is data (one YAML file per covenant year: points, core flags, thresholds, dates); what each
criterion means is the code below. Every criterion and requirement comes with its reason in a sentence.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable

import yaml
from marshmallow import ValidationError, fields, validate, validates_schema

from common import covenant, vocabulary
from common.errors import flatten
from common.schema import Strict

# European Economic Area: the EU 27, Iceland, Liechtenstein and Norway.
EEA = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "
                "IS LI NO".split())


class FrameworkError(Exception):
    """A framework file the service cannot run with."""


@dataclass(frozen=True)
class Criterion:
    code: str
    step: str
    points: int
    core: bool = False


@dataclass(frozen=True)
class Framework:
    covenant_year: int
    version: int
    due_date: dt.date
    catch_up_date: dt.date
    maximum: int
    minimum_score: float
    chain_thresholds: dict
    criteria: tuple[Criterion, ...]

    def to_dict(self) -> dict:
        return {
            "covenant_year": self.covenant_year, "version": self.version,
            "due_date": self.due_date.isoformat(), "catch_up_date": self.catch_up_date.isoformat(),
            "maximum": self.maximum, "minimum_score": self.minimum_score,
            "chain_thresholds": dict(self.chain_thresholds),
            "core_questions": [each.code for each in self.criteria if each.core],
            "criteria": [{"code": each.code, "step": each.step, "points": each.points, "core": each.core}
                         for each in self.criteria],
        }


# --- what each criterion means ---------------------------------------------------------------------

def _flag(met: bool, yes: str, no: str) -> tuple[bool, str]:
    return met, yes if met else no


def _chain(link: str):
    def evaluate(report, framework):
        percent = covenant.known_percent(report["supply_chain"][link])
        threshold = framework.chain_thresholds[link]
        met = percent >= threshold
        return met, (f"{_pct(percent)} of {vocabulary.SUPPLY_CHAIN_LINKS.label(link, 'en')} known, "
                     f"{'at or above' if met else 'below'} the threshold of {threshold} %.")
    return evaluate


def _mitigation(kind: str, what: str):
    def evaluate(report, framework):
        count = sum(1 for each in report["mitigation"] if each["kind"] == kind)
        return _flag(count > 0, f"{count} {what} reported.", f"No {what} reported.")
    return evaluate


def _risks_independently_identified(report, framework):
    sources = {"independent_audit", "stakeholder_dialogue"}
    return _flag(any(risk["source"] in sources for risk in report["risks"]),
                 "A risk was identified through an independent audit or stakeholder dialogue.",
                 "No risk was identified through an independent audit or stakeholder dialogue.")


def _risks_prioritised(report, framework):
    how = report["risk_prioritisation"]
    return _flag(how == "severity_and_likelihood", "Risks are prioritised by severity and likelihood.",
                 "Risks are prioritised by volume, not by severity and likelihood." if how == "volume"
                 else "Risks are not prioritised.")


def _public_report(report, framework):
    url = report["communication"]["public_report_url"]
    return _flag(bool(url), f"Due diligence is communicated publicly at {url}.",
                 "No public report is given.")


EVALUATORS: dict[str, Callable[[dict, Framework], tuple[bool, str]]] = {
    "policy_statement_adopted": lambda r, f: _flag(
        r["policy"]["statement_adopted"], "A policy statement is adopted.", "No policy statement is adopted."),
    "policy_embedded_in_management": lambda r, f: _flag(
        r["policy"]["embedded_in_management"], "The policy is embedded in management.",
        "The policy is not embedded in management."),
    "policy_shared_with_suppliers": lambda r, f: _flag(
        r["policy"]["shared_with_suppliers"], "The policy is shared with suppliers.",
        "The policy is not shared with suppliers."),
    "direct_suppliers_known": _chain("direct_suppliers"),
    "factories_known": _chain("factories"),
    "quarry_regions_known": _chain("quarry_regions"),
    "quarries_known": _chain("quarries"),
    "risk_reported": lambda r, f: _flag(
        bool(r["risks"]), f"{len(r['risks'])} risk(s) reported.", "No risk reported."),
    "risk_independently_identified": _risks_independently_identified,
    "risks_prioritised": _risks_prioritised,
    "plan_of_approach": lambda r, f: _flag(
        r["plan_of_approach"], "A plan of approach is attached.", "No plan of approach is attached."),
    "supplier_improvement": _mitigation("supplier_improvement", "supplier improvement(s)"),
    "regional_project": _mitigation("regional_project", "regional project(s)"),
    "certification_programme": _mitigation("certification_programme", "certification programme(s)"),
    "systematic_monitoring": lambda r, f: _flag(
        r["monitoring"]["systematic"], "Monitoring is systematic.", "Monitoring is not systematic."),
    "effectiveness_evaluated": lambda r, f: _flag(
        r["monitoring"]["effectiveness_evaluated"], "The effectiveness of measures is evaluated.",
        "The effectiveness of measures is not evaluated."),
    "public_report": _public_report,
    "grievance_mechanism": lambda r, f: _flag(
        r["remediation"]["grievance_mechanism"], "A grievance mechanism is in place.",
        "No grievance mechanism is in place."),
}


# --- the assessment --------------------------------------------------------------------------------

def _pct(value) -> str:
    return f"{format_score(value):g} %"


def format_score(value) -> float:
    """A percentage with one decimal, halves rounded up (20/90 -> 22.2)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) \
        else Decimal(str(value))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def band(score) -> str:
    """Score band, lower bound inclusive."""
    if score < 20:
        return "<20"
    if score < 40:
        return "20-40"
    if score < 60:
        return "40-60"
    return ">=60"


def eea_only(countries) -> bool:
    """Sources only inside the EEA: at least one country known, and every one of them in the EEA."""
    countries = set(countries)
    return bool(countries) and countries <= EEA


def sourcing_countries(report: dict) -> set[str]:
    return set(report["production_countries"]) | {region["country"] for region in report["quarry_regions"]}


def assess(report: dict, company: dict, framework: Framework) -> dict:
    """The assessment of `report` by `company` (its snapshot) under `framework`."""
    criteria = []
    points = 0
    for criterion in framework.criteria:
        met, reason = EVALUATORS[criterion.code](report, framework)
        awarded = criterion.points if met else 0
        points += awarded
        criteria.append({"code": criterion.code, "step": criterion.step, "core": criterion.core, "met": met,
                         "points": awarded, "maximum": criterion.points, "reason": reason})
    exact_score = Fraction(100 * points, framework.maximum)
    only_eea = eea_only(sourcing_countries(report))
    requirements = [
        _min_score(exact_score, framework),
        _chain_insight(criteria),
        _plan_of_approach(report, company, only_eea),
        _core_questions(criteria),
    ]
    compliant = all(each["met"] for each in requirements if each["applicable"])
    return {
        "covenant_year": framework.covenant_year,
        "framework_version": framework.version,
        "points": points,
        "maximum": framework.maximum,
        "score": format_score(exact_score),
        "band": band(exact_score),
        "outcome": "compliant" if compliant else "needs_more_time",
        "eea_only": only_eea,
        "criteria": criteria,
        "requirements": requirements,
    }


def report_scored(submitted: dict, framework: Framework, assessment: dict, previous: dict | None) -> dict:
    """The data of a report_scored event: the assessment, what it replaces, and what consumers need of the
    report, the company and the year's calendar."""
    return {
        "report_id": submitted["report_id"], "version": submitted["version"],
        "covenant_year": framework.covenant_year, "submitted_at": submitted["submitted_at"],
        "calendar": {"due_date": framework.due_date.isoformat(),
                     "catch_up_date": framework.catch_up_date.isoformat()},
        "company": submitted["company"], "ordinal": [submitted["version"], framework.version],
        "report": submitted["report"], "assessment": assessment,
        "previous_assessment": previous, "progress": vocabulary.progress(assessment["criteria"]),
    }


def same_result(one: dict, other: dict) -> bool:
    """Whether two assessments come to the same: points, score, band, outcome, and what was met.

    Reasons may differ (they name thresholds), and so may the framework version that made them.
    """
    def essence(assessment):
        return (
            assessment["points"], assessment["maximum"], assessment["score"], assessment["band"],
            assessment["outcome"],
            [(each["code"], each["met"], each["points"]) for each in assessment["criteria"]],
            [(each["code"], each["applicable"], each["met"]) for each in assessment["requirements"]],
        )
    return essence(one) == essence(other)


def _requirement(code, met, reason, applicable=True) -> dict:
    return {"code": code, "applicable": applicable, "met": met if applicable else None, "reason": reason}


def _min_score(score: Fraction, framework: Framework) -> dict:
    met = score >= Fraction(str(framework.minimum_score))
    return _requirement("min_score", met, f"The score of {_pct(score)} is "
                        f"{'at or above' if met else 'below'} the minimum of {framework.minimum_score:g} %.")


def _chain_insight(criteria: list[dict]) -> dict:
    chain = [each for each in criteria if each["step"] == "2.1"]
    failing = [each["reason"] for each in chain if not each["met"]]
    return _requirement("chain_insight", not failing,
                        " ".join(failing) if failing else "Every chain threshold is met.")


def _plan_of_approach(report: dict, company: dict, eea_only: bool) -> dict:
    if not company["imports_directly"]:
        return _requirement("plan_of_approach", None, "Not applicable: the company does not import itself.",
                            applicable=False)
    if eea_only:
        return _requirement("plan_of_approach", None,
                            "Not applicable: the company sources only inside the European Economic Area.",
                            applicable=False)
    return _requirement("plan_of_approach", report["plan_of_approach"],
                        "A plan of approach is attached." if report["plan_of_approach"]
                        else "An importer from risk countries must attach a plan of approach.")


def _core_questions(criteria: list[dict]) -> dict:
    core = [each for each in criteria if each["core"]]
    failing = [vocabulary.CRITERIA.label(each["code"], "en") for each in core if not each["met"]]
    if failing:
        return _requirement("core_questions", False, "Core question(s) not met: " + ", ".join(failing) + ".")
    return _requirement("core_questions", True, f"All {len(core)} core question(s) are met.")


# --- framework files -------------------------------------------------------------------------------

class _Thresholds(Strict):
    direct_suppliers = fields.Float(required=True, validate=validate.Range(0, 100))
    factories = fields.Float(required=True, validate=validate.Range(0, 100))
    quarry_regions = fields.Float(required=True, validate=validate.Range(0, 100))
    quarries = fields.Float(required=True, validate=validate.Range(0, 100))


class _Criterion(Strict):
    code = fields.String(required=True, validate=validate.OneOf(sorted(EVALUATORS)))
    step = fields.String(required=True, validate=validate.OneOf(vocabulary.STEPS.codes))
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    core = fields.Boolean(load_default=False)


class FrameworkFile(Strict):
    covenant_year = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    due_date = fields.Date(required=True)
    catch_up_date = fields.Date(required=True)
    maximum = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    minimum_score = fields.Float(required=True, validate=validate.Range(0, 100))
    chain_thresholds = fields.Nested(_Thresholds, required=True)
    criteria = fields.List(fields.Nested(_Criterion), required=True, validate=validate.Length(min=1))

    @validates_schema
    def consistent(self, data, **kwargs):
        codes = [each["code"] for each in data.get("criteria", [])]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValidationError(f"Criteria listed twice: {', '.join(duplicates)}.", "criteria")
        total = sum(each["points"] for each in data.get("criteria", []))
        if "maximum" in data and total != data["maximum"]:
            raise ValidationError(f"The criteria's points add up to {total}, not {data['maximum']}.", "maximum")
        year = data.get("covenant_year")
        if year and "due_date" in data and data["due_date"] <= covenant.year_end(year):
            raise ValidationError(f"Must be after the year's end, {covenant.year_end(year)}.", "due_date")
        if "due_date" in data and "catch_up_date" in data and data["catch_up_date"] <= data["due_date"]:
            raise ValidationError("Must be after the due date.", "catch_up_date")


def _plain(value):
    """YAML's dates as ISO strings, as marshmallow reads them."""
    if isinstance(value, dict):
        return {key: _plain(each) for key, each in value.items()}
    if isinstance(value, list):
        return [_plain(each) for each in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def parse_framework(raw, source: str = "framework") -> Framework:
    if not isinstance(raw, dict):
        raise FrameworkError(f"{source}: expected a mapping of framework fields")
    try:
        data = FrameworkFile().load(_plain(raw))
    except ValidationError as exc:
        faults = "; ".join(f"{path}: {' '.join(texts)}" for path, texts in flatten(exc.messages).items())
        raise FrameworkError(f"{source}: {faults}") from exc
    return Framework(
        covenant_year=data["covenant_year"], version=data["version"], due_date=data["due_date"],
        catch_up_date=data["catch_up_date"], maximum=data["maximum"], minimum_score=data["minimum_score"],
        chain_thresholds=data["chain_thresholds"],
        criteria=tuple(Criterion(**each) for each in data["criteria"]),
    )


def load_frameworks(directory: Path) -> dict[int, Framework]:
    """Every `year-<N>.yaml` in `directory`, validated; FrameworkError names the file and the fault."""
    frameworks = {}
    for path in sorted(Path(directory).glob("year-*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise FrameworkError(f"{path.name}: not valid YAML: {exc}") from exc
        framework = parse_framework(raw, path.name)
        if path.stem != f"year-{framework.covenant_year}":
            raise FrameworkError(f"{path.name}: holds covenant_year {framework.covenant_year}; "
                                 f"name it year-{framework.covenant_year}.yaml")
        frameworks[framework.covenant_year] = framework
    if not frameworks:
        raise FrameworkError(f"no framework files (year-<N>.yaml) in {directory}")
    return frameworks
