"""The submission service: members register, companies submit their annual reports (contract §1, §5)."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from common import errors
from common.auth import COMPANY, SECRETARIAT, LocalIdentity
from common.clock import ClockProvider
from common.events import Events
from common.logging import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common import operations, outbox
from common.rpc import Rpc
from common.web import http, read_json, load
from services.submission import domain, schemas
from services.submission.dependencies import KnownYears, SubmissionStore, lookup_factory


def declare_metrics(registry):
    return {
        "reports_submitted": counter(registry, "trustone_reports_submitted", "Report versions accepted.",
                                     ["covenant_year"]),
        "members_registered": counter(registry, "trustone_members_registered",
                                      "Members registered, by kind.", ["kind"]),
    }


class SubmissionService(operations.Operations, outbox.OutboxRelay):
    name = "submission"

    storage = Storage(SubmissionStore)
    identity = LocalIdentity(lookup_factory)
    events = Events()
    scoring = Rpc("scoring")
    known_years = KnownYears()
    clock = ClockProvider()
    metrics = Metrics(declare_metrics)
    log = LoggingContext()
    config = Config()

    # --- members ------------------------------------------------------------------------------------

    @http("POST", "/v1/companies", doc=Doc(
        "Register a member company", roles=(SECRETARIAT,), body=schemas.CompanyRegistration,
        responses={201: schemas.RegisteredCompany}))
    def register_company(self, request):
        """{"name": "Steenhandel B.V.", "country": "NL", "role": "importer", "imports_directly": true,
        "joined_on": "2019-10-01", "language": "nl", "email": "dd@steenhandel.nl"} -> 201 with the token"""
        self.identity.caller(request, SECRETARIAT)
        registration = read_json(request, schemas.CompanyRegistration())
        return 201, self._register("company", registration)

    @http("GET", "/v1/companies", doc=Doc(
        "List member companies", roles=(SECRETARIAT,), responses={200: schemas.Company(many=True)}))
    def list_companies(self, request):
        self.identity.caller(request, SECRETARIAT)
        return [domain.public(each) for each in self.storage.companies_list()]

    @http("POST", "/v1/authorities", doc=Doc(
        "Register a contracting authority", roles=(SECRETARIAT,), body=schemas.AuthorityRegistration,
        responses={201: schemas.RegisteredAuthority}))
    def register_authority(self, request):
        """{"name": "Gemeente Leiden", "country": "NL", "joined_on": "2020-03-01"} -> 201 with the token"""
        self.identity.caller(request, SECRETARIAT)
        registration = read_json(request, schemas.AuthorityRegistration())
        return 201, self._register("authority", registration)

    def _register(self, kind: str, registration: dict) -> dict:
        member, token = domain.new_member(registration, self.clock.now())
        shown = domain.public(member)
        if kind == "company":
            event = self.events.new("company_registered", {"company": domain.snapshot(member)})
        else:
            event = self.events.new("authority_registered", {"authority": {
                key: shown[key] for key in ("id", "name", "country", "joined_on")}})
        collection = self.storage.add_member(kind, member, event)
        self._publish(collection, member["id"], event)
        self.metrics.members_registered.labels(kind).inc()
        self.log.info("member registered", kind=kind, member_id=member["id"])
        return {**shown, "token": token}

    # --- reports ------------------------------------------------------------------------------------

    @http("POST", "/v1/reports", doc=Doc(
        "Submit the annual report (a new version when the year already has one)", roles=(COMPANY,),
        body=schemas.AnnualReport, responses={202: schemas.ReportAccepted}))
    def submit_report(self, request):
        """The annual report of contract §1 -> 202 {"id": "...", "version": 1, "previous_version": null}"""
        caller = self.identity.caller(request, COMPANY)
        report = read_json(request, schemas.AnnualReport())
        self._require_framework(report["covenant_year"])
        company = self.storage.company(caller.id)
        submitted_at = self.clock.now()

        def make_event(report_id, version, previous):
            return self.events.new("report_submitted", domain.report_submitted(
                report_id, version, previous, company, report, submitted_at))

        report_id, version, previous, event = self.storage.add_version(company, report, submitted_at,
                                                                       make_event)
        self._publish("report_versions", f"{report_id}:{version}", event)
        self.metrics.reports_submitted.labels(str(report["covenant_year"])).inc()
        self.log.info("report submitted", report_id=report_id, version=version)
        return 202, {"id": report_id, "version": version, "previous_version": previous,
                     "covenant_year": report["covenant_year"]}

    @http("POST", "/v1/reports/preview", doc=Doc(
        "The assessment a report would get; nothing is stored or sent", roles=(COMPANY,),
        body=schemas.AnnualReport, responses={200: "The assessment, as GET /v1/reports/{id}/assessment"}))
    def preview_report(self, request):
        caller = self.identity.caller(request, COMPANY)
        report = read_json(request, schemas.AnnualReport())
        company = domain.snapshot(self.storage.company(caller.id))
        with errors.field_error("covenant_year", errors.NotFound):
            return self.scoring.assess(report, company)

    @http("GET", "/v1/reports", doc=Doc(
        "List reports: a company its own, the secretariat every one", roles=(COMPANY, SECRETARIAT),
        query=schemas.ReportQuery, responses={200: schemas.ReportSummary(many=True)}))
    def list_reports(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        query = load(schemas.ReportQuery(), dict(request.args))
        company_id = query.get("company_id") if caller.is_secretariat else caller.id
        return [_summary(each) for each in self.storage.report_list(company_id, query.get("covenant_year"))]

    @http("GET", "/v1/reports/<report_id>", doc=Doc(
        "A report with its version history (owner or secretariat)", roles=(COMPANY, SECRETARIAT),
        responses={200: schemas.ReportDetail}, not_found=True))
    def get_report(self, request, report_id):
        caller = self.identity.caller(request)
        header = self.storage.report(report_id)
        if header is None or not header.get("latest_version") or not caller.may_see(header["company_id"]):
            raise errors.NotFound()
        versions = self.storage.report_versions(report_id)
        return {
            **_summary(header), "report": versions[-1]["report"],
            "versions": [{"version": each["version"], "submitted_at": each["submitted_at"],
                          "report": each["report"]} for each in versions],
        }

    # --- for the other services ---------------------------------------------------------------------

    @rpc
    def identify(self, token_hash):
        """The member a token hash belongs to: {"role": "company", "id": "..."}, or None."""
        return self.storage.member_by_token_hash(token_hash)

    @rpc
    def list_members(self):
        """Every registered company and contracting authority, as their registration events carried them
        (what the reporting service's proof recomputes participation from)."""
        return {"companies": [domain.snapshot(each) for each in self.storage.companies_list()],
                "authorities": [{key: domain.public(each)[key] for key in ("id", "name", "country", "joined_on")}
                                for each in self.storage.authorities_list()]}

    def _publish(self, collection: str, document_id: str, event) -> None:
        """Publishes a stored event; if the broker fails now, the outbox relay publishes it later."""
        try:
            self.events.publish(event)
        except Exception:
            self.log.exception("event stored but not yet published; the outbox relay will retry",
                               pending_event_id=event.id)
            return
        self.storage.mark_published(collection, document_id)

    def _require_framework(self, year: int) -> None:
        """A year must have an assessment framework. Frameworks are never withdrawn, so a year scoring
        confirmed once is remembered: while scoring is down, reports for it are still taken (their
        events wait on the broker)."""
        if year in self.known_years:
            return
        with errors.field_error("covenant_year", errors.NotFound):
            self.scoring.get_framework(year)
        self.known_years.add(year)


def _summary(header: dict) -> dict:
    return {"id": header["_id"], "company_id": header["company_id"], "covenant_year": header["covenant_year"],
            "latest_version": header["latest_version"], "updated_at": header["updated_at"]}


SERVICE = SubmissionService
