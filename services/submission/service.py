"""The submission service: members register, companies submit their annual reports (contract §1, §5)."""
from __future__ import annotations


from common import operations, settings
from common.auth import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT, LocalIdentity
from common.clock import ClockProvider
from common.messaging import Events
from common.context import LoggingContext
from common.metrics import Metrics, counter
from common.cleaner import Cleaner
from common.mongo import Storage
from common.openapi import Doc
from common.rpc import RpcClient, rpc
from common.web import file_response, http, load, read_json, validated
from services.submission import schemas, usecases
from services.submission.dependencies import KnownYears, SubmissionStore


MAX_FILE_REQUEST = settings.MAX_REPORT_FILE_MB * 2 ** 20 + 64 * 1024  # the largest file REPORT_FILE_MAX_MB allows


def declare_metrics(registry):
    return {
        "reports_submitted": counter(registry, "trustone_reports_submitted", "Report versions accepted.",
                                     ["covenant_year"]),
        "members_registered": counter(registry, "trustone_members_registered",
                                      "Members registered, by kind.", ["kind"]),
    }


class SubmissionService(operations.Operations, operations.OutboxRelay, operations.EventReplay):
    name = "submission"

    storage = Storage(SubmissionStore)
    cleaner = Cleaner()  # a file handed in, cleaned off the event loop
    identity = LocalIdentity()
    events = Events()
    scoring = RpcClient("scoring")
    known_years = KnownYears()
    clock = ClockProvider()
    metrics = Metrics(declare_metrics, operations.relay_metrics)
    log = LoggingContext()

    # --- members ------------------------------------------------------------------------------------

    @http("POST", "/v1/companies", doc=Doc(
        "Register a member company", roles=(SECRETARIAT,), body=schemas.CompanyRegistration,
        responses={201: schemas.RegisteredCompany}))
    def register_company(self, request):
        """{"name": "Steenhandel B.V.", "country": "NL", "role": "importer", "imports_directly": true,
        "joined_on": "2019-10-01", "language": "nl", "email": "dd@steenhandel.nl"} -> 201 with the token"""
        self.identity.caller(request, SECRETARIAT)
        return 201, self._register(COMPANY, read_json(request, schemas.CompanyRegistration))

    @http("GET", "/v1/companies", doc=Doc(
        "List member companies (?ids=a,b for only those)", roles=(SECRETARIAT,), query=schemas.CompaniesQuery,
        responses={200: schemas.Company(many=True)}))
    def list_companies(self, request):
        self.identity.caller(request, SECRETARIAT)
        return usecases.companies(load(schemas.CompaniesQuery, dict(request.args)).get("ids"), store=self.storage)

    @http("POST", "/v1/companies/names", doc=Doc(
        "The names of these member companies, in one answer: id and name only", roles=(SECRETARIAT,),
        body=schemas.CompanyIds, responses={200: schemas.CompanyName(many=True)},
        description="A read, sent as POST so that a sample of hundreds of ids fits (a query string does not); "
                    "in registration order; an unknown id is left out."))
    def company_names(self, request):
        """{"ids": ["...", "..."]} -> [{"id": "...", "name": "..."}]"""
        self.identity.caller(request, SECRETARIAT)
        return usecases.company_names(read_json(request, schemas.CompanyIds)["ids"], store=self.storage)

    @http("GET", "/v1/companies/<company_id>", doc=Doc(
        "One member company", roles=(SECRETARIAT,), responses={200: schemas.Company}, not_found=True))
    def get_company(self, request, company_id):
        self.identity.caller(request, SECRETARIAT)
        return usecases.company(company_id, store=self.storage)

    @http("GET", "/v1/members", doc=Doc(
        "The member companies, as public as the covenant's member list: id, name, country, role",
        responses={200: schemas.PublicMember(many=True)}))
    def list_members_public(self, request):
        return usecases.member_list(store=self.storage)

    @http("POST", "/v1/authorities", doc=Doc(
        "Register a contracting authority", roles=(SECRETARIAT,), body=schemas.AuthorityRegistration,
        responses={201: schemas.RegisteredAuthority}))
    def register_authority(self, request):
        """{"name": "Gemeente Leiden", "country": "NL", "joined_on": "2020-03-01"} -> 201 with the token"""
        self.identity.caller(request, SECRETARIAT)
        return 201, self._register(AUTHORITY, read_json(request, schemas.AuthorityRegistration))

    @http("POST", "/v1/commission-members", doc=Doc(
        "Register a member of the complaints and disputes commission; its seat waits for the chair's "
        "confirmation", roles=(SECRETARIAT,), body=schemas.CommissionMemberRegistration,
        responses={201: schemas.CommissionMember},
        description="No token is given here: the chair confirms the seat (POST "
                    "/v1/commission-members/{id}/confirmation), which gives the member its code. Until then "
                    "the seat is no member of the commission anywhere."))
    def register_commission_member(self, request):
        """{"name": "...", "seat": "employers", "email": "...", "language": "nl"} -> 201, awaiting confirmation"""
        self.identity.caller(request, SECRETARIAT)
        return 201, self._register(COMMISSION, read_json(request, schemas.CommissionMemberRegistration))

    @http("GET", "/v1/commission-members", doc=Doc(
        "The commission's members, seated or awaiting the chair's confirmation (the secretariat; the chair)",
        roles=(SECRETARIAT, COMMISSION), responses={200: schemas.CommissionMember(many=True)}))
    def list_commission_members(self, request):
        return usecases.commission(self.identity.caller(request, SECRETARIAT, COMMISSION), store=self.storage)

    @http("POST", "/v1/commission-members/<member_id>/confirmation", doc=Doc(
        "The chair confirms a seat the secretariat registered: the member sits on the commission, and its "
        "code is shown once, to the chair", roles=(COMMISSION,), not_found=True, responses={
            200: schemas.SeatedCommissionMember,
            422: "The member already sits on the commission: {\"errors\": {\"member\": [...]}}"}))
    def confirm_commission_member(self, request, member_id):
        caller = self.identity.caller(request, COMMISSION)
        return usecases.confirm_seat(caller, member_id, store=self.storage, publisher=self.events,
                                     clock=self.clock)

    @http("POST", "/v1/members/<member_id>/token", doc=Doc(
        "Give a company, authority or commission member a new token (its old one stops working; its owner "
        "is told)", roles=(SECRETARIAT, COMMISSION), not_found=True, responses={
            200: schemas.ReplacedToken,
            422: "A seat awaiting the chair's confirmation gets its code from it: {\"errors\": {\"member\": [...]}}"},
        description="The secretariat replaces a company's or an authority's token; a commission member's is "
                    "replaced by the chair or by the member itself (the secretariat: 403). The other services "
                    "accept the old token for at most IDENTITY_CACHE_SECONDS after they last checked it."))
    def replace_token(self, request, member_id):
        caller = self.identity.caller(request, SECRETARIAT, COMMISSION)
        return usecases.replace_token(caller, member_id, store=self.storage, publisher=self.events,
                                      clock=self.clock)

    def _register(self, role: str, registration: dict) -> dict:
        registered = usecases.register_member(role, registration, store=self.storage, publisher=self.events,
                                              clock=self.clock)
        self.metrics.members_registered.labels(role).inc()
        return registered

    @http("GET", "/v1/me", doc=Doc(
        "Who the caller is: its role and, for a company or authority, its own record",
        roles=(SECRETARIAT, COMPANY, AUTHORITY, COMMISSION), responses={200: schemas.Me}))
    def who_am_i(self, request):
        return usecases.me(self.identity.caller(request), store=self.storage)

    # --- reports ------------------------------------------------------------------------------------

    @http("POST", "/v1/reports", doc=Doc(
        "Submit the annual report (a new version when the year already has one)", roles=(COMPANY,),
        body=schemas.AnnualReport, responses={202: schemas.ReportAccepted}))
    def submit_report(self, request):
        """The annual report of contract §1 -> 202 {"id": "...", "version": 1, "previous_version": null}"""
        caller = self.identity.caller(request, COMPANY)
        accepted = usecases.submit_report(
            caller.id, read_json(request, schemas.AnnualReport), store=self.storage, publisher=self.events,
            clock=self.clock, scoring=self.scoring, known_years=self.known_years)
        self.metrics.reports_submitted.labels(str(accepted["covenant_year"])).inc()
        return 202, accepted

    @http("POST", "/v1/reports/preview", doc=Doc(
        "The assessment a report would get; nothing is stored or sent", roles=(COMPANY,),
        body=schemas.AnnualReport, responses={200: "The assessment, as GET /v1/reports/{id}/assessment"}))
    def preview_report(self, request):
        caller = self.identity.caller(request, COMPANY)
        return usecases.preview_report(caller.id, read_json(request, schemas.AnnualReport),
                                       store=self.storage, scoring=self.scoring)

    @http("POST", "/v1/reports/files", max_body=MAX_FILE_REQUEST, doc=Doc(
        "Upload a file to name in a report: a piece of evidence's, or the plan of approach", roles=(COMPANY,),
        responses={201: schemas.ReportFile, 422: "Too large, or not a PDF, JPEG or PNG: "
                                                 "{\"errors\": {\"file\": [...]}}"},
        content_type="application/json",
        description="The body is the file itself (any Content-Type: its type is read from its bytes), at most "
                    "REPORT_FILE_MAX_MB (10 MiB). It is kept without its metadata. Name its id in the report "
                    "(`evidence[].file`, `plan_of_approach_file`); a file no version names a day after it came "
                    "may be dropped."))
    def upload_report_file(self, request):
        caller = self.identity.caller(request, COMPANY)
        return 201, usecases.upload_file(caller.id, request.get_data(cache=False), store=self.storage,
                                         clock=self.clock, max_bytes=self.settings.report_file_max_mb * 2 ** 20,
                                         clean=self.cleaner)

    @http("GET", "/v1/reports/<report_id>/versions/<int:version>/files/<file_id>", doc=Doc(
        "A file a sent version of a report names (owner or secretariat)", roles=(COMPANY, SECRETARIAT),
        responses={200: "The file"}, not_found=True, content_type="application/octet-stream"))
    def report_file(self, request, report_id, version, file_id):
        content, content_type, name = usecases.report_file(self.identity.caller(request), report_id, version,
                                                           file_id, store=self.storage)
        return file_response(content, content_type, name)

    @http("GET", "/v1/reports", doc=Doc(
        "List reports: a company its own, the secretariat every one", roles=(COMPANY, SECRETARIAT),
        query=schemas.ReportQuery, responses={200: schemas.ReportSummary(many=True)}))
    def list_reports(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        query = load(schemas.ReportQuery, dict(request.args))
        return usecases.list_reports(caller, store=self.storage, company_id=query.get("company_id"),
                                     covenant_year=query.get("covenant_year"))

    @http("GET", "/v1/reports/<report_id>", doc=Doc(
        "A report with its version history (owner or secretariat)", roles=(COMPANY, SECRETARIAT),
        responses={200: schemas.ReportDetail}, not_found=True))
    def get_report(self, request, report_id):
        caller = self.identity.caller(request)
        return usecases.report_detail(caller, report_id, store=self.storage)

    # --- for the other services ---------------------------------------------------------------------

    @rpc
    def identify(self, token_hash):
        """The member a token hash belongs to: {"role": "company", "id": "...", "name": "..."} (a name for a
        company or an authority only), or None."""
        return self.storage.member_by_token_hash(token_hash)

    @rpc
    def appoint_chair(self, appointment):
        """The commission's first chair, appointed at deployment by an operator (`trustone appoint-chair`):
        {"name", "email", "language"} -> {"id", "name", "seat", "token"}, the code shown once. Refused once a
        chair sits. Over the broker, which only the platform's own processes and its operators reach: never
        with the secretariat's token."""
        return usecases.appoint_first_chair(validated(schemas.ChairAppointment, appointment), store=self.storage,
                                            publisher=self.events, clock=self.clock)

    @rpc
    def report_version(self, report_id, version):
        """One sent version of a report with every answer (complaints asks, for the commission deciding an
        appeal against that version): {"report_id", "version", "company_id", "covenant_year", "submitted_at",
        "report"}, or None."""
        return usecases.report_version(report_id, version, store=self.storage)

    @rpc
    def report_version_file(self, report_id, version, file_id):
        """A file one sent version of a report names (complaints asks, for the commission deciding an appeal
        against that version): {"content" (base64), "content_type", "name", "company_id"}, or None."""
        return usecases.version_file(report_id, version, file_id, store=self.storage)

    @rpc
    def list_members(self):
        """Every registered company and contracting authority, as their registration events carried them
        (what the reporting service's proof recomputes participation from)."""
        return usecases.members(store=self.storage)


SERVICE = SubmissionService
