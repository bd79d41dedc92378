"""The scoring service: assesses every submitted report against its year's framework (contract §2)."""
from __future__ import annotations

from nameko.amqp.publish import UndeliverableMessage
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from common import errors
from common.auth import COMPANY, SECRETARIAT, RemoteIdentity
from common.events import Events, event_handler, parse
from common.logging import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common import operations, outbox
from common.web import http
from services.scoring import domain, schemas
from services.scoring.dependencies import FrameworkFiles, ScoringStore, assessment_id


def declare_metrics(registry):
    return {
        "assessments": counter(registry, "trustone_assessments", "Assessments made, by year and outcome.",
                               ["covenant_year", "outcome"]),
        "previews": counter(registry, "trustone_assessment_previews", "Previews computed (nothing stored)."),
    }


class ScoringService(operations.Operations, outbox.OutboxRelay):
    name = "scoring"

    storage = Storage(ScoringStore)
    frameworks = FrameworkFiles()
    identity = RemoteIdentity()
    events = Events()
    metrics = Metrics(declare_metrics)
    log = LoggingContext()
    config = Config()

    @event_handler("submission", "report_submitted")
    def score_submitted_report(self, event):
        """Scores the new version; emits report_scored with the assessment it replaces."""
        submitted = event.data
        self.storage.keep_report(submitted)
        framework = self.frameworks.get(submitted["covenant_year"])
        self._score(submitted, framework)

    def _score(self, submitted: dict, framework: domain.Framework, assessment: dict | None = None) -> dict:
        """Assesses a report version under `framework` once (unless `assessment` is given, already made);
        (re)publishes its report_scored event."""
        report_id, version = submitted["report_id"], submitted["version"]
        company = submitted["company"]
        stored = self.storage.assessment(report_id, version, framework.version)
        if stored is None:
            assessment = assessment or domain.assess(submitted["report"], company, framework)
            previous = self.storage.assessment_before(company["id"], framework.covenant_year, version,
                                                      framework.version)
            event = self.events.new("report_scored", {
                "report_id": report_id, "version": version, "covenant_year": framework.covenant_year,
                "submitted_at": submitted["submitted_at"],
                "calendar": {"due_date": framework.due_date.isoformat(),
                             "catch_up_date": framework.catch_up_date.isoformat()},
                "company": company, "ordinal": [version, framework.version], "report": submitted["report"],
                "assessment": assessment,
                "previous_assessment": previous["assessment"] if previous else None,
            })
            stored = self.storage.add_assessment({
                "_id": assessment_id(report_id, version, framework.version), "report_id": report_id,
                "version": version, "framework_version": framework.version, "company_id": company["id"],
                "covenant_year": framework.covenant_year, "assessment": assessment,
            }, event)
            self.metrics.assessments.labels(str(framework.covenant_year), assessment["outcome"]).inc()
            self.log.info("report scored", report_id=report_id, version=version,
                          score=assessment["score"], outcome=assessment["outcome"])
        # Published on every delivery, with the stored event's id: a redelivery after a crash between
        # storing and publishing completes the job, and consumers drop the duplicate.
        try:
            self.events.publish(parse(stored["event"]))
        except UndeliverableMessage:  # no consumer's queue exists yet: the outbox relay sends it later
            self.log.warning("report_scored has no consumer yet; kept for the relay", assessment=stored["_id"])
            return stored
        self.storage.mark_published(stored["_id"])
        return stored

    @rpc
    def assess(self, report, company):
        """The assessment `report` would get (preview): nothing stored, nothing emitted."""
        framework = self.frameworks.get(report["covenant_year"])
        self.metrics.previews.inc()
        return domain.assess(report, company, framework)

    @rpc
    def get_framework(self, covenant_year):
        return self.frameworks.get(covenant_year).to_dict()

    @rpc
    def latest_assessments(self, covenant_year):
        """For each company, its latest report version of the year with that version's latest assessment
        (what the sector figures must rest on): [{"company", "report", "assessment", "ordinal"}]."""
        latest = []
        for kept in self.storage.latest_reports(covenant_year):
            stored = self.storage.latest_assessment_of_version(kept["report_id"], kept["version"])
            if stored:
                latest.append({"company": kept["company"], "report": kept["report"],
                               "assessment": stored["assessment"],
                               "ordinal": [stored["version"], stored["framework_version"]]})
        return latest

    @rpc
    def list_calendars(self):
        """Due and catch-up date of every year with a framework: [{"covenant_year": 1, "due_date": ...}]"""
        return self.frameworks.calendars()

    @http("GET", "/v1/frameworks/<int:covenant_year>", doc=Doc(
        "The assessment framework of a covenant year", responses={200: schemas.FrameworkOut}, not_found=True))
    def show_framework(self, request, covenant_year):
        return self.frameworks.get(covenant_year).to_dict()

    @http("GET", "/v1/reports/<report_id>/assessment", doc=Doc(
        "The assessment of a report's latest version (owner or secretariat)", roles=(COMPANY, SECRETARIAT),
        responses={200: schemas.AssessmentOut}, not_found=True))
    def show_assessment(self, request, report_id):
        caller = self.identity.caller(request)
        stored = self.storage.latest_assessment(report_id)
        if stored is None or not caller.may_see(stored["company_id"]):
            raise errors.NotFound()
        return schemas.assessment_view(stored)

    @http("POST", "/v1/frameworks/<int:covenant_year>/rescore", doc=Doc(
        "Apply a corrected framework: re-read the files, rescore the year's latest reports",
        roles=(SECRETARIAT,), responses={200: schemas.RescoreResult}, not_found=True,
        description="Each latest report still assessed under an older framework version is assessed again; "
                    "report_scored is emitted for each one whose assessment changed."))
    def rescore_year(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        try:
            self.frameworks.reload()
        except domain.FrameworkError as exc:
            raise errors.Invalid({"framework": [str(exc)]}) from None
        framework = self.frameworks.get(covenant_year)
        changed, unchanged = [], 0
        for kept in self.storage.latest_reports(covenant_year):
            current = self.storage.latest_assessment_of_version(kept["report_id"], kept["version"])
            if current and current["framework_version"] >= framework.version:
                continue
            assessment = domain.assess(kept["report"], kept["company"], framework)
            if current and domain.same_result(assessment, current["assessment"]):
                unchanged += 1
                continue
            self._score(kept, framework, assessment)
            changed.append(kept["report_id"])
        self.log.info("year rescored", covenant_year=covenant_year, framework_version=framework.version,
                      changed=len(changed), unchanged=unchanged)
        return {"covenant_year": covenant_year, "framework_version": framework.version,
                "rescored": sorted(changed), "unchanged": unchanged}



SERVICE = ScoringService
