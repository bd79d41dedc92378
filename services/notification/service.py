"""The notification service: receipts, outcomes, extensions, reminders and alerts (contract §3)."""
from __future__ import annotations

from datetime import datetime, timezone

from nameko.dependency_providers import Config

from common.auth import COMPANY, SECRETARIAT, RemoteIdentity
from common.events import event_handler
from common.logging import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common import operations
from common.web import http, query_int
from services.notification import domain, schemas
from services.notification.dependencies import NoticeStore


def declare_metrics(registry):
    return {
        "notices": counter(registry, "trustone_notices", "Notices created, by kind.", ["kind"]),
    }


class NotificationService(operations.Operations):
    name = "notification"

    storage = Storage(NoticeStore)
    identity = RemoteIdentity()
    metrics = Metrics(declare_metrics)
    log = LoggingContext()
    config = Config()

    @event_handler("submission", "report_submitted")
    def confirm_receipt(self, event):
        self._notify(domain.receipt(event.data, _now()))

    @event_handler("scoring", "report_scored")
    def announce_outcome(self, event):
        self._notify(domain.outcome(event.data, _now()))

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

    def _notify(self, notice: domain.Notice) -> None:
        if self.storage.add(notice):
            self.metrics.notices.labels(notice.kind).inc()
            self.log.info("notice created", notice_key=notice.key, kind=notice.kind)


def _now() -> datetime:
    return datetime.now(timezone.utc)


SERVICE = NotificationService
