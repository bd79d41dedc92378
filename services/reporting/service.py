"""The reporting service: sector-level figures per covenant year, never one company's data (contract §4)."""
from __future__ import annotations

from nameko.timer import timer
from werkzeug.wrappers import Response

from common import operations
from common.clock import ClockProvider
from common.auth import AUTHORITY, COMPANY, SECRETARIAT, RemoteIdentity
from common.messaging import Events, event_handler
from common.context import LoggingContext
from common.metrics import Metrics, counter, lag_metrics, observe_lag
from common.mongo import Storage
from common.openapi import Doc
from common.rpc import RpcClient
from common.web import http, load, read_json
from services.reporting import render, schemas, usecases
from services.reporting.dependencies import PublicationRules, SectorStore

RELEASE_INTERVAL_SECONDS = 60
PROOF_POLL_SECONDS = 1


def declare_metrics(registry):
    return {
        "contributions": counter(registry, "trustone_contributions_applied",
                                 "Assessments applied to the sector figures, by year.", ["covenant_year"]),
        "skipped": counter(registry, "trustone_contributions_skipped",
                           "Assessments already applied or superseded (redeliveries, late arrivals)."),
        "verifications": counter(registry, "trustone_verifications_applied",
                                 "Verification records applied to the sector figures, by year.", ["covenant_year"]),
        "registrations": counter(registry, "trustone_registrations_applied",
                                 "Members and contracting authorities counted.", ["kind"]),
    }


