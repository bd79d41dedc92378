"""The notification service: receipts, outcomes, extensions, reminders and alerts (contract §3), in the
inbox, by e-mail and by signed webhook, each exactly once."""
from __future__ import annotations


from nameko.timer import timer
from werkzeug.wrappers import Response

from common import operations
from common.auth import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT, RemoteIdentity
from common.clock import ClockProvider
from common.messaging import event_handler
from common.context import LoggingContext
from common.metrics import Metrics, counter, lag_metrics, observe_lag
from common.mongo import Storage
from common.openapi import Doc
from common.rpc import RpcClient, rpc
from common.web import http, load, read_json
from services.notification import schemas, usecases
from services.notification.dependencies import ChannelsProvider, NoticeStore, ScoringClient

SCHEDULE_INTERVAL_SECONDS = 60
DELIVERY_INTERVAL_SECONDS = 2


def declare_metrics(registry):
    return {
        # never by kind: an extension or an alert after one company's submission would say how it fared
        "notices": counter(registry, "trustone_notices", "Notices created."),
        "deliveries": counter(registry, "trustone_notice_deliveries",
                              "Delivery attempts, by channel kind and result.", ["channel", "result"]),
    }


class NotificationService(operations.Operations):
    name = "notification"

    storage = Storage(NoticeStore)
    channels = ChannelsProvider()
    identity = RemoteIdentity()
    scoring = ScoringClient()
    complaints = RpcClient("complaints")
    submission = RpcClient("submission")  # a member whose registration is still on its way
    clock = ClockProvider()
    metrics = Metrics(declare_metrics, lag_metrics)
    log = LoggingContext()

    # --- on events ----------------------------------------------------------------------------------

    @event_handler("submission", "company_registered")
    def remember_company(self, event):
        """Who the members are: obligation, language and e-mail address."""
        usecases.remember_company(event.payload.company, store=self.storage, clock=self.clock,
                                  replayed=event.replayed)

    @event_handler("submission", "authority_registered")
    def remember_authority(self, event):
        """Who the contracting authorities are (their names, for the companies they ask about)."""
        usecases.remember_authority(event.payload.authority, store=self.storage)

    @event_handler("submission", "member_token_replaced")
    def announce_token_replaced(self, event):
        """A member is told its sign-in code was replaced, in its language, at its own address."""
        self._count(usecases.on_token_replaced(event.payload, store=self.storage, channels=self.channels,
                                               clock=self.clock, replayed=event.replayed))

    @event_handler("submission", "commission_member_registered")
    def announce_commission_seat(self, event):
        """The commission hears of a seat the secretariat registered, for the chair to confirm (or not)."""
        self._count(usecases.on_commission_member_registered(
            event.payload, store=self.storage, channels=self.channels, clock=self.clock,
            commission_language=self.settings.commission_language, replayed=event.replayed))

    @event_handler("submission", "report_submitted")
    def confirm_receipt(self, event):
        sent = usecases.confirm_receipt(event.payload, store=self.storage, channels=self.channels, clock=self.clock,
                                        replayed=event.replayed)
        self._count(sent)
        if "receipt" in sent.notices:
            observe_lag(self.metrics, "receipt_noticed", event.occurred_at)

    @event_handler("scoring", "report_scored")
    def announce_outcome(self, event):
        sent = usecases.announce_outcome(event.payload, store=self.storage, channels=self.channels, clock=self.clock,
                                         secretariat_language=self.settings.secretariat_language,
                                         replayed=event.replayed)
        self._count(sent)
        if "outcome" in sent.notices:
            observe_lag(self.metrics, "outcome_noticed", event.submission_occurred_at)

    @event_handler("complaints", "case_received")
    def announce_case(self, event):
        """The complainant's acknowledgement (when it gave an address) and the commission's alert."""
        self._count(usecases.on_case_received(event.payload, store=self.storage, channels=self.channels,
                                              clock=self.clock, complaints=self.complaints,
                                              commission_language=self.settings.commission_language,
                                              replayed=event.replayed))

    @event_handler("complaints", "case_moved")
    def announce_case_step(self, event):
        """The company concerned hears of a case found admissible, and of the decision."""
        self._count(usecases.on_case_moved(event.payload, store=self.storage, channels=self.channels, clock=self.clock,
                                           replayed=event.replayed))

    @event_handler("complaints", "case_message_sent")
    def announce_case_message(self, event):
        """The company concerned hears that the commission wrote to it."""
        self._count(usecases.on_case_message(event.payload, store=self.storage, channels=self.channels,
                                             clock=self.clock, replayed=event.replayed))

    @event_handler("complaints", "case_time_limit_approaching")
    def announce_time_limit(self, event):
        self._count(usecases.on_case_time_limit(event.payload, store=self.storage, channels=self.channels,
                                                clock=self.clock,
                                                commission_language=self.settings.commission_language,
                                                replayed=event.replayed))

    @event_handler("reporting", "unknown_state_reported")
    def announce_unknown_state(self, event):
        """The secretariat hears of a state spelling nobody knows, to place it."""
        self._count(usecases.on_unknown_state(event.payload, store=self.storage, channels=self.channels,
                                              clock=self.clock,
                                              secretariat_language=self.settings.secretariat_language))

    @event_handler("reporting", "unknown_region_reported")
    def announce_unknown_region(self, event):
        """The secretariat hears of a quarry region name the gazetteer does not know, to place it."""
        self._count(usecases.on_unknown_region(event.payload, store=self.storage, channels=self.channels,
                                               clock=self.clock,
                                               secretariat_language=self.settings.secretariat_language))

    @event_handler("scoring", "verification_sample_drawn")
    def announce_sample(self, event):
        self._count(usecases.announce_sample(event.payload, store=self.storage, channels=self.channels,
                                             clock=self.clock, replayed=event.replayed))

    # --- on time ------------------------------------------------------------------------------------

    @timer(interval=SCHEDULE_INTERVAL_SECONDS)
    def send_reminders(self):
        """Reminders before each deadline and alerts the day after, on the service's clock."""
        self._count(usecases.send_reminders(store=self.storage, channels=self.channels, clock=self.clock,
                                            scoring=self.scoring,
                                            secretariat_language=self.settings.secretariat_language))

    @timer(interval=DELIVERY_INTERVAL_SECONDS)
    def retry_deliveries(self):
        """Deliveries that failed and are due again, or that a crash left half done."""
        self._count(usecases.retry_deliveries(store=self.storage, channels=self.channels))

    # --- HTTP ---------------------------------------------------------------------------------------

    @http("GET", "/v1/notices", doc=Doc(
        "Notices, newest first: a company and an authority their own, the secretariat its alerts, the "
        "commission its alerts and a member of it its own", roles=(COMPANY, AUTHORITY, SECRETARIAT, COMMISSION),
        query=schemas.InboxQuery, responses={200: schemas.NoticePage}))
    def list_notices(self, request):
        caller = self.identity.caller(request, COMPANY, AUTHORITY, SECRETARIAT, COMMISSION)
        query = load(schemas.InboxQuery, dict(request.args))
        return usecases.inbox(caller, query["page"], query["per_page"], store=self.storage,
                              language=query["language"])

    @http("POST", "/v1/extensions", doc=Doc(
        "Grant a company its own date for a year (replaces the catch-up date)", roles=(SECRETARIAT,),
        body=schemas.ExtensionGrant, responses={201: schemas.ExtensionOut}, not_found=True))
    def grant_extension(self, request):
        """{"company_id": "...", "covenant_year": 1, "date": "2021-05-01"} -> 201"""
        self.identity.caller(request, SECRETARIAT)
        grant = read_json(request, schemas.ExtensionGrant)
        self._count(usecases.grant_extension(grant, store=self.storage, channels=self.channels,
                                             clock=self.clock, scoring=self.scoring))
        return 201, grant

    @http("GET", "/v1/extensions", doc=Doc(
        "Dates granted: a company its own, the secretariat every one", roles=(COMPANY, SECRETARIAT),
        query=schemas.ExtensionQuery, responses={200: schemas.ExtensionOut(many=True)}))
    def list_extensions(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        query = load(schemas.ExtensionQuery, dict(request.args))
        return usecases.extensions(caller, store=self.storage, company_id=query.get("company_id"),
                                   covenant_year=query.get("covenant_year"))

    @http("GET", "/v1/standings", doc=Doc(
        "Where members stand per covenant year (reported when, by which date, the latest outcome): a company "
        "its own, the secretariat any member's (?company_id=) or every member's; ?covenant_year= keeps one year",
        roles=(COMPANY, SECRETARIAT), query=schemas.StandingQuery, responses={200: schemas.Standing(many=True)}))
    def list_standings(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        query = load(schemas.StandingQuery, dict(request.args))
        return usecases.standings(caller, store=self.storage, clock=self.clock, scoring=self.scoring,
                                  submission=self.submission, company_id=query.get("company_id"),
                                  covenant_year=query.get("covenant_year"))

    @http("GET", "/v1/years/<int:covenant_year>/standings", doc=Doc(
        "Every member's standing in one covenant year, by name, counted per state; a page of them (?page=, "
        "?per_page=), of one state only with ?status=", roles=(SECRETARIAT,), query=schemas.YearStandingsQuery,
        responses={200: schemas.YearStandings}, not_found=True))
    def list_year_standings(self, request, covenant_year):
        self.identity.caller(request, SECRETARIAT)
        query = load(schemas.YearStandingsQuery, dict(request.args))
        return usecases.year_standings(covenant_year, query["status"], query["page"], query["per_page"],
                                       store=self.storage, clock=self.clock, scoring=self.scoring)

    @rpc
    def standing_of(self, company_id):
        """A member's standing in every covenant year: "c-1" -> {"member": {...}, "years": [{"covenant_year",
        "status", "reported_on", "deadline", "outcome", ...}], "upcoming": ["2021-04-01"]}; NotFound for none."""
        return usecases.standing_of(company_id, store=self.storage, clock=self.clock, scoring=self.scoring,
                                    submission=self.submission)

    @http("GET", "/v1/suppliers", doc=Doc(
        "Member companies whose name holds ?name= (from the public member list), to ask about as a supplier",
        roles=(AUTHORITY, SECRETARIAT), query=schemas.MemberQuery, responses={200: schemas.MemberOut(many=True)}))
    def search_members(self, request):
        self.identity.caller(request, AUTHORITY, SECRETARIAT)
        query = load(schemas.MemberQuery, dict(request.args))
        return usecases.search_members(query["name"], store=self.storage)

    @http("GET", "/v1/suppliers/near", doc=Doc(
        "Member companies whose names are near ?name= though none holds it (a typo), best first",
        roles=(AUTHORITY, SECRETARIAT), query=schemas.MemberQuery, responses={200: schemas.MemberOut(many=True)}))
    def near_members(self, request):
        self.identity.caller(request, AUTHORITY, SECRETARIAT)
        query = load(schemas.MemberQuery, dict(request.args))
        return usecases.near_members(query["name"], store=self.storage)

    @http("POST", "/v1/supplier-questions", doc=Doc(
        "Ask whether a supplier reported, when, and with what outcome, for each year it had to",
        roles=(AUTHORITY,), body=schemas.SupplierQuestion, responses={201: schemas.QuestionOut},
        description="Never the score, the report or the assessment; about a company that is no member only "
                    "that. The question is recorded and the member gets a notice."))
    def ask_about_supplier(self, request):
        """{"company_id": "..."} or {"name": "Steenhandel"} -> 201 with the answer"""
        caller = self.identity.caller(request, AUTHORITY)
        answer, sent = usecases.ask_about_supplier(caller, read_json(request, schemas.SupplierQuestion),
                                                   store=self.storage, channels=self.channels, clock=self.clock,
                                                   scoring=self.scoring)
        self._count(sent)
        return 201, answer

    @http("GET", "/v1/supplier-questions", doc=Doc(
        "Questions asked about suppliers: an authority its own, a company those about it, the secretariat all",
        roles=(AUTHORITY, COMPANY, SECRETARIAT), responses={200: schemas.QuestionOut(many=True)}))
    def list_supplier_questions(self, request):
        return usecases.questions(self.identity.caller(request, AUTHORITY, COMPANY, SECRETARIAT),
                                  store=self.storage)

    @http("GET", "/v1/supplier-questions/page", doc=Doc(
        "A page of the questions asked about suppliers, newest first, with how many there are (?page=, "
        "?per_page=): an authority its own, a company those about it, the secretariat all",
        roles=(AUTHORITY, COMPANY, SECRETARIAT), query=schemas.PageQuery, responses={200: schemas.QuestionPage}))
    def supplier_questions_page(self, request):
        caller = self.identity.caller(request, AUTHORITY, COMPANY, SECRETARIAT)
        query = load(schemas.PageQuery, dict(request.args))
        return usecases.questions_page(caller, query["page"], query["per_page"], store=self.storage)

    @http("GET", "/v1/supplier-questions/authorities", doc=Doc(
        "The contracting authorities, by name, each with the day it joined and how many questions about "
        "suppliers it asked; a page of them (?page=, ?per_page=)", roles=(SECRETARIAT,), query=schemas.PageQuery,
        responses={200: schemas.Authorities}))
    def list_authorities(self, request):
        self.identity.caller(request, SECRETARIAT)
        query = load(schemas.PageQuery, dict(request.args))
        return usecases.authorities(query["page"], query["per_page"], store=self.storage)

    @http("POST", "/v1/webhooks", doc=Doc(
        "Register a webhook: every later notice to the caller is POSTed there, signed",
        roles=(COMPANY, SECRETARIAT), body=schemas.WebhookRegistration, responses={201: schemas.WebhookOut},
        description="The body is the notice as JSON; X-TruStone-Signature is sha256=<HMAC-SHA256 of the "
                    "body with the secret, hex>. Failed deliveries are retried with backoff."))
    def register_webhook(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        return 201, usecases.add_webhook(caller, read_json(request, schemas.WebhookRegistration),
                                         store=self.storage, channels=self.channels)

    @http("GET", "/v1/webhooks", doc=Doc(
        "The caller's webhooks (secrets are not shown)", roles=(COMPANY, SECRETARIAT),
        responses={200: schemas.WebhookOut(many=True)}))
    def list_webhooks(self, request):
        return usecases.webhooks(self.identity.caller(request, COMPANY, SECRETARIAT), store=self.storage)

    @http("DELETE", "/v1/webhooks/<webhook_id>", doc=Doc(
        "Remove one of the caller's webhooks; deliveries still pending to it are given up",
        roles=(COMPANY, SECRETARIAT), responses={204: "Removed"}, not_found=True))
    def remove_webhook(self, request, webhook_id):
        usecases.remove_webhook(self.identity.caller(request, COMPANY, SECRETARIAT), webhook_id,
                                store=self.storage)
        return Response(status=204)

    def _count(self, sent: usecases.Sent) -> None:
        self.metrics.notices.inc(len(sent.notices))
        for channel, result in sent.deliveries:
            self.metrics.deliveries.labels(channel, result).inc()


SERVICE = NotificationService
