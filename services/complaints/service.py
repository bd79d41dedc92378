"""The complaints service: the confidential case platform of the complaints and disputes commission
(covenant §4.2.1), assessment appeals included. Its data never leaves it but as its events say."""
from __future__ import annotations


from nameko.timer import timer

from common import errors, operations
from common.auth import COMMISSION, COMPANY, SECRETARIAT, RemoteIdentity
from common.clock import REAL_TIME, ClockProvider
from common.context import LoggingContext
from common.messaging import Events, event_handler
from common.metrics import Metrics, counter
from common.cleaner import Cleaner
from common.mongo import Storage
from common.openapi import Doc
from common.rpc import RpcClient, rpc
from common.web import client_address, file_response, http, load, parse_json, read_json, validated
from services.complaints import domain, schemas, usecases
from services.complaints.dependencies import CaseStore, ProcedureFile, SealerProvider

FOLLOW_UP_HEADER = "X-Follow-Up-Code"
TIME_LIMIT_INTERVAL_SECONDS = 3600
MAX_ATTACHMENT_REQUEST = 6 * 1024 * 1024
MAX_FILING_REQUEST = 24 * 1024 * 1024  # a case with its photos and PDFs (20 MB), and the form around them


def declare_metrics(registry):
    return {
        "cases": counter(registry, "trustone_cases_filed", "Cases filed, by kind.", ["kind"]),
        "moves": counter(registry, "trustone_case_moves", "Steps taken, by the state reached.", ["state"]),
        "guessed": counter(registry, "trustone_follow_up_codes_guessed",
                           "Wrong follow-up codes for a case from the COMPLAINTS_FOLLOW_UP_ALERTth in an hour on (from "
                           "every address): someone is guessing at a case's code."),
    }


def _code(request) -> str | None:
    return request.headers.get(FOLLOW_UP_HEADER)


def _filing(request) -> tuple[dict, list[bytes]]:
    """The case filed, and its files: a JSON body, or a form (multipart with files) with the case as JSON in
    `case`."""
    if request.mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return read_json(request, schemas.Filing), []
    case = parse_json(request.form.get("case") or "null", "The part `case`")
    return validated(schemas.Filing, case), [each.read() for each in request.files.getlist("attachments")]


