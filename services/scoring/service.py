"""The scoring service: assesses every submitted report against its year's framework (contract §2)."""
from __future__ import annotations

from nameko.events import BROADCAST
from common.rpc import rpc

from common import operations
from common.auth import COMPANY, SECRETARIAT, RemoteIdentity
from common.messaging import Events, event_handler
from common.context import LoggingContext
from common.metrics import Metrics, counter, lag_metrics, observe_lag
from common.mongo import Storage
from common.openapi import Doc
from common.clock import ClockProvider
from common.web import http, load, read_json
from services.scoring import schemas, usecases
from services.scoring.dependencies import FrameworkFiles, ScoringStore, VerificationRulesProvider


def declare_metrics(registry):
    return {
        # never by outcome: around one company's submission, a count by outcome would say how it fared
        "assessments": counter(registry, "trustone_assessments", "Assessments made, by year.", ["covenant_year"]),
        "previews": counter(registry, "trustone_assessment_previews", "Previews computed (nothing stored)."),
    }


class ScoringService(operations.Operations, operations.OutboxRelay, operations.EventReplay):
    name = "scoring"

    storage = Storage(ScoringStore)
    frameworks = FrameworkFiles()
    identity = RemoteIdentity()
    events = Events()
    clock = ClockProvider()
    verification = VerificationRulesProvider()
    metrics = Metrics(declare_metrics, operations.relay_metrics, lag_metrics)
    log = LoggingContext()

    @event_handler("submission", "report_submitted")
    def score_submitted_report(self, event):
        """Scores the new version; emits report_scored with the assessment it replaces."""
        assessed = usecases.score_submitted(event.payload, store=self.storage, frameworks=self.frameworks,
                                            publisher=self.events,
                                            submission_occurred_at=event.occurred_at)
        self._count(assessed)
        if assessed.created:
            observe_lag(self.metrics, "assessed", event.occurred_at)

    # Every instance has a queue of its own for this event (a broadcast), so each reads the corrected files.
    @event_handler("scoring", "framework_corrected", handler_type=BROADCAST, reliable_delivery=False)
    def apply_framework_correction(self, event):
        usecases.apply_correction(event.payload, frameworks=self.frameworks)

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
    def latest_assessments(self, covenant_year, after=None, limit=0):
        """For each company (by id, after `after`, `limit` of them), its latest report version of the year
        with that version's latest assessment (what the sector figures must rest on)."""
        return usecases.latest_assessments(covenant_year, store=self.storage, after=after, limit=limit)

    @rpc
    def list_calendars(self):
        """Due and catch-up date of every year with a framework: [{"covenant_year": 1, "due_date": ...}]"""
        return usecases.calendars(frameworks=self.frameworks)

    @http("GET", "/v1/frameworks", doc=Doc(
        "Every covenant year with an assessment framework: version, due and catch-up date",
        responses={200: schemas.FrameworkSummary(many=True)}))
    def list_frameworks(self, request):
        return usecases.frameworks_summary(frameworks=self.frameworks)

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
        query = load(schemas.YearQuery, dict(request.args))
        return usecases.year_overview(query["covenant_year"], store=self.storage)

    # --- verifying what companies report -----------------------------------------------------------

    @http("POST", "/v1/verification/<int:covenant_year>/sample", doc=Doc(
        "Draw the year's sample of latest reports to verify (once; asked again, the same draw)",
        roles=(SECRETARIAT,), body=schemas.SampleRequest, responses={201: schemas.DrawOut, 200: schemas.DrawOut},
        not_found=True, description="The size is VERIFICATION_SHARE of the reports, at least "
                                    "VERIFICATION_MINIMUM; the seed is recorded so the draw can be made again."))
    def draw_sample(self, request, covenant_year):
        """{"seed": "2021-verification"} (or {}) -> 201 the draw"""
        self.identity.caller(request, SECRETARIAT)
        body = read_json(request, schemas.SampleRequest) if request.get_data() else {}
        draw, made = usecases.draw_sample(covenant_year, body.get("seed"), store=self.storage,
                                          frameworks=self.frameworks, publisher=self.events, clock=self.clock,
                                          rules=self.verification)
        return (201 if made else 200), draw

    @http("GET", "/v1/verification/<int:covenant_year>", doc=Doc(
        "The year's sample and each sampled company's latest verification", roles=(SECRETARIAT,),
        responses={200: schemas.DrawOut}, not_found=True))
    def show_verification(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        return usecases.verification_of(covenant_year, store=self.storage)

    @http("GET", "/v1/verification/<int:covenant_year>/redraw", doc=Doc(
        "Draw the year's sample again from its recorded population and seed, and compare",
        roles=(SECRETARIAT,), responses={200: schemas.RedrawOut}, not_found=True))
    def redraw_sample(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        return usecases.redraw(covenant_year, store=self.storage)

    @http("POST", "/v1/verification/<int:covenant_year>/results", doc=Doc(
        "Record the verification of a sampled company's report: confirmed, or corrected with what and why",
        roles=(SECRETARIAT,), body=schemas.VerificationRecord, responses={201: schemas.VerificationOut}))
    def record_verification(self, request, covenant_year):
        """{"company_id": "...", "result": "corrected", "corrections": "...", "verified_on": "2021-03-01"} -> 201"""
        self.identity.caller(request, SECRETARIAT)
        return 201, usecases.record_verification(
            covenant_year, read_json(request, schemas.VerificationRecord), store=self.storage,
            publisher=self.events, clock=self.clock, recorded_by=SECRETARIAT)

    @event_handler("complaints", "case_moved")
    def apply_appeal_decision(self, event):
        """An appeal upheld by the commission corrects the assessment of the appealed report version."""
        assessed = usecases.apply_appeal_decision(event.payload, store=self.storage, frameworks=self.frameworks,
                                                  publisher=self.events)
        if assessed:
            self._count(assessed)

    @rpc
    def assessment_of_version(self, report_id, version):
        """A report version's latest assessment with its company, or None: {"company", "assessment"}."""
        return usecases.assessment_of_version(report_id, version, store=self.storage)

    @rpc
    def latest_verifications(self, covenant_year):
        """Each sampled company's latest verification of the year: [{"company_id", "result"}]."""
        return usecases.latest_verifications(covenant_year, store=self.storage)

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
            self.metrics.assessments.labels(str(assessed.covenant_year)).inc()


SERVICE = ScoringService