class ReportingService(operations.Operations, operations.OutboxRelay):
    name = "reporting"

    storage = Storage(SectorStore)
    publication = PublicationRules()
    identity = RemoteIdentity()
    scoring = RpcClient("scoring", patience=6)  # the proof fetches the year's assessments, a page at a time
    clock = ClockProvider()  # the scheduled editions' dates
    submission = RpcClient("submission", patience=6)  # ... and every member
    complaints = RpcClient("complaints", patience=6)  # ... and the year's cases
    events = Events()
    metrics = Metrics(declare_metrics, operations.relay_metrics, lag_metrics)
    log = LoggingContext()

    @event_handler("scoring", "report_scored")
    def apply_assessment(self, event):
        """Replaces the company's contribution to its year's figures with this assessment's."""
        applied = usecases.apply_assessment(event.id, event.payload, store=self.storage, publisher=self.events)
        if applied.changed:
            self.metrics.contributions.labels(str(applied.covenant_year)).inc()
            observe_lag(self.metrics, "counted", event.submission_occurred_at)
        else:
            self.metrics.skipped.inc()

    @timer(interval=operations.RELAY_INTERVAL_SECONDS)
    def complete_pending_changes(self):
        """Adds to the sums what a crash left between a company's contribution and them."""
        return usecases.complete_pending(self.settings.outbox_grace_seconds, store=self.storage)

    @event_handler("scoring", "report_verified")
    def apply_verification(self, event):
        """Counts a sampled company's latest verification in its year's figures."""
        applied = usecases.apply_verification(event.id, event.payload, store=self.storage)
        if applied.changed:
            self.metrics.verifications.labels(str(applied.covenant_year)).inc()

    @event_handler("complaints", "case_received")
    def count_case(self, event):
        """A new case counts in its covenant year's published case figures."""
        usecases.apply_case_received(event.id, event.payload, store=self.storage)

    @event_handler("complaints", "case_moved")
    def count_case_step(self, event):
        """A case's step moves it between the published states; a decided appeal may count as upheld."""
        usecases.apply_case_step(event.id, event.payload, store=self.storage)

    @event_handler("submission", "company_registered")
    def count_member(self, event):
        if usecases.count_member(event.id, event.payload.company, store=self.storage):
            self.metrics.registrations.labels(COMPANY).inc()

    @event_handler("submission", "authority_registered")
    def count_authority(self, event):
        if usecases.count_authority(event.id, event.payload.authority, store=self.storage):
            self.metrics.registrations.labels(AUTHORITY).inc()

    @timer(interval=RELEASE_INTERVAL_SECONDS, eager=True)
    def release_when_due(self):
        """Releases the editions the years' frameworks schedule (the day after the due and catch-up dates)."""
        return usecases.release_when_due(store=self.storage, publication=self.publication, clock=self.clock,
                                         scoring=self.scoring)

    @http("GET", "/v1/sector/<int:covenant_year>", doc=Doc(
        "Sector figures of a covenant year as its latest released edition, or edition N with ?edition=N "
        "(public; suppressed values read 'suppressed'; 404 NOT_PUBLISHED before the first edition, with the "
        "date the next is due)", query=schemas.EditionQuery, responses={200: schemas.Figures}, not_found=True))
    def sector_figures(self, request, covenant_year):
        return self._figures(request, covenant_year)

    @http("GET", "/v1/sector/<int:covenant_year>/editions", doc=Doc(
        "The year's released editions, oldest first, and when the next is due (public)",
        responses={200: schemas.Editions}))
    def list_editions(self, request, covenant_year):
        return usecases.editions(covenant_year, store=self.storage)

    @http("POST", "/v1/sector/<int:covenant_year>/editions", doc=Doc(
        "Release a new edition of the year's figures: a frozen copy of the figures as they stand, only when "
        "the contributions of at least as many companies as the disclosure threshold changed since the "
        "edition before (a 422 on covenant_year says how many more are needed)", roles=(SECRETARIAT,),
        refusable=True, responses={201: schemas.Edition}))
    def release_edition(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        return 201, usecases.release(covenant_year, "secretariat", store=self.storage,
                                     publication=self.publication, clock=self.clock)

    @http("GET", "/v1/sector/<int:covenant_year>/live", doc=Doc(
        "The year's figures as an edition released now would publish them, and what it would change since "
        "the latest edition, each change in words (?language=nl or en) (secretariat)", roles=(SECRETARIAT,),
        query=schemas.LanguageQuery, responses={200: schemas.LiveFigures}, not_found=True))
    def live_figures(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        query = load(schemas.LanguageQuery, dict(request.args))
        return usecases.live_figures(covenant_year, store=self.storage, publication=self.publication,
                                     language=query["language"])

    @http("GET", "/v1/sector/<int:covenant_year>/export.csv", doc=Doc(
        "The same figures as CSV: covenant_year, figure, item, value (?edition=N for an earlier edition); "
        "?language=nl or en: for people, in words (Dutch parted by semicolons, with a decimal comma)",
        query=schemas.CsvQuery, responses={200: "CSV"}, content_type="text/csv", not_found=True))
    def sector_csv(self, request, covenant_year):
        language = load(schemas.CsvQuery, dict(request.args)).get("language")
        figures = self._figures(request, covenant_year)
        return Response(render.to_csv(figures, language), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="trustone-sector-year-{covenant_year}-edition-'
                                   f'{figures["edition"]["number"]}.csv"'})

    @http("GET", "/v1/sector/<int:covenant_year>/report", doc=Doc(
        "The annual sector report as HTML with charts (Dutch; ?lang=en for English; ?edition=N for an "
        "earlier edition)", query=schemas.ReportQuery, responses={200: "HTML"}, content_type="text/html",
        not_found=True))
    def sector_report(self, request, covenant_year):
        query = load(schemas.ReportQuery, dict(request.args))
        figures = self._figures(request, covenant_year)
        editions = usecases.editions(covenant_year, store=self.storage)["editions"]
        return Response(render.html(figures, query["lang"], editions), mimetype="text/html",
                        headers={"Content-Security-Policy": render.CONTENT_SECURITY_POLICY})

    def _figures(self, request, covenant_year):
        query = schemas.ReportQuery if request.path.endswith("/report") else \
            schemas.CsvQuery if request.path.endswith(".csv") else schemas.EditionQuery
        edition = load(query, dict(request.args)).get("edition")
        return usecases.figures(covenant_year, store=self.storage, publication=self.publication, edition=edition)

    @http("GET", "/v1/regions", doc=Doc(
        "The quarry regions the gazetteer knows, with their other spellings (public; ?country=, ?state=)",
        query=schemas.RegionQuery, responses={200: schemas.Region(many=True)}))
    def list_regions(self, request):
        query = load(schemas.RegionQuery, dict(request.args))
        return usecases.known_regions(query.get("country"), query.get("state"), store=self.storage)

    @http("POST", "/v1/regions", doc=Doc(
        "Add a quarry region to the gazetteer, or spellings to a known one; every company that used one of "
        "its names is then counted under it", roles=(SECRETARIAT,), body=schemas.NewRegion,
        responses={200: schemas.RegionAdded}))
    def add_region(self, request):
        self.identity.caller(request, SECRETARIAT)
        body = read_json(request, schemas.NewRegion)
        return usecases.add_region(body["country"], body["state"], body["name"], body["variants"],
                                   store=self.storage)

    @http("POST", "/v1/state-names", doc=Doc(
        "Place a state spelling nobody knew as a subdivision; every company that wrote it is then counted "
        "where the gazetteer places its regions", roles=(SECRETARIAT,), body=schemas.NewStateName,
        responses={200: schemas.StateNameAdded}))
    def add_state_name(self, request):
        self.identity.caller(request, SECRETARIAT)
        body = read_json(request, schemas.NewStateName)
        return usecases.add_state_name(body["country"], body["name"], body["state"], store=self.storage)

    @http("GET", "/v1/regions/unknown", doc=Doc(
        "Region and state names companies used that the gazetteer does not place yet, oldest first",
        roles=(SECRETARIAT,), responses={200: schemas.UnknownRegion(many=True)}))
    def list_unknown_regions(self, request):
        self.identity.caller(request, SECRETARIAT)
        return usecases.unknown_regions(store=self.storage)

    @http("GET", "/v1/sector/<int:covenant_year>/proof", doc=Doc(
        "Recompute the year's figures from scoring's latest assessments (and participation from "
        "submission's members) and compare them with the incremental state; each difference in words "
        "(?language=nl or en)", roles=(SECRETARIAT,), query=schemas.LanguageQuery, responses={200: schemas.Proof}))
    def prove_figures(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        query = load(schemas.LanguageQuery, dict(request.args))
        return usecases.prove(covenant_year, store=self.storage, scoring=self.scoring,
                              submission=self.submission, complaints=self.complaints, language=query["language"])

    @http("POST", "/v1/sector/<int:covenant_year>/proofs", doc=Doc(
        "Check the year's figures in the background (the same recomputation as .../proof); a check already "
        "waiting or running is answered instead of starting another", roles=(SECRETARIAT,),
        responses={202: schemas.ProofRun}))
    def request_proof(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        return 202, usecases.request_proof(covenant_year, "secretariat", store=self.storage, clock=self.clock)

    @http("GET", "/v1/sector/<int:covenant_year>/proofs/latest", doc=Doc(
        "The year's latest background check: waiting, running (how many reports it checked) or done, with "
        "its result, each difference in words (?language=nl or en)", roles=(SECRETARIAT,),
        query=schemas.LanguageQuery, responses={200: schemas.ProofRun}, not_found=True))
    def latest_proof(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        query = load(schemas.LanguageQuery, dict(request.args))
        return usecases.latest_proof(covenant_year, store=self.storage, language=query["language"])

    @timer(interval=PROOF_POLL_SECONDS)
    def run_requested_proofs(self):
        """Runs the checks the secretariat asked for, one after another."""
        while usecases.run_requested_proof(store=self.storage, scoring=self.scoring, submission=self.submission,
                                           complaints=self.complaints, clock=self.clock):
            pass


SERVICE = ReportingService
