"""The notification service: receipts, outcomes, extensions, reminders and alerts (contract §3), in the
inbox, by e-mail and by signed webhook, each exactly once."""
from __future__ import annotations

from datetime import date

from nameko.dependency_providers import Config
from nameko.timer import timer
from werkzeug.wrappers import Response

from common import errors, operations
from common.auth import COMPANY, SECRETARIAT, RemoteIdentity
from common.clock import ClockProvider
from common.events import event_handler
from common.logging import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common.rpc import Rpc
from common.web import http, query_int, read_json
from services.notification import domain, schemas
from services.notification.dependencies import Delivery, NoticeStore, utcnow

SCHEDULE_INTERVAL_SECONDS = 60
DELIVERY_INTERVAL_SECONDS = 2


def declare_metrics(registry):
    return {
        "notices": counter(registry, "trustone_notices", "Notices created, by kind.", ["kind"]),
        "deliveries": counter(registry, "trustone_notice_deliveries",
                              "Delivery attempts, by channel kind and result.", ["channel", "result"]),
    }


class NotificationService(operations.Operations):
    name = "notification"

    storage = Storage(NoticeStore)
    postman = Delivery()
    identity = RemoteIdentity()
    scoring = Rpc("scoring")
    clock = ClockProvider()
    metrics = Metrics(declare_metrics)
    log = LoggingContext()
    config = Config()

    # --- on events ----------------------------------------------------------------------------------

    @event_handler("submission", "company_registered")
    def remember_company(self, event):
        """Who the members are: obligation, language and e-mail address."""
        self.storage.register_company(event.data["company"])

    @event_handler("submission", "report_submitted")
    def confirm_receipt(self, event):
        self.storage.register_company(event.data["company"])
        self._notify(domain.receipt(event.data, self.clock.now()))

    @event_handler("scoring", "report_scored")
    def announce_outcome(self, event):
        scored = event.data
        company = scored["company"]
        self.storage.register_company(company)
        self.storage.record_standing(company["id"], scored["covenant_year"], scored["ordinal"],
                                     scored["assessment"]["outcome"])
        own_date = self.storage.extension(company["id"], scored["covenant_year"])
        for notice in domain.on_scored(scored, self.clock.now(), own_date, self.config["SECRETARIAT_LANGUAGE"]):
            self._notify(notice)

    # --- on time ------------------------------------------------------------------------------------

    @timer(interval=SCHEDULE_INTERVAL_SECONDS)
    def send_reminders(self):
        """Reminders before each deadline and alerts the day after, on the service's clock."""
        now = self.clock.now()
        calendars = [domain.YearCalendar(each["covenant_year"], date.fromisoformat(each["due_date"]),
                                         date.fromisoformat(each["catch_up_date"]))
                     for each in self.scoring.list_calendars()]
        for notice in domain.scheduled(now.date(), now, calendars, self.storage.all_companies(),
                                       self.storage.outcomes(), self.storage.all_extensions(),
                                       self.config["SECRETARIAT_LANGUAGE"]):
            self._notify(notice)

    @timer(interval=DELIVERY_INTERVAL_SECONDS)
    def retry_deliveries(self):
        """Deliveries that failed and are due again, or that a crash left half done."""
        for notice in self.storage.with_undelivered():
            self._count(self.postman.deliver(notice["_id"], notice["undelivered"]))

    # --- HTTP ---------------------------------------------------------------------------------------

    @http("GET", "/v1/notices", doc=Doc(
        "Notices, newest first: a company its own, the secretariat its alerts", roles=(COMPANY, SECRETARIAT),
        query=schemas.PageQuery, responses={200: schemas.NoticePage}))
    def list_notices(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        page = query_int(request, "page", 1)
        per_page = query_int(request, "per_page", 50, maximum=200)
        items, total = self.storage.inbox(caller.role, caller.id, (page - 1) * per_page, per_page)
        return {"items": [domain.shown(each) for each in items], "page": page, "per_page": per_page,
                "total": total}

    @http("POST", "/v1/extensions", doc=Doc(
        "Grant a company its own date for a year (replaces the catch-up date)", roles=(SECRETARIAT,),
        body=schemas.ExtensionGrant, responses={201: schemas.ExtensionOut}, not_found=True))
    def grant_extension(self, request):
        """{"company_id": "...", "covenant_year": 1, "date": "2021-05-01"} -> 201"""
        self.identity.caller(request, SECRETARIAT)
        grant = read_json(request, schemas.ExtensionGrant())
        company = self.storage.company(grant["company_id"])
        if company is None:
            raise errors.Invalid({"company_id": ["No such member company."]})
        with errors.field_error("covenant_year", errors.NotFound):
            framework = self.scoring.get_framework(grant["covenant_year"])
        until = date.fromisoformat(grant["date"])
        if until <= date.fromisoformat(framework["due_date"]):
            raise errors.Invalid({"date": [f"Must be after the due date, {framework['due_date']}."]})
        now = self.clock.now()
        self.storage.grant_extension(company["_id"], grant["covenant_year"], until, now)
        self._notify(domain.extension_granted(company, grant["covenant_year"], until, now))
        return 201, grant

    @http("POST", "/v1/webhooks", doc=Doc(
        "Register a webhook: every later notice to the caller is POSTed there, signed",
        roles=(COMPANY, SECRETARIAT), body=schemas.WebhookRegistration, responses={201: schemas.WebhookOut},
        description="The body is the notice as JSON; X-TruStone-Signature is sha256=<HMAC-SHA256 of the "
                    "body with the secret, hex>. Failed deliveries are retried with backoff."))
    def register_webhook(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        registration = read_json(request, schemas.WebhookRegistration())
        webhook = self.storage.add_webhook(caller.role, caller.id, registration["url"], registration["secret"],
                                           utcnow())
        return 201, {"id": webhook["_id"], "url": webhook["url"], "created_at": webhook["created_at"]}

    @http("GET", "/v1/webhooks", doc=Doc(
        "The caller's webhooks (secrets are not shown)", roles=(COMPANY, SECRETARIAT),
        responses={200: schemas.WebhookOut(many=True)}))
    def list_webhooks(self, request):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        return [{"id": each["_id"], "url": each["url"], "created_at": each["created_at"]}
                for each in self.storage.webhooks_of(caller.role, caller.id)]

    @http("DELETE", "/v1/webhooks/<webhook_id>", doc=Doc(
        "Remove one of the caller's webhooks; deliveries still pending to it are given up",
        roles=(COMPANY, SECRETARIAT), responses={204: "Removed"}, not_found=True))
    def remove_webhook(self, request, webhook_id):
        caller = self.identity.caller(request, COMPANY, SECRETARIAT)
        if not self.storage.remove_webhook(caller.role, caller.id, webhook_id):
            raise errors.NotFound()
        return Response(status=204)

    def _notify(self, notice: domain.Notice) -> None:
        """Stores the notice once and delivers it; a second cause of the same notice does nothing."""
        deliveries = self.postman.plan(notice, utcnow())
        if not self.storage.add(notice, deliveries):
            return
        self.metrics.notices.labels(notice.kind).inc()
        self.log.info("notice created", notice_key=notice.key, kind=notice.kind)
        self._count(self.postman.deliver(notice.key, [channel for channel, state in deliveries.items()
                                                      if state["state"] == "pending"]))

    def _count(self, results: dict[str, str]) -> None:
        for channel, result in results.items():
            self.metrics.deliveries.labels(channel.split("-")[0], result).inc()


SERVICE = NotificationService
