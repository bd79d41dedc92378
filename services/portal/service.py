"""The portal: the platform in a browser for member companies, the secretariat and the public (Dutch and
English). One more client of the four services' public HTTP API, with sessions, form tokens and drafts of
its own; it has no other way into their data."""
from __future__ import annotations

import re

from werkzeug.wrappers import Response

from common import errors, operations, problems, vocabulary
from common.clock import ClockProvider, RealTimeProvider
from common.context import LoggingContext
from common.i18n import N_
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common.web import client_address, file_response
from common.vocabulary import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT
from services.portal import domain, pages, schemas, usecases
from services.portal.dependencies import Api, Cipher, PortalStore
from services.portal.pages import page, redirect, render, set_cookies
from services.portal.words import WORDS


def declare_metrics(registry):
    return {
        "sign_ins": counter(registry, "trustone_portal_sign_ins", "Sign-ins, by result.", ["result"]),
        "reports_sent": counter(registry, "trustone_portal_reports_submitted", "Reports submitted in the portal."),
    }


FORM_EXPIRED = N_("This form was open too long. Check what you wrote, choose any files again, and send it.")
MAX_COMPLAINT_BYTES = 24 * 1024 * 1024  # a complaint's form with its photos and PDFs (as complaints takes)
# One file added later: complaints takes 5 MB; up to this, a larger one is refused beside its field.
MAX_FOLLOW_UP_FILE_BYTES = 16 * 1024 * 1024
MAX_REPORT_FORM_BYTES = 32 * 1024 * 1024  # the report form with the files chosen in one go
# A proof's text file is refused beside its field above 16 KB (domain.MAX_ATTESTATION_FILE_BYTES); up to this
# the form is read so that it can be, beyond it the page says the form was too much at once.
MAX_ATTESTATION_FORM_BYTES = 1024 * 1024


def _fields(request) -> dict[str, list[str]]:
    return {name: request.form.getlist(name) for name in request.form.keys()}


def _uploads(request) -> dict[str, bytes]:
    """The files chosen in the report form, by the report path each is for (`evidence.0.file`)."""
    chosen = {}
    for name, each in request.files.items(multi=True):
        path = domain.upload_path(name)
        if path and each.filename:
            chosen[path] = each.read()
    return chosen


def _passed_on(answer) -> Response:
    """A file a service gave, passed on as a download."""
    return file_response(answer.content, answer.headers.get("Content-Type", "application/octet-stream"),
                         _download_name(answer.headers.get("Content-Disposition", "")))


def _download_name(disposition: str) -> str | None:
    found = re.search(r'filename="([A-Za-z0-9._-]+)"', disposition)
    return found.group(1) if found else None


def _html(summary: str) -> Doc:
    return Doc(summary, responses={200: "A page"}, content_type="text/html")


