"""What the scoring service does, as plain functions taking their ports (no nameko).

Ports: `store` (ScoringStore), `frameworks` (Frameworks: `get`, `reload`, `calendars`), `publisher`
(builds and publishes events: `new`, `publish`).
"""
from __future__ import annotations

from dataclasses import dataclass

from common import errors, outbox, vocabulary
from common.identity import Caller
from common.logging import get_logger
from services.scoring import domain

log = get_logger(__name__)


@dataclass(frozen=True)
class Assessed:
    """An assessment the call made (`created`), or found made by an earlier delivery of the same report."""
    report_id: str
    covenant_year: int
    outcome: str
    created: bool


def score_submitted(submitted: dict, *, store, frameworks, publisher) -> Assessed:
    """Keeps the submitted version (for rescoring) and scores it under its year's framework, once."""
    store.keep_report(submitted)
    return score(submitted, frameworks.get(submitted["covenant_year"]), store=store, publisher=publisher)


def score(submitted: dict, framework: domain.Framework, *, store, publisher,
          assessment: dict | None = None) -> Assessed:
    """Assesses a report version under `framework` once (`assessment`, when given, is already made) and
    publishes its report_scored event. On a redelivery the stored event is published again with its
    original id: a crash between storing and publishing is completed, and consumers drop the duplicate."""
    report_id, version = submitted["report_id"], submitted["version"]
    kept, created = store.kept_assessment(report_id, version, framework.version), False
    if kept is None:
        assessment = assessment or domain.assess(submitted["report"], submitted["company"], framework)
        previous = store.assessment_before(submitted["company"]["id"], framework.covenant_year, version,
                                           framework.version)
        event = publisher.new("report_scored", domain.report_scored(
            submitted, framework, assessment, previous["assessment"] if previous else None))
        kept, created = store.add_assessment(report_id, version, framework.version, submitted["company"]["id"],
                                             assessment, event)
        if created:
            log.info("report scored", report_id=report_id, version=version, score=assessment["score"],
                     outcome=assessment["outcome"])
    outbox.publish(kept, publisher)
    return Assessed(report_id, framework.covenant_year, kept.event.data["assessment"]["outcome"], created)


@dataclass(frozen=True)
class Rescored:
    covenant_year: int
    framework_version: int
    made: list[Assessed]
    unchanged: int

    def summary(self) -> dict:
        return {"covenant_year": self.covenant_year, "framework_version": self.framework_version,
                "rescored": sorted(each.report_id for each in self.made), "unchanged": self.unchanged}


def rescore_year(covenant_year: int, *, store, frameworks, publisher) -> Rescored:
    """Applies a corrected framework: re-reads the files, and assesses again each latest report of the
    year still assessed under an older framework version; report_scored goes out only where the result
    changed."""
    try:
        frameworks.reload()
    except domain.FrameworkError as exc:
        raise errors.Invalid({"framework": [str(exc)]}) from None
    framework = frameworks.get(covenant_year)
    made, unchanged = [], 0
    for latest in store.latest_reports(covenant_year):
        current = store.latest_assessment_of_version(latest["report_id"], latest["version"])
        if current and current["framework_version"] >= framework.version:
            continue
        assessment = domain.assess(latest["report"], latest["company"], framework)
        if current and domain.same_result(assessment, current["assessment"]):
            unchanged += 1
            continue
        made.append(score(latest, framework, store=store, publisher=publisher, assessment=assessment))
    log.info("year rescored", covenant_year=covenant_year, framework_version=framework.version,
             changed=len(made), unchanged=unchanged)
    return Rescored(covenant_year, framework.version, made, unchanged)


def framework(covenant_year: int, *, frameworks) -> dict:
    """The framework of a year as its document; NotFound for a year without one."""
    return frameworks.get(covenant_year).to_dict()


def preview(report: dict, company: dict, *, frameworks) -> dict:
    """The assessment `report` would get: nothing stored, nothing emitted."""
    return domain.assess(report, company, frameworks.get(report["covenant_year"]))


def assessment_of(caller: Caller, report_id: str, *, store) -> dict:
    """The assessment of a report's latest version, to its owner and the secretariat."""
    stored = store.latest_assessment(report_id)
    if stored is None or not caller.may_see(stored["company_id"]):
        raise errors.NotFound()
    return {"report_id": stored["report_id"], "version": stored["version"], **stored["assessment"]}


def assessments_of(caller: Caller, report_id: str, *, store) -> list[dict]:
    """The assessment of every version of a report, oldest first, to its owner and the secretariat."""
    stored = store.assessments_of_report(report_id)
    if not stored or not caller.may_see(stored[0]["company_id"]):
        raise errors.NotFound()
    return [{"report_id": each["report_id"], "version": each["version"], **each["assessment"]} for each in stored]


def year_overview(covenant_year: int, *, store) -> list[dict]:
    """For the secretariat: each company's latest assessed version of the year, in brief."""
    return [{"company_id": each["company"]["id"], "report_id": each["report_id"], "version": each["ordinal"][0],
             "framework_version": each["ordinal"][1], "score": each["assessment"]["score"],
             "band": each["assessment"]["band"], "outcome": each["assessment"]["outcome"]}
            for each in latest_assessments(covenant_year, store=store)]


def latest_assessments(covenant_year: int, *, store) -> list[dict]:
    """For each company, its latest report version of the year with that version's latest assessment
    (what the sector figures must rest on): [{"company", "report", "assessment", "ordinal", "progress"}]."""
    found = []
    for latest in store.latest_reports(covenant_year):
        stored = store.latest_assessment_of_version(latest["report_id"], latest["version"])
        if stored:
            found.append({"company": latest["company"], "report": latest["report"],
                          "report_id": latest["report_id"], "assessment": stored["assessment"],
                          "ordinal": [stored["version"], stored["framework_version"]],
                          "progress": vocabulary.progress(stored["assessment"]["criteria"])})
    return found
