"""What the scoring service does, as plain functions taking their ports (no nameko).

Ports: `store` (ScoringStore), `frameworks` (Frameworks: `get`, `reload`, `calendars`), `publisher`
(builds and publishes events: `new`, `publish`).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from common import errors, events, outbox, problems, vocabulary
from common.events import Ordinal
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


class FrameworkBehind(Exception):
    """This instance's framework files are older than a version another instance applied: the report waits
    (its event is requeued) rather than being scored under the older version."""


def score_submitted(submitted, *, store, frameworks, publisher,
                    submission_occurred_at: datetime | None = None) -> Assessed:
    """Keeps the submitted version (for rescoring) and scores it under its year's framework, once.
    `submission_occurred_at` (the report_submitted event's time) travels on in a header of the report_scored
    event (`Event.submission_occurred_at`), for the pipeline's lag. What
    can refuse it (a year without a framework, files behind a correction) does so before anything is kept."""
    framework = current_framework(submitted.covenant_year, store=store, frameworks=frameworks)
    submitted = events.data_of(submitted)  # kept as sent, and scored as a kept report is on a rescore
    assessed = score(submitted, framework, store=store, publisher=publisher,
                     submission_occurred_at=submission_occurred_at)
    store.keep_report(submitted)  # a crash before this leaves the message unacknowledged: it comes again
    return assessed


def current_framework(covenant_year: int, *, store, frameworks) -> domain.Framework:
    """The year's framework, at least at the version any instance applied: an instance that has not yet
    heard of a correction (its framework_corrected event still on its way) reads its files again first."""
    framework = frameworks.get(covenant_year)
    applied = store.applied_version(covenant_year)
    if applied is not None and framework.version < applied:
        frameworks.reload()
        framework = frameworks.get(covenant_year)
        if framework.version < applied:
            raise FrameworkBehind(f"year {covenant_year}'s framework files are at version {framework.version}, "
                                  f"version {applied} was applied: give every scoring instance the same files")
    return framework


def apply_correction(corrected, *, frameworks) -> bool:
    """On a framework_corrected event (each instance gets its own copy): reads the files again when they
    hold a newer version than this instance has; returns whether it did."""
    if frameworks.get(corrected.covenant_year).version >= corrected.version:
        return False
    frameworks.reload()
    log.info("framework files read again", covenant_year=corrected.covenant_year, version=corrected.version)
    return True


def score(submitted: dict, framework: domain.Framework, *, store, publisher,
          assessment: dict | None = None, submission_occurred_at: datetime | None = None) -> Assessed:
    """Assesses a report version under `framework`, with the corrections decided on appeal, once
    (`assessment`, when given, is already made that way), and publishes its report_scored event. On a
    redelivery the stored event is published again with its
    original id: a crash between storing and publishing is completed, and consumers drop the duplicate."""
    report_id, version = submitted["report_id"], submitted["version"]
    decided = store.corrections_of(report_id, version)
    ordinal = Ordinal(report_version=version, framework_version=framework.version, correction=len(decided))
    kept, created = store.kept_assessment(report_id, ordinal), False
    if kept is None:
        assessment = assessment or domain.assess(submitted["report"], submitted["company"], framework,
                                                 domain.merged_corrections(decided))
        previous = store.assessment_before(submitted["company"]["id"], framework.covenant_year, ordinal)
        event = replace(publisher.new("report_scored", domain.report_scored(
            submitted, framework, assessment, previous["assessment"] if previous else None, len(decided))),
            submission_occurred_at=submission_occurred_at)
        kept, created = store.add_assessment(report_id, ordinal, submitted["company"]["id"], assessment, event)
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
        raise errors.Invalid.at("framework", problems.FRAMEWORK_FILE(fault=str(exc))) from None
    framework = frameworks.get(covenant_year)
    # Recorded before anything is rescored: from now on no instance scores the year under an older version.
    kept = store.record_correction(covenant_year, framework.version, publisher.new(
        "framework_corrected", {"covenant_year": covenant_year, "version": framework.version}))
    if kept:
        outbox.publish(kept, publisher)
    made, unchanged = [], 0
    for latest in store.latest_reports(covenant_year):
        current = store.latest_assessment_of_version(latest["report_id"], latest["version"])
        if current and current["framework_version"] >= framework.version:
            continue
        corrections = domain.merged_corrections(store.corrections_of(latest["report_id"], latest["version"]))
        assessment = domain.assess(latest["report"], latest["company"], framework, corrections)
        if current and domain.same_result(assessment, current["assessment"]):
            unchanged += 1
            continue
        made.append(score(latest, framework, store=store, publisher=publisher, assessment=assessment))
    log.info("year rescored", covenant_year=covenant_year, framework_version=framework.version,
             changed=len(made), unchanged=unchanged)
    return Rescored(covenant_year, framework.version, made, unchanged)


def frameworks_summary(*, frameworks) -> list[dict]:
    """Every covenant year with a framework: its version, due and catch-up date."""
    return frameworks.summaries()


def calendars(*, frameworks) -> list[dict]:
    """The due and catch-up date of every year with a framework (notification's reminders and answers)."""
    return frameworks.calendars()


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
    """For the secretariat: each company's latest assessed version of the year, in brief (from the read
    model: one small document per company)."""
    return [{"company_id": each["company_id"], "report_id": each["report_id"], "version": each["version"],
             "framework_version": each["assessed"]["framework_version"],
             "correction": each["assessed"]["correction"], "score": each["assessed"]["score"],
             "band": each["assessed"]["band"], "outcome": each["assessed"]["outcome"]}
            for each in store.latest_of_year(covenant_year)]


def latest_assessments(covenant_year: int, *, store, after: str | None = None, limit: int = 0) -> list[dict]:
    """For each company (by id, after `after`; `limit` of them, 0 for all), its latest report version of
    the year with that version's latest assessment (what the sector figures must rest on):
    [{"company", "report", "assessment", "ordinal", "progress"}]."""
    latest = store.latest_of_year(covenant_year, after=after, limit=limit)
    reports = store.kept_reports([(each["report_id"], each["version"]) for each in latest])
    assessments = store.assessments_by_id([each["assessed"]["id"] for each in latest])
    found = []
    for each in latest:
        report, stored = reports.get((each["report_id"], each["version"])), assessments.get(each["assessed"]["id"])
        if report and stored:
            found.append({"company": report["company"], "report": report["report"], "report_id": each["report_id"],
                          "company_id": each["company_id"], "assessment": stored["assessment"],
                          "ordinal": Ordinal(stored["version"], stored["framework_version"],
                                             stored.get("correction", 0)).to_data(),
                          "progress": vocabulary.progress(stored["assessment"]["criteria"])})
    return found


# --- verifying what companies report -------------------------------------------------------------------

def draw_sample(covenant_year: int, seed: str | None, *, store, frameworks, publisher, clock,
                rules: domain.VerificationRules) -> tuple[dict, bool]:
    """Draws the year's sample of latest reports to verify, once; returns the draw and whether this call
    made it. Asked again (with no seed, or the same), the recorded draw is the answer; with another seed it
    is refused, so a sample cannot be drawn until it suits. Each sampled company is told (an event)."""
    frameworks.get(covenant_year)  # NotFound for a year without a framework
    found = store.draw(covenant_year)
    if found is not None:
        if seed and seed != found["seed"]:
            raise errors.Invalid.at("seed", problems.SAMPLE_DRAWN(covenant_year=covenant_year, seed=found["seed"],
                                                                  drawn_on=f"{found['drawn_at']:%Y-%m-%d}"))
        return _draw_shown(found), False
    latest = {each["company_id"]: each for each in store.latest_reports(covenant_year)}
    if not latest:  # a draw is made once: drawn from nothing, the year's sample would stay empty for good
        raise errors.Invalid.at("covenant_year", problems.NOTHING_TO_SAMPLE(covenant_year=covenant_year))
    seed = seed or secrets.token_hex(8)
    size = domain.sample_size(len(latest), rules.share, rules.minimum)
    chosen = domain.draw_sample(list(latest), seed, size)
    now = clock.now()
    draw = {"covenant_year": covenant_year, "seed": seed, "share": rules.share, "minimum": rules.minimum,
            "population": sorted(latest), "drawn_at": now,
            "sampled": [{"company_id": company_id, "report_id": latest[company_id]["report_id"],
                         "version": latest[company_id]["version"]} for company_id in chosen]}
    event = publisher.new("verification_sample_drawn", {
        "covenant_year": covenant_year, "seed": seed, "population": len(latest), "drawn_at": now.isoformat(),
        "sampled": [{"report_id": latest[each]["report_id"], "version": latest[each]["version"],
                     "company": latest[each]["company"]} for each in chosen]})
    stored, kept = store.add_draw(draw, event)
    if kept:
        outbox.publish(kept, publisher)
        log.info("verification sample drawn", covenant_year=covenant_year, seed=seed, size=size,
                 population=len(latest))
    return _draw_shown(stored), kept is not None


def _draw_shown(draw: dict) -> dict:
    return {key: draw[key] for key in ("covenant_year", "seed", "share", "minimum", "population", "drawn_at",
                                       "sampled")}


def redraw(covenant_year: int, *, store) -> dict:
    """Draws the year's sample again from its recorded population and seed: the same companies, or the
    record was tampered with."""
    found = store.draw(covenant_year)
    if found is None:
        raise errors.NotFound(problems.NO_SAMPLE(covenant_year=covenant_year))
    again = domain.draw_sample(found["population"], found["seed"], len(found["sampled"]))
    return {"covenant_year": covenant_year, "seed": found["seed"], "drawn_again": again,
            "same": again == [each["company_id"] for each in found["sampled"]]}


def record_verification(covenant_year: int, record: dict, *, store, publisher, clock, recorded_by: str) -> dict:
    """Records the verification of a sampled company's report: confirmed, or corrected with what and why.
    A later record for the same company replaces the earlier one in the figures; none is ever deleted."""
    found = store.draw(covenant_year)
    sampled = {each["company_id"]: each for each in (found or {}).get("sampled", [])}
    if record["company_id"] not in sampled:
        raise errors.Invalid.at("company_id", problems.NOT_SAMPLED(covenant_year=covenant_year))
    now = clock.now()
    if date.fromisoformat(str(record["verified_on"])) > now.date():  # a verification is recorded once it is done
        raise errors.Invalid.at("verified_on", problems.IN_THE_FUTURE(today=now.date().isoformat()))
    sequence = int(now.timestamp() * 1_000_000)  # later records replace earlier ones
    entry = {"id": uuid.uuid4().hex, "covenant_year": covenant_year, "company_id": record["company_id"],
             "report_id": sampled[record["company_id"]]["report_id"],
             "version": sampled[record["company_id"]]["version"], "result": record["result"],
             "corrections": record.get("corrections"), "verified_on": record["verified_on"],
             "recorded_at": now, "recorded_by": recorded_by,
             "ordinal": [sequence]}  # kept as a list, as records stored before were
    event = publisher.new("report_verified", {
        **{key: entry[key] for key in ("covenant_year", "company_id", "report_id", "version", "result", "verified_on")},
        "sequence": sequence})
    outbox.publish(store.add_verification(entry, event), publisher)
    log.info("verification recorded", covenant_year=covenant_year, company_id=record["company_id"],
             result=record["result"])
    return _verification_shown(entry)


def _verification_shown(entry: dict) -> dict:
    return {key: entry[key] for key in ("company_id", "report_id", "version", "result", "corrections",
                                        "verified_on", "recorded_at")}


def verification_of(covenant_year: int, *, store) -> dict:
    """The year's sample and each sampled company's latest verification."""
    found = store.draw(covenant_year)
    if found is None:
        raise errors.NotFound(problems.NO_SAMPLE(covenant_year=covenant_year))
    return {**_draw_shown(found),
            "results": [_verification_shown(each) for each in store.latest_verifications(covenant_year)]}


def latest_verifications(covenant_year: int, *, store) -> list[dict]:
    """What the sector figures' verification counts must rest on (for reporting's proof)."""
    return [{"company_id": each["company_id"], "result": each["result"]}
            for each in store.latest_verifications(covenant_year)]


# --- corrections decided on appeal ----------------------------------------------------------------------

def apply_appeal_decision(moved, *, store, frameworks, publisher) -> Assessed | None:
    """When the commission upholds an appeal (in whole or part), the appealed report version is assessed
    again with the corrections (which criteria, whether met, why, by whom), once: the outcome notices and
    the sector figures follow through report_scored. A later rescoring keeps the corrections."""
    decision = moved.decision
    if moved.kind != "assessment_appeal" or moved.to_state != "decided" or decision is None or \
            decision.outcome not in ("upheld", "upheld_in_part"):
        return None
    appeal = decision.appeal
    submitted = store.kept_report(appeal.report_id, appeal.version)
    if submitted is None:  # its report_submitted is on its way (a rebuild takes each queue at its pace): retried
        raise errors.Unavailable(f"Report {appeal.report_id} version {appeal.version} is not received yet.")
    if store.add_correction(moved.number, appeal.report_id, appeal.version, events.data_of(decision)["corrections"],
                            decision.decided_by, datetime.fromisoformat(moved.at)):
        log.info("appeal decision applied", case=moved.number, report_id=appeal.report_id)
    return score(submitted, current_framework(submitted["covenant_year"], store=store, frameworks=frameworks),
                 store=store, publisher=publisher)


def assessment_of_version(report_id: str, version: int, *, store) -> dict | None:
    """A report version's latest assessment with its company (for an appeal against it)."""
    stored = store.latest_assessment_of_version(report_id, version)
    kept = store.kept_report(report_id, version)
    return None if stored is None or kept is None else {"company": kept["company"], "assessment": stored["assessment"]}
