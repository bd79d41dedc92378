"""The scoring service: assesses every submitted report against its year's framework (contract §2)."""
from __future__ import annotations

from nameko.rpc import rpc

from common import operations
from common.auth import COMPANY, SECRETARIAT, RemoteIdentity
from common.messaging import Events, event_handler
from common.context import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common.settings import SettingsProvider
from common.web import http, load
from services.scoring import schemas, usecases
from services.scoring.dependencies import FrameworkFiles, ScoringStore


def declare_metrics(registry):
    return {
        "assessments": counter(registry, "trustone_assessments", "Assessments made, by year and outcome.",
                               ["covenant_year", "outcome"]),
        "previews": counter(registry, "trustone_assessment_previews", "Previews computed (nothing stored)."),
    }


class ScoringService(operations.Operations, operations.OutboxRelay):
    name = "scoring"

    storage = Storage(ScoringStore)
    frameworks = FrameworkFiles()
    identity = RemoteIdentity()
    events = Events()
    metrics = Metrics(declare_metrics, operations.relay_metrics)
    log = LoggingContext()
    settings = SettingsProvider()

    @event_handler("submission", "report_submitted")
    def score_submitted_report(self, event):
        """Scores the new version; emits report_scored with the assessment it replaces."""
        self._count(usecases.score_submitted(event.data, store=self.storage, frameworks=self.frameworks,
                                             publisher=self.events))

    @rpc
    def assess(self, report, company):
        """The assessment `report` would get (preview): nothing stored, nothing emitted."""
        assessment = usecases.preview(report, company, frameworks=self.frameworks)
        self.metrics.previews.inc()
        return assessment

    @rpc
    def get_framework(self, covenant_year):
        return usecases.framework(covenant_year, frameworks=self.frameworks)

    @rpc
    def latest_assessments(self, covenant_year):
        """For each company, its latest report version of the year with that version's latest assessment
        (what the sector figures must rest on)."""
        return usecases.latest_assessments(covenant_year, store=self.storage)

    @rpc
    def list_calendars(self):
        """Due and catch-up date of every year with a framework: [{"covenant_year": 1, "due_date": ...}]"""
        return self.frameworks.calendars()

    @http("GET", "/v1/frameworks", doc=Doc(
        "Every covenant year with an assessment framework: version, due and catch-up date",
        responses={200: schemas.FrameworkSummary(many=True)}))
    def list_frameworks(self, request):
        return self.frameworks.summaries()

    @http("GET", "/v1/frameworks/<int:covenant_year>", doc=Doc(
        "The assessment framework of a covenant year", responses={200: schemas.FrameworkOut}, not_found=True))
    def show_framework(self, request, covenant_year):
        return usecases.framework(covenant_year, frameworks=self.frameworks)

    @http("GET", "/v1/reports/<report_id>/assessment", doc=Doc(
        "The assessment of a report's latest version (owner or secretariat)", roles=(COMPANY, SECRETARIAT),
        responses={200: schemas.AssessmentOut}, not_found=True))
    def show_assessment(self, request, report_id):
        return usecases.assessment_of(self.identity.caller(request), report_id, store=self.storage)

    @http("GET", "/v1/reports/<report_id>/assessments", doc=Doc(
        "The assessment of every version of a report, oldest first (owner or secretariat)",
        roles=(COMPANY, SECRETARIAT), responses={200: schemas.AssessmentOut(many=True)}, not_found=True))
    def list_report_assessments(self, request, report_id):
        return usecases.assessments_of(self.identity.caller(request), report_id, store=self.storage)

    @http("GET", "/v1/assessments", doc=Doc(
        "Each company's latest assessed report of a year, in brief", roles=(SECRETARIAT,),
        query=schemas.YearQuery, responses={200: schemas.AssessmentBrief(many=True)}))
    def list_year_assessments(self, request):
        self.identity.caller(request, SECRETARIAT)
        query = load(schemas.YearQuery(), dict(request.args))
        return usecases.year_overview(query["covenant_year"], store=self.storage)

    @http("POST", "/v1/frameworks/<int:covenant_year>/rescore", doc=Doc(
        "Apply a corrected framework: re-read the files, rescore the year's latest reports",
        roles=(SECRETARIAT,), responses={200: schemas.RescoreResult}, not_found=True,
        description="Each latest report still assessed under an older framework version is assessed again; "
                    "report_scored is emitted for each one whose assessment changed."))
    def rescore_year(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        rescored = usecases.rescore_year(covenant_year, store=self.storage, frameworks=self.frameworks,
                                         publisher=self.events)
        for each in rescored.made:
            self._count(each)
        return rescored.summary()

    def _count(self, assessed: usecases.Assessed) -> None:
        if assessed.created:
            self.metrics.assessments.labels(str(assessed.covenant_year), assessed.outcome).inc()


SERVICE = ScoringService
