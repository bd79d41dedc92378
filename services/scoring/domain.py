"""Scoring a report against its year's assessment framework (contract §2). Pure: no nameko, no storage.

The framework is data (one YAML file per covenant year: points, core flags, thresholds, dates); what each
criterion means is the code below. Every criterion and requirement comes with its reason in a sentence.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable

import yaml
from marshmallow import ValidationError, fields, validate, validates_schema

from common import covenant, i18n, vocabulary
from common.errors import flatten
from common.i18n import N_
from common.events import Ordinal, replaced_assessment
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
# Each reason is said in every language, {"en": ..., "nl": ...}: English here, Dutch in the service's catalog
# (translations/nl/LC_MESSAGES/messages.po); a value in a reason is said as each language says it.
WORDS = i18n.Catalog(Path(__file__).resolve().parent, fallback=i18n.COMMON)


def _said(text: str, **values) -> dict[str, str]:
    return WORDS.in_every_language(text, **values)


def _flag(met: bool, yes: dict, no: dict) -> tuple[bool, dict]:
    return met, yes if met else no


def _chain(link: str):
    def evaluate(report, framework):
        percent = covenant.known_percent(report["supply_chain"][link])
        threshold = framework.chain_thresholds[link]
        met = percent >= threshold
        return met, _said(N_("{percent} of {links} known, at or above the threshold of {threshold} %.") if met
                          else N_("{percent} of {links} known, below the threshold of {threshold} %."),
                          percent=functools.partial(_pct, percent),
                          links=functools.partial(vocabulary.SUPPLY_CHAIN_LINKS.label, link),
                          threshold=functools.partial(vocabulary.number, threshold))
    return evaluate


def _counted(count: int, one: str, many: str, none: str) -> dict[str, str]:
    """A count in a reason, in proper plurals ("1 risk", "2 risks"; Dutch counts the same way)."""
    return _said(none) if count == 0 else _said(one) if count == 1 else _said(many, count=count)


def _mitigation(kind: str, one: str, many: str, none: str):
    def evaluate(report, framework):
        count = sum(1 for each in report["mitigation"] if each["kind"] == kind)
        return count > 0, _counted(count, one, many, none)
    return evaluate


def _risks_independently_identified(report, framework):
    sources = {"independent_audit", "stakeholder_dialogue"}
    return _flag(any(risk["source"] in sources for risk in report["risks"]),
                 _said(N_("A risk was identified through an independent audit or stakeholder dialogue.")),
                 _said(N_("No risk was identified through an independent audit or stakeholder dialogue.")))


def _risks_prioritised(report, framework):
    how = report["risk_prioritisation"]
    return _flag(how == "severity_and_likelihood", _said(N_("Risks are prioritised by severity and likelihood.")),
                 _said(N_("Risks are prioritised by volume, not by severity and likelihood.")) if how == "volume"
                 else _said(N_("Risks are not prioritised.")))


def _public_report(report, framework):
    url = report["communication"]["public_report_url"]
    return _flag(bool(url), _said(N_("Due diligence is communicated publicly at {url}."), url=url),
                 _said(N_("No public report is given.")))


def _yes_no(path: tuple[str, str], yes: str, no: str):
    def evaluate(report, framework):
        return _flag(report[path[0]][path[1]], _said(yes), _said(no))
    return evaluate


EVALUATORS: dict[str, Callable[[dict, Framework], tuple[bool, dict]]] = {
    "policy_statement_adopted": _yes_no(("policy", "statement_adopted"), N_("A policy statement is adopted."),
                                        N_("No policy statement is adopted.")),
    "policy_embedded_in_management": _yes_no(("policy", "embedded_in_management"),
                                             N_("The policy is embedded in management."),
                                             N_("The policy is not embedded in management.")),
    "policy_shared_with_suppliers": _yes_no(("policy", "shared_with_suppliers"),
                                            N_("The policy is shared with suppliers."),
                                            N_("The policy is not shared with suppliers.")),
    "direct_suppliers_known": _chain("direct_suppliers"),
    "factories_known": _chain("factories"),
    "quarry_regions_known": _chain("quarry_regions"),
    "quarries_known": _chain("quarries"),
    "risk_reported": lambda r, f: (bool(r["risks"]), _counted(len(r["risks"]), N_("1 risk reported."),
                                                              N_("{count} risks reported."),
                                                              N_("No risk reported."))),
    "risk_independently_identified": _risks_independently_identified,
    "risks_prioritised": _risks_prioritised,
    "plan_of_approach": lambda r, f: _flag(r["plan_of_approach"], _said(N_("A plan of approach is attached.")),
                                           _said(N_("No plan of approach is attached."))),
    "supplier_improvement": _mitigation("supplier_improvement", N_("1 supplier improvement reported."),
                                        N_("{count} supplier improvements reported."),
                                        N_("No supplier improvement reported.")),
    "regional_project": _mitigation("regional_project", N_("1 regional project reported."),
                                    N_("{count} regional projects reported."), N_("No regional project reported.")),
    "certification_programme": _mitigation("certification_programme", N_("1 certification programme reported."),
                                           N_("{count} certification programmes reported."),
                                           N_("No certification programme reported.")),
    "systematic_monitoring": _yes_no(("monitoring", "systematic"), N_("Monitoring is systematic."),
                                     N_("Monitoring is not systematic.")),
    "effectiveness_evaluated": _yes_no(("monitoring", "effectiveness_evaluated"),
                                       N_("The effectiveness of measures is evaluated."),
                                       N_("The effectiveness of measures is not evaluated.")),
    "public_report": _public_report,
    "grievance_mechanism": _yes_no(("remediation", "grievance_mechanism"), N_("A grievance mechanism is in place."),
                                   N_("No grievance mechanism is in place.")),
}


# --- the assessment --------------------------------------------------------------------------------

def _pct(value, language: str) -> str:
    return f"{vocabulary.number(format_score(value), language)} %"


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


def merged_corrections(decided: list[dict]) -> dict[str, dict]:
    """The corrections the commission decided on appeal, by criterion: a later case's word stands."""
    merged: dict[str, dict] = {}
    for case in decided:
        for each in case["corrections"]:
            merged[each["code"]] = {**each, "case": case["_id"]}
    return merged