class ComplaintsService(operations.Operations, operations.OutboxRelay, operations.EventReplay):
    name = "complaints"

    storage = Storage(CaseStore)
    cleaner = Cleaner()  # a file handed in, cleaned off the event loop
    sealer = SealerProvider()
    procedure = ProcedureFile()
    identity = RemoteIdentity()
    events = Events()
    scoring = RpcClient("scoring")
    submission = RpcClient("submission")
    clock = ClockProvider()
    metrics = Metrics(declare_metrics, operations.relay_metrics)
    log = LoggingContext()

    # --- anyone, without an account -------------------------------------------------------------------

    @http("GET", "/v1/procedure", doc=Doc("The commission's procedure: states, who moves a case, time limits"))
    def show_procedure(self, request):
        return self.procedure.to_dict()

    @http("POST", "/v1/cases", max_body=MAX_FILING_REQUEST, doc=Doc(
        "File a case (anonymously if you wish): a case number and a follow-up code, shown once",
        body=schemas.Filing, responses={201: schemas.Filed}, limited=True,
        description="A JSON body; or, with photos and PDFs, multipart/form-data with the case as JSON in the "
                    "part `case` and each file in a part `attachments` (all are kept, or none when one is "
                    "refused). Follow the case with GET /v1/cases/{number}/progress and the header "
                    "X-Follow-Up-Code."))
    def file_case(self, request):
        """{"kind": "complaint", "company_id": "...", "what_happened": "...", "language": "nl"} -> 201"""
        filing, attachments = _filing(request)
        address = client_address(request, self.settings)
        filed = usecases.file_case(filing, attachments, address, store=self.storage, sealer=self.sealer,
                                   procedure=self.procedure, publisher=self.events, clock=self.clock,
                                   submission=self.submission, limit_per_day=self.settings.complaints_filings_per_day,
                                   real_clock=REAL_TIME, clean=self.cleaner)
        self.metrics.cases.labels(filing["kind"]).inc()
        return 201, filed

    @http("GET", "/v1/cases/<number>/progress", doc=Doc(
        "A case's progress and its messages, for its filer (header X-Follow-Up-Code)",
        responses={200: schemas.Progress}, not_found=True, limited=True))
    def show_progress(self, request, number):
        return usecases.follow_up(domain.case_number_as_written(number), _code(request), store=self.storage,
                                  sealer=self.sealer, **self._follow_up_limit(request))

    @http("POST", "/v1/cases/<number>/information", doc=Doc(
        "Add information to a case (its filer, header X-Follow-Up-Code)", body=schemas.Information,
        responses={201: "Added"}, not_found=True, limited=True))
    def add_information(self, request, number):
        return 201, usecases.add_information(domain.case_number_as_written(number), _code(request),
                                             read_json(request, schemas.Information)["text"], store=self.storage,
                                             sealer=self.sealer, clock=self.clock, **self._follow_up_limit(request))

    @http("POST", "/v1/cases/<number>/attachments", max_body=MAX_ATTACHMENT_REQUEST, doc=Doc(
        "Add a photo (JPEG, PNG) or a PDF of at most 5 MiB to a case (its filer, header X-Follow-Up-Code); "
        "the body is the file itself, its type read from its bytes", responses={201: "The attachment"},
        not_found=True, limited=True, content_type="application/json"))
    def add_attachment(self, request, number):
        return 201, usecases.add_attachment(domain.case_number_as_written(number), _code(request),
                                            request.get_data(cache=False), store=self.storage, sealer=self.sealer,
                                            clock=self.clock, clean=self.cleaner, **self._follow_up_limit(request))

    def _follow_up_limit(self, request) -> dict:
        """Wrong follow-up codes are limited per case and client address (the portal vouches for the address
        it acts for); many for one case from everywhere are counted (a metric) and logged, never locking it."""
        return {"address": client_address(request, self.settings),
                "attempts": self.settings.complaints_follow_up_attempts,
                "alert_after": self.settings.complaints_follow_up_alert, "real_clock": REAL_TIME,
                "alarm": lambda number: self.metrics.guessed.inc()}

    # --- the commission, the secretariat, the company concerned ----------------------------------------

    @http("GET", "/v1/cases", doc=Doc(
        "Cases, in brief: the commission and the secretariat all, a company those about it found admissible "
        "and its own appeals", roles=(COMMISSION, SECRETARIAT, COMPANY), responses={200: schemas.CaseBrief(many=True)}))
    def list_cases(self, request):
        return usecases.cases(self.identity.caller(request, COMMISSION, SECRETARIAT, COMPANY), store=self.storage)

    @http("GET", "/v1/cases/<number>", doc=Doc(
        "One case as the caller may see it (the complainant's identity: the commission only, and the "
        "secretariat where the complainant agreed)", roles=(COMMISSION, SECRETARIAT, COMPANY),
        responses={200: schemas.CaseOut}, not_found=True))
    def show_case(self, request, number):
        return usecases.case_detail(self.identity.caller(request, COMMISSION, SECRETARIAT, COMPANY), 
                                    domain.case_number_as_written(number), store=self.storage, sealer=self.sealer,
                                    clock=self.clock)

    @http("GET", "/v1/identity-readings", doc=Doc(
        "Every reading of a filer's identity (its name and contact): who, when, which case, newest first (the "
        "commission's chair only)", roles=(COMMISSION,), query=schemas.ReadingsQuery,
        responses={200: schemas.IdentityReadings},
        description="Recorded before the identity is shown: the commission's case view, the secretariat's "
                    "where the filer agreed, and the platform fetching an address to send an "
                    "acknowledgement. Another member of the commission: 403."))
    def list_identity_readings(self, request):
        caller = self.identity.caller(request, COMMISSION)
        query = load(schemas.ReadingsQuery, dict(request.args))
        return usecases.identity_readings(caller, query.get("number"), query["page"], query["per_page"],
                                          store=self.storage)

    @http("POST", "/v1/cases/<number>/moves", doc=Doc(
        "Move a case a step on, saying why (the procedure says who may, and where to)", roles=(COMMISSION,),
        body=schemas.Move, responses={201: "The case's new state"}, not_found=True))
    def move_case(self, request, number):
        """{"to": "acknowledged", "reason": "..."}; a decided appeal: {"to": "decided", "reason": "...",
        "decision": {"outcome": "upheld", "corrections": [{"code": "...", "met": true, "why": "..."}]}}"""
        caller = self.identity.caller(request, COMMISSION)
        moved = usecases.move_case(caller, domain.case_number_as_written(number), read_json(request, schemas.Move),
                                   store=self.storage, sealer=self.sealer, procedure=self.procedure, publisher=self.events, clock=self.clock)
        self.metrics.moves.labels(moved["state"]).inc()
        return 201, moved

    @http("POST", "/v1/cases/<number>/messages", doc=Doc(
        "Write to the filer or to the company concerned", roles=(COMMISSION,), body=schemas.Message,
        responses={201: "Sent"}, not_found=True))
    def send_message(self, request, number):
        return 201, usecases.send_message(self.identity.caller(request, COMMISSION),
                                          domain.case_number_as_written(number),
                                          read_json(request, schemas.Message), store=self.storage,
                                          sealer=self.sealer, clock=self.clock, publisher=self.events)

    @http("POST", "/v1/cases/<number>/answers", doc=Doc(
        "The company concerned answers a case the commission shared with it", roles=(COMPANY,),
        body=schemas.Information, responses={201: "Sent"}, not_found=True))
    def answer_case(self, request, number):
        return 201, usecases.answer_case(self.identity.caller(request, COMPANY), domain.case_number_as_written(number),
                                         read_json(request, schemas.Information)["text"], store=self.storage,
                                         sealer=self.sealer, clock=self.clock)

    @http("GET", "/v1/cases/<number>/report", doc=Doc(
        "The report version an appeal contests, with every answer sent", roles=(COMMISSION,),
        responses={200: schemas.AppealedReport}, not_found=True,
        description="Only through an appeal's case: the commission reads no other report."))
    def appealed_report(self, request, number):
        return usecases.appealed_report(self.identity.caller(request, COMMISSION),
                                        domain.case_number_as_written(number), store=self.storage,
                                        submission=self.submission)

    @http("GET", "/v1/cases/<number>/attachments/<attachment_id>", doc=Doc(
        "An attachment of a case", roles=(COMMISSION,), responses={200: "The file"}, not_found=True,
        content_type="application/octet-stream"))
    def show_attachment(self, request, number, attachment_id):
        content, content_type = usecases.attachment(self.identity.caller(request, COMMISSION),
                                                    domain.case_number_as_written(number),
                                                    attachment_id, store=self.storage, sealer=self.sealer)
        return file_response(content, content_type)

    @http("GET", "/v1/cases/<number>/report/files/<file_id>", doc=Doc(
        "A file of the report version an appeal contests (a piece of evidence, the plan of approach)",
        roles=(COMMISSION,), responses={200: "The file"}, not_found=True, content_type="application/octet-stream",
        description="Only through an appeal's case, for a file the contested version names."))
    def appealed_report_file(self, request, number, file_id):
        content, content_type, name = usecases.appealed_report_file(
            self.identity.caller(request, COMMISSION), domain.case_number_as_written(number), file_id,
            store=self.storage, submission=self.submission)
        return file_response(content, content_type, name)

    @http("POST", "/v1/appeals", doc=Doc(
        "Contest the assessment of one of your report versions, naming the criteria and why", roles=(COMPANY,),
        body=schemas.Appeal, responses={201: schemas.Filed}, not_found=True))
    def file_appeal(self, request):
        """{"report_id": "...", "version": 1, "criteria": ["factories_known"], "reasons": "..."} -> 201"""
        filed = usecases.file_appeal(self.identity.caller(request, COMPANY), read_json(request, schemas.Appeal),
                                     store=self.storage, sealer=self.sealer, procedure=self.procedure,
                                     publisher=self.events, clock=self.clock, scoring=self.scoring)
        self.metrics.cases.labels("assessment_appeal").inc()
        return 201, filed

    # --- events and time ---------------------------------------------------------------------------------

    @event_handler("submission", "company_registered")
    def remember_member(self, event):
        """The member companies, so that a case names one that exists."""
        usecases.remember_member(event.payload.company, store=self.storage)

    @event_handler("submission", "commission_member_registered")
    def remember_commission_member(self, event):
        """Who is on the commission, in which seat (the procedure says which seat may take a step), and
        whether it sits yet (a seat the secretariat registered waits for the chair's confirmation)."""
        registered = event.payload
        usecases.remember_commission_member(registered.member, registered.seated, store=self.storage)

    @event_handler("submission", "commission_member_seated")
    def remember_seated_member(self, event):
        """The chair confirmed a seat: the member now takes part."""
        usecases.remember_commission_member(event.payload.member, True, store=self.storage)

    @rpc
    def acknowledgement_address(self, number):
        """The e-mail address a case's filer gave, for notification to acknowledge the case (else None)."""
        return usecases.acknowledgement_address(number, store=self.storage, sealer=self.sealer, clock=self.clock)

    @rpc
    def cases_of_year(self, covenant_year):
        """Each case of a covenant year as the sector figures count it: [{"kind", "state", "appeal_upheld"}]."""
        return usecases.cases_of_year(covenant_year, store=self.storage)

    @timer(interval=TIME_LIMIT_INTERVAL_SECONDS)
    def warn_of_time_limits(self) -> int:
        """The commission is told of each case whose step's time limit is about to pass."""
        return usecases.warn_of_time_limits(store=self.storage, procedure=self.procedure, publisher=self.events,
                                            clock=self.clock)

SERVICE = ComplaintsService
