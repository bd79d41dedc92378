"""The reporting service: sector-level figures per covenant year, never one company's data (contract §4)."""
from __future__ import annotations

from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from common import errors, operations
from common.auth import SECRETARIAT, RemoteIdentity
from common.events import event_handler
from common.logging import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common.rpc import Rpc
from common.web import http
from services.reporting import domain, render, schemas
from services.reporting.dependencies import PARTICIPATION, PublicationRules, SectorStore

REGISTRATION = [1, 0]  # a registration is never replaced


def declare_metrics(registry):
    return {
        "contributions": counter(registry, "trustone_contributions_applied",
                                 "Assessments applied to the sector figures, by year.", ["covenant_year"]),
        "skipped": counter(registry, "trustone_contributions_skipped",
                           "Assessments already applied or superseded (redeliveries, late arrivals)."),
        "registrations": counter(registry, "trustone_registrations_applied",
                                 "Members and contracting authorities counted.", ["kind"]),
    }


class ReportingService(operations.Operations):
    name = "reporting"

    storage = Storage(SectorStore)
    publication = PublicationRules()
    identity = RemoteIdentity()
    scoring = Rpc("scoring", patience=6)  # the proof fetches a whole year of assessments
    submission = Rpc("submission", patience=6)  # ... and every member
    metrics = Metrics(declare_metrics)
    log = LoggingContext()
    config = Config()

    @event_handler("scoring", "report_scored")
    def apply_assessment(self, event):
        """Replaces the company's contribution to its year's figures with this assessment's."""
        scored = event.data
        changed = self.storage.apply(
            scored["covenant_year"], scored["company"]["id"], scored["ordinal"],
            domain.contribution(scored["report"], scored["assessment"], scored["company"]), event.id)
        if changed:
            self.metrics.contributions.labels(str(scored["covenant_year"])).inc()
            self.log.info("assessment applied to the sector figures", report_id=scored["report_id"],
                          ordinal=scored["ordinal"])
        else:
            self.metrics.skipped.inc()
            self.log.info("assessment already applied or superseded", report_id=scored["report_id"])

    @event_handler("submission", "company_registered")
    def count_member(self, event):
        company = event.data["company"]
        if self.storage.apply(PARTICIPATION, company["id"], REGISTRATION, domain.member_contribution(company),
                              event.id):
            self.metrics.registrations.labels("company").inc()

    @event_handler("submission", "authority_registered")
    def count_authority(self, event):
        authority = event.data["authority"]
        if self.storage.apply(PARTICIPATION, authority["id"], REGISTRATION,
                              domain.authority_contribution(authority), event.id):
            self.metrics.registrations.labels("authority").inc()

    @http("GET", "/v1/sector/<int:covenant_year>", doc=Doc(
        "Sector figures of a covenant year (public; suppressed cells read 'suppressed')",
        responses={200: schemas.Figures}, not_found=True))
    def sector_figures(self, request, covenant_year):
        return self._figures(covenant_year)

    @http("GET", "/v1/sector/<int:covenant_year>/export.csv", doc=Doc(
        "The same figures as CSV: covenant_year, figure, item, value", responses={200: "CSV"},
        content_type="text/csv", not_found=True))
    def sector_csv(self, request, covenant_year):
        return Response(render.to_csv(self._figures(covenant_year)), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="trustone-sector-year-{covenant_year}.csv"'})

    @http("GET", "/v1/sector/<int:covenant_year>/report", doc=Doc(
        "The annual sector report as HTML with charts (Dutch; ?lang=en for English)",
        responses={200: "HTML"}, content_type="text/html", not_found=True))
    def sector_report(self, request, covenant_year):
        language = request.args.get("lang", "nl")
        if language not in render.LANGUAGES:
            raise errors.Invalid({"lang": [f"Must be one of: {', '.join(render.LANGUAGES)}."]})
        page = render.html(self._figures(covenant_year), language)
        return Response(page, mimetype="text/html",
                        headers={"Content-Security-Policy": render.CONTENT_SECURITY_POLICY})

    @http("GET", "/v1/sector/<int:covenant_year>/proof", doc=Doc(
        "Recompute the year's figures from scoring's latest assessments (and participation from "
        "submission's members) and compare them with the incremental state", roles=(SECRETARIAT,),
        responses={200: schemas.Proof}))
    def prove_figures(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        latest = self.scoring.latest_assessments(covenant_year)
        recomputed = domain.summed(domain.contribution(each["report"], each["assessment"], each["company"])
                                   for each in latest)
        found = domain.differences(recomputed, self.storage.counters(covenant_year) or {})
        members = self.submission.list_members()
        participation = domain.summed([domain.member_contribution(each) for each in members["companies"]] +
                                      [domain.authority_contribution(each) for each in members["authorities"]])
        found += domain.differences(participation, self.storage.counters(PARTICIPATION) or {})
        if found:
            self.log.error("sector figures differ from a recomputation", covenant_year=covenant_year,
                           differences=len(found))
        return {"covenant_year": covenant_year, "reports": len(latest),
                "members": len(members["companies"]) + len(members["authorities"]),
                "agrees": not found, "differences": found}

    def _figures(self, covenant_year: int) -> dict:
        counters = self.storage.counters(covenant_year)
        targets = self.publication.targets_of(covenant_year)
        if counters is None and targets is None:
            raise errors.NotFound(f"No figures for covenant year {covenant_year}.")
        return domain.figures(covenant_year, counters or {}, self.storage.counters(PARTICIPATION) or {},
                              targets, self.publication.disclosure)


SERVICE = ReportingService