def assess(report: dict, company: dict, framework: Framework, corrections: dict[str, dict] | None = None) -> dict:
    """The assessment of `report` by `company` (its snapshot) under `framework`, with the corrections the
    commission decided on appeal (by criterion: {"met", "why", "case"})."""
    criteria = []
    points = 0
    corrections = corrections or {}
    for criterion in framework.criteria:
        met, reasons = EVALUATORS[criterion.code](report, framework)
        if criterion.code in corrections:
            corrected = corrections[criterion.code]
            met = corrected["met"]
            reasons = _said(N_("Corrected on appeal (case {case}): {why}"), case=corrected["case"],
                            why=corrected["why"])
        awarded = criterion.points if met else 0
        points += awarded
        criteria.append({"code": criterion.code, "step": criterion.step, "core": criterion.core, "met": met,
                         "points": awarded, "maximum": criterion.points, "reason": reasons["en"],
                         "reasons": reasons, **({"corrected_by": corrections[criterion.code]["case"]}
                                                if criterion.code in corrections else {})})
    exact_score = Fraction(100 * points, framework.maximum)
    only_eea = eea_only(sourcing_countries(report))
    requirements = [
        _min_score(exact_score, framework),
        _chain_insight(criteria),
        _plan_of_approach(report, company, only_eea, criteria),
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


def report_scored(submitted: dict, framework: Framework, assessment: dict, previous: dict | None,
                  correction: int = 0) -> dict:
    """The data of a report_scored event: the assessment, the result of the one it replaces (`previous`
    holds at least common.events.REPLACED_FIELDS), and what consumers need of the report, the company and
    the year's calendar. Its ordinal orders one company's assessments of a year: report version, framework
    version, corrections applied on appeal."""
    return {
        "report_id": submitted["report_id"], "version": submitted["version"],
        "covenant_year": framework.covenant_year, "submitted_at": submitted["submitted_at"],
        "calendar": {"due_date": framework.due_date.isoformat(),
                     "catch_up_date": framework.catch_up_date.isoformat()},
        "company": submitted["company"],
        "ordinal": Ordinal(submitted["version"], framework.version, correction).to_data(),
        "report": submitted["report"], "assessment": assessment,
        "previous_assessment": replaced_assessment(previous),
        "progress": vocabulary.progress(assessment["criteria"]),
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


def _requirement(code, met, reasons: dict, applicable=True) -> dict:
    return {"code": code, "applicable": applicable, "met": met if applicable else None,
            "reason": reasons["en"], "reasons": reasons}


def _min_score(score: Fraction, framework: Framework) -> dict:
    met = score >= Fraction(str(framework.minimum_score))
    minimum = framework.minimum_score
    return _requirement("min_score", met, _said(
        N_("The score of {score} is at or above the minimum of {minimum} %.") if met
        else N_("The score of {score} is below the minimum of {minimum} %."),
        score=functools.partial(_pct, score), minimum=functools.partial(vocabulary.number, minimum)))


def _chain_insight(criteria: list[dict]) -> dict:
    failing = [each["reasons"] for each in criteria if each["step"] == "2.1" and not each["met"]]
    if failing:
        return _requirement("chain_insight", False, {language: " ".join(each[language] for each in failing)
                                                     for language in i18n.LANGUAGES})
    return _requirement("chain_insight", True, _said(N_("Every chain threshold is met.")))


def _plan_of_approach(report: dict, company: dict, eea_only: bool, criteria: list[dict]) -> dict:
    if not company["imports_directly"]:
        return _requirement("plan_of_approach", None, _said(
            N_("Not applicable: the company does not import itself.")), applicable=False)
    if eea_only:
        return _requirement("plan_of_approach", None, _said(
            N_("Not applicable: the company sources only inside the European Economic Area.")), applicable=False)
    # The criterion decides, so that a correction on appeal counts here too; the report when it has none.
    criterion = next((each for each in criteria if each["code"] == "plan_of_approach"), None)
    if criterion is not None and criterion.get("corrected_by"):
        return _requirement("plan_of_approach", criterion["met"], criterion["reasons"])
    if report["plan_of_approach"]:
        return _requirement("plan_of_approach", True, _said(N_("A plan of approach is attached.")))
    return _requirement("plan_of_approach", False, _said(
        N_("A company that imports from outside the European Economic Area must attach a plan of approach.")))


def _core_questions(criteria: list[dict]) -> dict:
    core = [each for each in criteria if each["core"]]
    failing = [each["code"] for each in core if not each["met"]]
    if failing:
        def named(language):
            return ", ".join(vocabulary.CRITERIA.label(code, language) for code in failing)
        return _requirement("core_questions", False, _said(
            N_("Core questions not met: {criteria}.") if len(failing) > 1 else N_("Core question not met: {criteria}."),
            criteria=named))
    return _requirement("core_questions", True, _said(N_("All {count} core questions are met."), count=len(core))
                        if len(core) > 1 else _said(N_("The core question is met.")))


# --- verifying what companies report ---------------------------------------------------------------

@dataclass(frozen=True)
class VerificationRules:
    """The share of a year's latest reports drawn for verification, and the least number drawn."""
    share: float
    minimum: int


def sample_size(population: int, share: float, minimum: int) -> int:
    """How many of a year's reports are verified: the share (rounded up), at least the minimum, at most all."""
    return min(population, max(minimum, math.ceil(share * population)))


def draw_sample(company_ids: list[str], seed: str, size: int) -> list[str]:
    """The companies drawn, reproducibly: Python's random.Random(seed).sample over the ids in sorted order.
    Anyone with the ids, the seed and the size draws the same (in the same order)."""
    return random.Random(seed).sample(sorted(company_ids), size)


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