class PortalService(operations.Operations):
    name = "portal"

    storage = Storage(PortalStore)
    api = Api()
    cipher = Cipher()
    static = pages.StaticFiles()
    clock = ClockProvider()
    real_time = RealTimeProvider()  # sessions, form tokens and sign-in limits: what the database expires
    metrics = Metrics(declare_metrics)
    log = LoggingContext()

    # --- the visitor --------------------------------------------------------------------------------

    def _rules(self) -> usecases.SessionRules:
        return usecases.SessionRules(self.settings.portal_session_idle_minutes, self.settings.portal_sign_in_attempts,
                                     self.settings.portal_sign_in_attempts_overall,
                                     self.settings.portal_session_max_hours)

    def _visitor(self, request, *, form: bool = False) -> usecases.Visitor:
        visitor = usecases.visit(request.cookies.get(pages.SESSION_COOKIE), pages.request_language(request),
                                 store=self.storage, cipher=self.cipher, clock=self.real_time, rules=self._rules())
        if form:
            visitor = usecases.with_form_session(visitor, store=self.storage, clock=self.real_time, rules=self._rules())
        return pages.remember(request, visitor)

    def _page(self, request, visitor, template: str, status: int = 200, retry_after: int | None = None,
              **context) -> Response:
        response = render(template, visitor.language, status=status, visitor=visitor,
                          path=request.environ.get("portal.path", request.path), **context)
        if retry_after:  # a 429: when to try again
            response.headers["Retry-After"] = str(retry_after)
        return set_cookies(response, request, session_id=visitor.new_session_id)

    def _posted(self, request, *roles: str) -> usecases.Visitor:
        visitor = self._visitor(request)
        usecases.require_role(visitor, *roles)
        usecases.require_form_token(visitor, request.form.get("csrf_token"))
        return visitor

    # --- everyone -----------------------------------------------------------------------------------

    @page("GET", "/", doc=_html("The start page: covenant years with their sector reports, and signing in"))
    def home(self, request):
        visitor = self._visitor(request)
        if visitor.signed_in:
            return redirect({COMPANY: "/company", SECRETARIAT: "/secretariat", AUTHORITY: "/authority",
                             COMMISSION: "/commission"}[visitor.role])
        return self._page(request, visitor, "home.html.j2", years=usecases.covenant_years(api=self.api))

    @page("GET", "/not-found", answers_unmatched=True, doc=Doc("The page for an address no page takes",
                                                                responses={404: "A page"}, content_type="text/html"))
    def not_found(self, request):
        """Answers every address no page takes: the error page, with a signed-in visitor's menu."""
        self._visitor(request)
        raise errors.NotFound()

    @page("GET", "/sign-in", doc=_html("Sign in with the code the secretariat gave"))
    def sign_in_form(self, request):
        ended = bool(request.cookies.get(pages.SESSION_COOKIE)) and not self._visitor(request).session_id
        visitor = self._visitor(request, form=True)
        return self._page(request, visitor, "sign_in.html.j2", errors={}, ended=ended,
                          kept=request.args.get("kept") == "1", next=domain.safe_next(request.args.get("next")))

    @page("POST", "/sign-in", doc=_html("Sign in (form: token, csrf_token, next: the page to go on to)"))
    def sign_in(self, request):
        visitor = self._visitor(request, form=True)
        then = domain.safe_next(request.form.get("next"))  # where the visitor was when its session ended
        try:
            usecases.require_form_token(visitor, request.form.get("csrf_token"))
            signed_in = usecases.sign_in(visitor, request.form.get("token", ""), client_address(request, self.settings),
                                         api=self.api, store=self.storage, cipher=self.cipher, clock=self.real_time,
                                         rules=self._rules(), device=request.cookies.get(pages.DEVICE_COOKIE))
        except errors.Forbidden:  # the form's token: a new form, nothing lost but the code itself
            return self._page(request, self._visitor(request, form=True), "sign_in.html.j2", status=400,
                              errors={"token": [problems.FORM_EXPIRED()]}, ended=False,
                              kept=False, next=then)
        except errors.TooMany as refused:
            self.metrics.sign_ins.labels("refused").inc()
            return self._page(request, visitor, "sign_in.html.j2", status=429, retry_after=refused.retry_after,
                              errors={"token": [refused.problem or refused.message]}, ended=False, kept=False,
                              next=then)
        except errors.Invalid as refused:
            self.metrics.sign_ins.labels("refused").inc()
            return self._page(request, visitor, "sign_in.html.j2", status=401, errors=refused.problems, ended=False,
                              kept=False, next=then)
        self.metrics.sign_ins.labels("ok").inc()
        return set_cookies(redirect(then), request, session_id=signed_in.session_id, language=signed_in.language,
                           device=signed_in.device)

    @page("POST", "/sign-out", doc=_html("Sign out: the session ends"))
    def sign_out(self, request):
        visitor = self._visitor(request)
        usecases.require_form_token(visitor, request.form.get("csrf_token"))
        usecases.sign_out(visitor, store=self.storage)
        return set_cookies(redirect("/"), request, clear_session=True)

    @page("GET", "/language/<code>", doc=_html("Switch the language (nl, en); ?next= the page to return to"))
    def choose_language(self, request, code):
        language = usecases.choose_language(self._visitor(request), code, store=self.storage, clock=self.real_time,
                                            rules=self._rules())
        return set_cookies(redirect(domain.safe_next(request.args.get("next"))), request, language=language)

    @page("GET", "/sector/<int:covenant_year>/report", doc=_html("The year's sector report (public)"))
    def sector_report(self, request, covenant_year):
        visitor = self._visitor(request)
        answer = usecases.sector_file(covenant_year, "report", visitor.language, request.args.get("edition"),
                                      api=self.api)
        return Response(pages.with_way_back(answer.content, visitor.language), mimetype="text/html", headers={
            "Content-Security-Policy": answer.headers["Content-Security-Policy"] + "; frame-ancestors 'none'"})

    @page("GET", "/sector/<int:covenant_year>/figures.csv", doc=Doc(
        "The year's sector figures as CSV, in words (public; ?language=nl or en, else the visitor's language)",
        responses={200: "CSV"}, content_type="text/csv"))
    def sector_csv(self, request, covenant_year):
        language = request.args.get("language")
        if language not in vocabulary.LANGUAGES.codes:
            language = self._visitor(request).language
        answer = usecases.sector_file(covenant_year, "csv", language, request.args.get("edition"), api=self.api)
        return Response(answer.content, mimetype="text/csv",
                        headers={"Content-Disposition": answer.headers.get("Content-Disposition", "attachment")})

    @page("GET", "/static/<name>", doc=Doc("The portal's stylesheet and script", responses={200: "A file"},
                                            content_type="text/css", not_found=True))
    def static_file(self, request, name):
        if name not in self.static:
            raise errors.NotFound()
        body, mimetype = self.static[name]
        return Response(body, mimetype=mimetype, headers={"Cache-Control": "public, max-age=3600"})

    # --- a member company ---------------------------------------------------------------------------

    @page("GET", "/company", doc=_html("A company's covenant years: what it owes, its dates, its versions"))
    def company_home(self, request):
        visitor = self._visitor(request)
        return self._page(request, visitor, "company.html.j2",
                          **usecases.company_home(visitor, api=self.api, store=self.storage))

    @page("POST", "/company/attestations", doc=_html(
        "A new proof of membership: a printable page with its QR code and its signed text"))
    def issue_attestation(self, request):
        visitor = self._posted(request, COMPANY)
        issued = usecases.issue_attestation(visitor, api=self.api)
        # The address people reach the portal at, as configured: behind a proxy the request's own is an
        # internal one, and a proof is printed to be checked for a year.
        base = self.settings.portal_public_url or request.host_url
        check = domain.attestation_check_url(base, issued["attestation"])
        request.environ["portal.path"] = "/company"  # the language switch: back to the company's page
        return self._page(request, visitor, "attestation.html.j2", issued=issued, check_url=check,
                          qr=domain.qr_code(check), request_base=base.rstrip("/"))

    @page("GET", "/attestations/check", doc=_html(
        "Check a proof of membership (anyone): ?attestation= its text, as its QR code carries it; recorded for "
        "the member as someone who did not say who, whoever opens it (a link another site sends a signed-in "
        "visitor to must not record a check in its name: its own form, with its form token, does)"))
    def check_attestation(self, request):
        return self._attestation_checked(request, self._visitor(request), request.args.get("attestation"), None,
                                         from_link=True)

    @page("POST", "/attestations/check", max_body=MAX_ATTESTATION_FORM_BYTES, doc=_html(
        "Check a proof of membership pasted or uploaded (anyone; a multipart form: `attestation`, its text, or "
        "`attestation_file`, a text file holding it; not signed in, `checked_by`: whom the visitor checks for, "
        "if it says; signed in, the form's `csrf_token`: the check is recorded as the visitor's)"))
    def check_attestation_sent(self, request):
        visitor = self._visitor(request)
        if visitor.signed_in:  # recorded in the visitor's name: only from the portal's own form
            usecases.require_form_token(visitor, request.form.get("csrf_token"))
        chosen = next((each for each in request.files.getlist("attestation_file") if each.filename), None)
        uploaded = chosen.read(domain.MAX_ATTESTATION_FILE_BYTES + 1) if chosen else None
        return self._attestation_checked(request, visitor, request.form.get("attestation", ""), uploaded,
                                         request.form.get("checked_by", ""))

    def _attestation_checked(self, request, visitor, typed: str | None, uploaded: bytes | None,
                             checked_by: str = "", from_link: bool = False) -> Response:
        """The check page with the answer for the text typed (or opened from the QR code) or the file chosen;
        the page alone when neither was given. Opened from a link, the check is made as no one."""
        answer, refused = None, {}
        if typed is not None or uploaded is not None:
            answer, refused = usecases.check_attestation(typed, uploaded, api=self.api,
                                                         visitor=None if from_link else visitor,
                                                         checked_by=checked_by)
        return self._page(request, visitor, "attestation_check.html.j2", status=422 if refused else 200,
                          given=(typed or "") if uploaded is None else "", answer=answer, errors=refused,
                          checked_by=checked_by, unnamed_check=from_link and answer is not None)

    @page("GET", "/company/years/<int:covenant_year>/report", doc=_html("The year's report as a form"))
    def report_form(self, request, covenant_year):
        visitor = self._visitor(request)
        state, source, suggested = usecases.report_form(visitor, covenant_year, api=self.api, store=self.storage)
        return self._page(request, visitor, "report_form.html.j2", state=state, source=source, errors={},
                          assessment=None, saved=None, anchor=domain.anchor, suggested=suggested,
                          file_max_mb=self.settings.report_file_max_mb)

    @page("POST", "/company/years/<int:covenant_year>/report", max_body=MAX_REPORT_FORM_BYTES, doc=_html(
        "The report form's actions: add or remove a row, take a file off, save the draft, check, submit (a "
        "multipart form: each file chosen is uploaded first)"))
    def report_post(self, request, covenant_year):
        visitor = self._visitor(request)
        if not visitor.signed_in and usecases.keep_typed_report(visitor, covenant_year, _fields(request),
                                                                request.form.get("csrf_token"), store=self.storage,
                                                                clock=self.clock):
            return redirect(f"/sign-in?kept=1&next=/company/years/{covenant_year}/report")
        usecases.require_role(visitor, COMPANY)
        usecases.require_form_token(visitor, request.form.get("csrf_token"))
        action = schemas.read(schemas.ReportAction(), request.form.to_dict())["action"]
        outcome = usecases.report_action(visitor, covenant_year, _fields(request), action,
                                         api=self.api, store=self.storage, clock=self.clock,
                                         uploads=_uploads(request))
        if outcome.done:
            self.metrics.reports_sent.inc()
            return self._page(request, visitor, "report_sent.html.j2", accepted=outcome.done)
        status = 422 if outcome.errors else 200
        return self._page(request, visitor, "report_form.html.j2", status=status, state=outcome.state,
                          source="form", errors=outcome.errors, assessment=outcome.assessment,
                          saved=outcome.message, anchor=domain.anchor,
                          focus=action.partition(":")[2].partition(":")[0], suggested=outcome.page["suggested"],
                          file_max_mb=self.settings.report_file_max_mb)

    @page("GET", "/reports/<report_id>", doc=_html("A report's versions with their assessments"))
    def report_page(self, request, report_id):
        visitor = self._visitor(request)
        return self._page(request, visitor, "report.html.j2", report=usecases.report_detail(
            visitor, report_id, api=self.api), appeal_form={}, errors={})

    @page("GET", "/reports/<report_id>/versions/<int:version>", doc=_html(
        "Every answer of a sent version, read only (the company, the secretariat)"))
    def report_version_page(self, request, report_id, version):
        visitor = self._visitor(request)
        return self._page(request, visitor, "report_answers.html.j2", sent=usecases.report_version(
            visitor, report_id, version, api=self.api))

    @page("GET", "/cases/<number>/report", doc=_html(
        "Every answer of the version an appeal contests, read only (the commission)"))
    def appealed_report_page(self, request, number):
        visitor = self._visitor(request)
        return self._page(request, visitor, "report_answers.html.j2", sent=usecases.appealed_report(
            visitor, number, api=self.api))

    @page("GET", "/reports/<report_id>/versions/<int:version>/files/<file_id>", doc=Doc(
        "A file a sent version names (the company, the secretariat)", responses={200: "The file"},
        content_type="application/octet-stream"))
    def report_file(self, request, report_id, version, file_id):
        return _passed_on(usecases.report_file(self._visitor(request), report_id, version, file_id, api=self.api))

    @page("GET", "/cases/<number>/report/files/<file_id>", doc=Doc(
        "A file of the version an appeal contests (the commission)", responses={200: "The file"},
        content_type="application/octet-stream"))
    def appealed_report_file(self, request, number, file_id):
        return _passed_on(usecases.appealed_report_file(self._visitor(request), number, file_id, api=self.api))

    @page("GET", "/notices", doc=_html("Notices, newest first (?page=)"))
    def notices_page(self, request):
        visitor = self._visitor(request)
        number = schemas.read(schemas.PageQuery(), request.args.to_dict())["page"]
        return self._page(request, visitor, "notices.html.j2", inbox=usecases.notices(visitor, number, api=self.api),
                          page_number=number)

    # --- complaints and disputes ------------------------------------------------------------------------

    @page("GET", "/complaints/new", doc=_html("File a complaint or dispute with the commission (no account)"))
    def complaint_form(self, request):
        visitor = self._visitor(request, form=True)
        return self._page(request, visitor, "complaint_form.html.j2", form={}, errors={},
                          members=usecases.member_list(api=self.api))

    @page("POST", "/complaints/new", max_body=MAX_COMPLAINT_BYTES, doc=_html(
        "File it: the case number and the follow-up code are shown once"))
    def file_complaint(self, request):
        visitor = self._visitor(request, form=True)
        try:
            usecases.require_form_token(visitor, request.form.get("csrf_token"))
        except errors.Forbidden:  # a form left open too long: shown again as typed, nothing filed
            form = {name: values[-1] for name, values in _fields(request).items() if name != "csrf_token"}
            return self._page(request, visitor, "complaint_form.html.j2", status=400, form=form,
                              errors={"body": [FORM_EXPIRED]}, members=usecases.member_list(api=self.api))
        files = [each.read() for each in request.files.getlist("attachments") if each.filename]
        outcome = usecases.file_case(_fields(request), files, api=self.api)
        if outcome.done:
            return self._page(request, visitor, "complaint_filed.html.j2", filed=outcome.done)
        return self._page(request, visitor, "complaint_form.html.j2", status=outcome.status,
                          retry_after=outcome.retry_after, form=outcome.state, errors=outcome.errors,
                          members=usecases.member_list(api=self.api))

    @page("GET", "/complaints/follow", doc=_html("Follow a case with its number and follow-up code"))
    def follow_form(self, request):
        visitor = self._visitor(request, form=True)
        return self._page(request, visitor, "complaint_follow.html.j2", progress=None, number="", code="",
                          errors={}, added=False, attached=False, text="")

    @page("POST", "/complaints/follow", doc=_html("A case's progress (form: number, code; text adds information)"))
    def follow(self, request):
        def add_information(number, code):
            text = request.form.get("text")
            return usecases.add_case_information(number, code, text, api=self.api) if text else None
        return self._follow(request, add_information, adds="information")

    @page("POST", "/complaints/follow/attachment", max_body=MAX_FOLLOW_UP_FILE_BYTES, doc=_html(
        "The filer adds one more photo or PDF to its case (multipart form: number, code, attachment)"))
    def add_case_attachment(self, request):
        def add_file(number, code):
            chosen = next((each for each in request.files.getlist("attachment") if each.filename), None)
            return usecases.add_case_attachment(number, code, chosen.read() if chosen else None, api=self.api)
        return self._follow(request, add_file, adds="file")

    def _follow(self, request, act, adds: str) -> Response:
        """The filer's follow-up page after `act(number, code)` added information or a file (`adds`) to the
        case, or nothing (None)."""
        visitor = self._visitor(request, form=True)
        usecases.require_form_token(visitor, request.form.get("csrf_token"))
        number, code = request.form.get("number", ""), request.form.get("code", "")
        text = request.form.get("text", "")
        try:
            outcome = act(number, code) or usecases.FormOutcome()
            progress = usecases.case_progress(number, code, api=self.api)
        except errors.NotFound:  # no case, or not this code: the same answer
            return self._page(request, visitor, "complaint_follow.html.j2", status=404, progress=None,
                              number=number, code="", errors={"code": [N_("No case has this number and code.")]},
                              added=False, attached=False, text=text)
        except errors.TooMany as refused:  # too many wrong codes for this case number
            return self._page(request, visitor, "complaint_follow.html.j2", status=429,
                              retry_after=refused.retry_after, progress=None, number=number, code="",
                              errors={"code": [refused.problem or refused.message]}, added=False, attached=False,
                              text=text)
        return self._page(request, visitor, "complaint_follow.html.j2", status=422 if outcome.errors else 200,
                          progress=progress, number=number, code=code, errors=outcome.errors,
                          added=bool(outcome.done) and adds == "information",
                          attached=bool(outcome.done) and adds == "file", text=text)

    @page("GET", "/commission", doc=_html("The commission's cases"))
    def commission_home(self, request):
        visitor = self._visitor(request)
        usecases.require_role(visitor, COMMISSION)
        return self._page(request, visitor, "cases.html.j2", cases=usecases.cases(visitor, api=self.api))

    @page("GET", "/commission/members", doc=_html(
        "The chair's page of the commission's members: seats to confirm, new sign-in codes"))
    def commission_members(self, request):
        visitor = self._visitor(request)
        return self._page(request, visitor, "commission_members.html.j2",
                          members=usecases.commission_members(visitor, api=self.api), errors={})

    @page("POST", "/commission/members/<member_id>/confirmation", doc=_html(
        "The chair confirms a seat; the member's sign-in code is shown once"))
    def confirm_seat(self, request, member_id):
        visitor = self._posted(request, COMMISSION)
        try:
            member = usecases.confirm_seat(visitor, member_id, api=self.api)
        except errors.Invalid as refused:  # confirmed meanwhile (another window): the list as it stands
            return self._page(request, visitor, "commission_members.html.j2", status=422,
                              members=usecases.commission_members(visitor, api=self.api), errors=refused.problems)
        return self._page(request, visitor, "commission_code.html.j2", member=member, replaced=False)

    @page("POST", "/commission/members/<member_id>/token", doc=_html(
        "The chair gives a member of the commission a new sign-in code, shown once"))
    def replace_commission_code(self, request, member_id):
        visitor = self._posted(request, COMMISSION)
        member = usecases.replace_commission_code(visitor, member_id, api=self.api)
        return self._page(request, visitor, "commission_code.html.j2", member=member, replaced=True)

    @page("GET", "/commission/identity-readings", doc=_html(
        "The chair's trail: who read a filer's identity, when, in which case (?page=)"))
    def identity_readings(self, request):
        visitor = self._visitor(request)
        number = schemas.read(schemas.PageQuery(), request.args.to_dict())["page"]
        return self._page(request, visitor, "identity_readings.html.j2", page_number=number,
                          trail=usecases.identity_readings(visitor, number, api=self.api))

    @page("GET", "/secretariat/cases", doc=_html("The cases: that they exist and where they stand"))
    def secretariat_cases(self, request):
        visitor = self._visitor(request)
        usecases.require_role(visitor, SECRETARIAT)
        return self._page(request, visitor, "cases.html.j2", cases=usecases.cases(visitor, api=self.api))

    @page("GET", "/cases/<number>", doc=_html("A case, as the visitor may see it"))
    def case_page(self, request, number):
        visitor = self._visitor(request)
        return self._page(request, visitor, "case.html.j2", case=usecases.case(visitor, number, api=self.api),
                          form={}, errors={}, saved=None)

    @page("POST", "/cases/<number>/moves", doc=_html("A commission member's step"))
    def move_case(self, request, number):
        visitor = self._posted(request, COMMISSION)
        outcome = usecases.move_case(visitor, number, _fields(request), api=self.api)
        return self._page(request, visitor, "case.html.j2", status=422 if outcome.errors else 200,
                          case=usecases.case(visitor, number, api=self.api), form=outcome.state,
                          errors=outcome.errors, saved=outcome.message)

    @page("POST", "/cases/<number>/messages", doc=_html("The commission writes; the company answers"))
    def write_about_case(self, request, number):
        visitor = self._posted(request, COMMISSION, COMPANY)
        outcome = usecases.write_about_case(visitor, number, request.form.get("to", ""),
                                            request.form.get("text", ""), api=self.api)
        return self._page(request, visitor, "case.html.j2", status=422 if outcome.errors else 200,
                          case=usecases.case(visitor, number, api=self.api), form=outcome.state or {},
                          errors=outcome.errors, saved=outcome.message)

    @page("GET", "/cases/<number>/attachments/<attachment_id>", doc=Doc(
        "An attachment of a case (the commission)", responses={200: "The file"},
        content_type="application/octet-stream"))
    def case_attachment(self, request, number, attachment_id):
        return _passed_on(usecases.case_attachment(self._visitor(request), number, attachment_id, api=self.api))

    @page("POST", "/reports/<report_id>/appeal", doc=_html("Contest the assessment of a version"))
    def appeal(self, request, report_id):
        visitor = self._posted(request, COMPANY)
        outcome = usecases.appeal(visitor, report_id, _fields(request), api=self.api)
        if outcome.done:
            return self._page(request, visitor, "appeal_filed.html.j2", filed=outcome.done)
        return self._page(request, visitor, "report.html.j2", status=422,
                          report=usecases.report_detail(visitor, report_id, api=self.api), appeal_form=outcome.state,
                          errors=outcome.errors)

    # --- a contracting authority --------------------------------------------------------------------

    @page("GET", "/authority", doc=_html("Ask about a supplier (?name= finds members); the questions asked"))
    def authority_home(self, request):
        visitor = self._visitor(request)
        usecases.require_role(visitor, AUTHORITY)
        name = request.args.get("name", "")
        found = usecases.find_suppliers(visitor, name, api=self.api) if name else None
        near = usecases.near_suppliers(visitor, name, api=self.api) if name and not found else []
        return self._page(request, visitor, "authority.html.j2", name=name, found=found, near=near,
                          questions=usecases.supplier_questions(visitor, api=self.api))

    @page("POST", "/authority/questions", doc=_html("Ask about one member (form: company_id)"))
    def ask_about_supplier(self, request):
        visitor = self._posted(request, AUTHORITY)
        answer = usecases.ask_about_supplier(visitor, request.form.get("company_id", ""), api=self.api)
        return self._page(request, visitor, "supplier.html.j2", question=answer)

    @page("GET", "/secretariat/questions", doc=_html("Every question authorities asked, newest first (?page=)"))
    def all_questions(self, request):
        visitor = self._visitor(request)
        usecases.require_role(visitor, SECRETARIAT)
        number = schemas.read(schemas.PageQuery(), request.args.to_dict())["page"]
        found = usecases.supplier_questions_page(visitor, number, api=self.api)
        return self._page(request, visitor, "questions.html.j2", found=found, questions=found["items"])

    @page("GET", "/secretariat/years/<int:covenant_year>/verification", doc=_html(
        "The year's verification sample and its results (?page=)"))
    def verification(self, request, covenant_year):
        visitor = self._visitor(request)
        number = schemas.read(schemas.PageQuery(), request.args.to_dict())["page"]
        return self._page(request, visitor, "verification.html.j2", found=usecases.verification(
            visitor, covenant_year, api=self.api, clock=self.clock, page=number), form={}, errors={}, saved=None)

    @page("POST", "/secretariat/years/<int:covenant_year>/verification/sample", doc=_html(
        "Draw the year's sample (form: seed, optional)"))
    def draw_sample(self, request, covenant_year):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.draw_sample(visitor, covenant_year, request.form.get("seed", ""), api=self.api)
        return self._page(request, visitor, "verification.html.j2", status=422 if outcome.errors else 200,
                          found=usecases.verification(visitor, covenant_year, api=self.api, clock=self.clock), form=outcome.state or {},
                          errors=outcome.errors, saved=None)

    @page("POST", "/secretariat/years/<int:covenant_year>/verification/results", doc=_html(
        "Record a sampled company's verification"))
    def record_verification(self, request, covenant_year):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.record_verification(visitor, covenant_year, _fields(request), api=self.api)
        return self._page(request, visitor, "verification.html.j2", status=422 if outcome.errors else 200,
                          found=usecases.verification(visitor, covenant_year, api=self.api, clock=self.clock,
                                                      showing=request.form.get("company_id")),
                          form=outcome.state, errors=outcome.errors, saved=outcome.message)

    # --- the secretariat ----------------------------------------------------------------------------

    @page("GET", "/secretariat", doc=_html("Every member and where it stands for a year (?year=, ?status=, "
                                           "?page=)"))
    def secretariat_home(self, request):
        visitor = self._visitor(request)
        year, status = self._year_and_status(request)
        page_number = schemas.read(schemas.OverviewQuery(), request.args.to_dict()).get("page") or 1
        overview = usecases.year_overview(visitor, year, status, page_number, api=self.api)
        return self._page(request, visitor, "secretariat.html.j2", overview=overview, chosen=status,
                          statuses=domain.STANDINGS)

    @page("GET", "/secretariat/members.csv", doc=Doc(
        "The same overview as CSV (?year=, ?status=)", responses={200: "CSV"}, content_type="text/csv"))
    def secretariat_csv(self, request):
        visitor = self._visitor(request)
        year, status = self._year_and_status(request)
        rows = usecases.year_overview_rows(visitor, year, status, api=self.api)
        text = domain.standings_csv(rows, visitor.language, lambda text: WORDS.gettext(text, visitor.language))
        return Response(text, mimetype="text/csv", headers={
            **pages.page_headers(),
            "Content-Disposition": f'attachment; filename="trustone-members-year-{year}.csv"'})

    def _year_and_status(self, request) -> tuple[int, str | None]:
        query = schemas.read(schemas.OverviewQuery(), request.args.to_dict())
        year = query.get("year") or usecases.year_to_open(api=self.api, clock=self.clock)
        return year, query["status"]

    @page("GET", "/secretariat/authorities", doc=_html("The contracting authorities, by name (?page=)"))
    def authorities(self, request):
        visitor = self._visitor(request)
        number = schemas.read(schemas.PageQuery(), request.args.to_dict())["page"]
        return self._page(request, visitor, "authorities.html.j2",
                          found=usecases.authorities(visitor, number, api=self.api), errors={})

    @page("POST", "/secretariat/authorities/<authority_id>/token", doc=_html(
        "Give a contracting authority a new sign-in code (form: confirm=yes, page: the list's page to come back to)"))
    def replace_authority_token(self, request, authority_id):
        visitor = self._posted(request, SECRETARIAT)
        if request.form.get("confirm") != "yes":  # the authority's code stops working: never by one stray click
            number = schemas.read(schemas.PageQuery(), {"page": request.form.get("page", "1")})["page"]
            return self._page(request, visitor, "authorities.html.j2", status=422,
                              found=usecases.authorities(visitor, number, api=self.api),
                              errors={f"confirm-{authority_id}": [domain.CONFIRM_NEW_AUTHORITY_CODE]})
        member = usecases.replace_token(visitor, authority_id, api=self.api)
        return self._page(request, visitor, "registered.html.j2", kind=AUTHORITY, member=member, replaced=True)

    @page("GET", "/secretariat/commission", doc=_html(
        "The commission's members as the secretariat sees them, and registering a seat (the chair confirms it)"))
    def secretariat_commission(self, request):
        visitor = self._visitor(request)
        return self._page(request, visitor, "secretariat_commission.html.j2",
                          members=usecases.commission_seats(visitor, api=self.api), form={}, errors={},
                          registered=None)

    @page("POST", "/secretariat/commission", doc=_html(
        "Register a seat of the commission: it waits for the chair, who gives the member its code"))
    def register_commission_member(self, request):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.register_commission_member(visitor, _fields(request), api=self.api)
        return self._page(request, visitor, "secretariat_commission.html.j2", status=422 if outcome.errors else 200,
                          members=usecases.commission_seats(visitor, api=self.api), form=outcome.state,
                          errors=outcome.errors, registered=outcome.done)

    @page("GET", "/secretariat/register/<kind>", doc=_html("Register a company or contracting authority"))
    def register_form(self, request, kind):
        visitor = self._visitor(request)
        usecases.require_role(visitor, SECRETARIAT)
        if kind not in (COMPANY, AUTHORITY):
            raise errors.NotFound()
        return self._page(request, visitor, "register.html.j2", kind=kind, form={}, errors={})

    @page("POST", "/secretariat/register/<kind>", doc=_html("Register a member; its code is shown once"))
    def register(self, request, kind):
        visitor = self._posted(request, SECRETARIAT)
        if kind not in (COMPANY, AUTHORITY):
            raise errors.NotFound()
        outcome = usecases.register_member(visitor, kind, _fields(request), api=self.api)
        if outcome.done:
            return self._page(request, visitor, "registered.html.j2", kind=kind, member=outcome.done,
                              replaced=False)
        return self._page(request, visitor, "register.html.j2", status=422, kind=kind, form=outcome.state,
                          errors=outcome.errors)

    @page("GET", "/secretariat/companies/<company_id>", doc=_html("A company: its years, reports, own dates"))
    def company_page(self, request, company_id):
        visitor = self._visitor(request)
        detail = usecases.company_detail(visitor, company_id, api=self.api)
        return self._page(request, visitor, "secretariat_company.html.j2", detail=detail, form={}, errors={},
                          granted=None)

    @page("POST", "/secretariat/companies/<company_id>/extension", doc=_html("Grant a company its own date"))
    def grant_extension(self, request, company_id):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.grant_extension(visitor, {**_fields(request), "company_id": [company_id]}, api=self.api)
        detail = usecases.company_detail(visitor, company_id, api=self.api)
        return self._page(request, visitor, "secretariat_company.html.j2", status=422 if outcome.errors else 200,
                          detail=detail, form=outcome.state, errors=outcome.errors, granted=outcome.done)

    @page("POST", "/secretariat/companies/<company_id>/token", doc=_html("Give a company a new sign-in code"))
    def replace_token(self, request, company_id):
        visitor = self._posted(request, SECRETARIAT)
        if request.form.get("confirm") != "yes":  # the company's code stops working: never by one stray click
            detail = usecases.company_detail(visitor, company_id, api=self.api)
            return self._page(request, visitor, "secretariat_company.html.j2", status=422, detail=detail, form={},
                              errors={"confirm": [domain.CONFIRM_NEW_CODE]}, granted=None)
        member = usecases.replace_token(visitor, company_id, api=self.api)
        return self._page(request, visitor, "registered.html.j2", kind=COMPANY, member=member, replaced=True)

    @page("GET", "/secretariat/alerts", doc=_html("The secretariat's alerts (?page=)"))
    def alerts(self, request):
        usecases.require_role(self._visitor(request), SECRETARIAT)
        return self.notices_page(request)

    @page("GET", "/secretariat/regions", doc=_html("Quarry regions: the names to place, and the known ones"))
    def regions(self, request):
        visitor = self._visitor(request)
        return self._page(request, visitor, "regions.html.j2", found=usecases.regions(visitor, api=self.api),
                          form={}, errors={}, placed_region=None, placed_state=None)

    @page("POST", "/secretariat/regions", doc=_html("Place a region name: a new region or another spelling"))
    def place_region(self, request):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.place_region(visitor, _fields(request), api=self.api)
        return self._regions_page(request, visitor, outcome, placed_region=outcome.done)

    @page("POST", "/secretariat/state-names", doc=_html("Say which state or province a name nobody knew is"))
    def place_state_name(self, request):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.place_state_name(visitor, _fields(request), api=self.api)
        return self._regions_page(request, visitor, outcome, placed_state=outcome.done)

    def _regions_page(self, request, visitor, outcome, placed_region=None, placed_state=None) -> Response:
        """The regions page after the secretariat placed a name (or was told why it could not)."""
        return self._page(request, visitor, "regions.html.j2", status=422 if outcome.errors else 200,
                          found=outcome.page["found"], form=outcome.state, errors=outcome.errors,
                          placed_region=placed_region, placed_state=placed_state)

    @page("GET", "/secretariat/years/<int:covenant_year>/proof", doc=_html(
        "The latest check of the figures (recomputed and compared in the background), and asking for one"))
    def proof(self, request, covenant_year):
        visitor = self._visitor(request)
        return self._page(request, visitor, "proof.html.j2", covenant_year=covenant_year,
                          run=usecases.latest_proof(visitor, covenant_year, api=self.api))

    @page("POST", "/secretariat/years/<int:covenant_year>/proof", doc=_html("Check the figures now"))
    def request_proof(self, request, covenant_year):
        visitor = self._posted(request, SECRETARIAT)
        usecases.request_proof(visitor, covenant_year, api=self.api)
        return redirect(f"/secretariat/years/{covenant_year}/proof")

    @page("GET", "/secretariat/years/<int:covenant_year>/figures", doc=_html(
        "The year's figures as they stand, what a new edition would change, and releasing it"))
    def figures(self, request, covenant_year):
        visitor = self._visitor(request)
        return self._page(request, visitor, "figures.html.j2", covenant_year=covenant_year, errors={},
                          released=None, live=usecases.figures_to_release(visitor, covenant_year, api=self.api))

    @page("POST", "/secretariat/years/<int:covenant_year>/editions", doc=_html(
        "Release a new edition of the year's figures"))
    def release_edition(self, request, covenant_year):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.release_edition(visitor, covenant_year, api=self.api)
        return self._page(request, visitor, "figures.html.j2", status=422 if outcome.errors else 200,
                          covenant_year=covenant_year, errors=outcome.errors, released=outcome.done,
                          live=outcome.page)

    @page("POST", "/secretariat/years/<int:covenant_year>/rescore", doc=_html("Apply a corrected framework"))
    def rescore(self, request, covenant_year):
        visitor = self._posted(request, SECRETARIAT)
        outcome = usecases.rescore(visitor, covenant_year, api=self.api)
        return self._page(request, visitor, "rescored.html.j2", status=422 if outcome.errors else 200,
                          covenant_year=covenant_year, result=outcome.done, errors=outcome.errors)

SERVICE = PortalService
