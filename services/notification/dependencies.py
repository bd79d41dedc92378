"""Storage and the ways out of the notification service.

A notice is stored once under its key, with a delivery record per channel (e-mail, each webhook of its
recipient). A delivery is claimed by compare-and-set before it is sent, so two workers or two instances
never send it twice; a claim a crash left behind is taken over after DELIVERY_CLAIM_SECONDS.
"""
from __future__ import annotations

import json
import re
import smtplib
import socket
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage

import certifi
import urllib3
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import problems, settings
from common.events import Ordinal
from common.mongo import Index, Repository
from common.rpc import RpcClient
from common.settings import Settings
from services.notification import domain
from services.notification.domain import Notice

DELIVERY_CLAIM_SECONDS = 60
WEBHOOK_TIMEOUT_SECONDS = 10


# What a standing shows of a company, and what decides whether it must report (common.covenant.obliged).
COMPANY_SHOWN = ("name", "country", "role", "imports_directly", "joined_on")


class NoticeStore(Repository):

    def __init__(self, db):
        super().__init__(db)
        self.notices = db.notices
        self.companies = db.companies
        self.standings = db.standings
        self.extensions = db.extensions
        self.webhooks = db.webhooks
        self.authorities = db.authorities
        self.reported = db.reported
        self.questions = db.supplier_questions
        self.rebuilds = db.rebuilds
        self.revisions = db.revisions  # one document: a token that changes with every change of a standing
        self._snapshots: dict = {}     # the year standings computed under a token (this process's)

    # A notice is stored once under its key (its _id): that, not an index of ours, keeps it single.
    INDEXES = {
        "notices": (Index.on("recipient_role", "recipient_id", ("created_at", DESCENDING)),  # an inbox, newest first
                    Index.on("delivering")),  # the notices with deliveries still to make
        "webhooks": (Index.on("owner_role", "owner_id"),),
        "supplier_questions": (Index.on("authority_id", ("asked_at", DESCENDING)),
                               Index.on("company_id", ("asked_at", DESCENDING)),
                               # every question, newest first, as the secretariat's page sorts them
                               Index.on(("asked_at", DESCENDING), ("_id", DESCENDING))),
        "companies": (Index.on("name"),),
        "authorities": (Index.on("name"),),
        # what is known of a company's years: of one company (its pages) or of one year (the overview)
        **{name: (Index.on("company_id", "covenant_year"), Index.on("covenant_year"))
           for name in ("reported", "standings", "extensions")},
    }

    # --- notices ------------------------------------------------------------------------------------

    def add(self, notice: Notice, deliveries: dict[str, dict]) -> bool:
        """Stores a notice once; False when a notice with its key exists already."""
        try:
            undelivered = [channel for channel, state in deliveries.items() if state["state"] == "pending"]
            self.notices.insert_one({**notice.to_document(), "deliveries": deliveries, "undelivered": undelivered,
                                     **({"delivering": True} if undelivered else {})})
            return True
        except DuplicateKeyError:
            return False

    def inbox(self, role: str, recipient_id: str | None, skip: int, limit: int,
              with_shared: bool = False) -> tuple[list[dict], int]:
        """The notices to `recipient_id` in `role` (None: the role's shared inbox), newest first; `with_shared`:
        the role's shared inbox with them."""
        selector = {"recipient_role": role,
                    "recipient_id": {"$in": [None, recipient_id]} if with_shared else recipient_id}
        total = self.notices.count_documents(selector)
        found = self.notices.find(selector, sort=[("created_at", DESCENDING), ("_id", ASCENDING)],
                                  skip=skip, limit=limit)
        return list(found), total

    def with_undelivered(self) -> list[dict]:
        """The notices with deliveries still to make. They carry `delivering` (an equality an index answers,
        where `undelivered: {$ne: []}` would read every notice ever sent, every round of retries)."""
        return list(self.notices.find({"delivering": True}, {"undelivered": 1}))

    def ensure_indexes(self) -> None:
        super().ensure_indexes()
        # Notices stored before `delivering` existed, with deliveries still to make: flagged (once they
        # are, this finds nothing to change).
        self.notices.update_many({"undelivered.0": {"$exists": True}, "delivering": {"$exists": False}},
                                 {"$set": {"delivering": True}})

    def claim(self, key: str, channel: str, now: datetime) -> dict | None:
        """Takes a delivery that is due (or whose claim went stale); None when it is not ours to send."""
        slot = f"deliveries.{channel}"
        return self.notices.find_one_and_update(
            {"_id": key, "$or": [
                {f"{slot}.state": "pending", f"{slot}.next_attempt_at": {"$lte": now}},
                {f"{slot}.state": "sending",
                 f"{slot}.claimed_at": {"$lt": now - timedelta(seconds=DELIVERY_CLAIM_SECONDS)}},
            ]},
            {"$set": {f"{slot}.state": "sending", f"{slot}.claimed_at": now}},
            return_document=ReturnDocument.AFTER)

    def settle(self, key: str, channel: str, state: str, attempts: int, now: datetime,
               next_attempt_at: datetime | None = None) -> None:
        """Records an attempt's outcome; why one failed is logged, never kept with the notice."""
        slot = f"deliveries.{channel}"
        update = {"$set": {f"{slot}.state": state, f"{slot}.attempts": attempts, f"{slot}.last_attempt_at": now,
                           f"{slot}.next_attempt_at": next_attempt_at}}
        if state != "pending":
            update["$pull"] = {"undelivered": channel}
        self.notices.update_one({"_id": key}, update)
        if state != "pending":
            self.leave_retries(key)

    def leave_retries(self, key: str) -> None:
        """A notice whose every delivery settled leaves the retry rounds."""
        self.notices.update_one({"_id": key, "undelivered": []}, {"$unset": {"delivering": ""}})

    def note_rebuild(self, when: datetime) -> None:
        """Marks this service as rebuilt from a replay, at `when` (the business clock's) at the latest."""
        self.rebuilds.update_one({"_id": "latest"}, {"$max": {"at": when}}, upsert=True)

    def rebuilt_at(self) -> datetime | None:
        """When this service last took an event sent again by a replay (None: never)."""
        found = self.rebuilds.find_one({"_id": "latest"})
        return found["at"] if found else None

    def has_notice(self, key: str) -> bool:
        return self.notices.count_documents({"_id": key}, limit=1) > 0

    def forget_address(self, key: str) -> None:
        self.notices.update_one({"_id": key}, {"$unset": {"about.email": "", "deliveries.email.to": ""}})

    # --- what notices depend on ---------------------------------------------------------------------

    def register_company(self, company: dict) -> None:
        """Keeps the company's latest snapshot. Every event about a company carries one, nearly always the
        same: it is written only when it differs."""
        known = self.companies.find_one({"_id": company["id"]})
        if known is None or any(known.get(name) != value for name, value in company.items()):
            self.companies.update_one({"_id": company["id"]}, {"$set": company}, upsert=True)
            self._standings_changed()

    def company(self, company_id: str) -> dict | None:
        return self.companies.find_one({"_id": company_id})

    def all_companies(self) -> list[dict]:
        return list(self.companies.find({}))

    # --- one year's standings, computed once per change -----------------------------------------------
    # The overview of a year computes every member's standing; it is kept (in this process) under the token
    # of the latest change to companies, receipts, assessments and own dates, which every instance writes,
    # so that paging, filtering and three secretariat users at once cost one computation per change.

    def _standings_changed(self) -> None:
        self.revisions.update_one({"_id": "standings"}, {"$set": {"token": uuid.uuid4().hex}}, upsert=True)

    def standings_snapshot(self, key: tuple, compute):
        """`compute()`, or what it gave under the same `key` since the latest change."""
        found = self.revisions.find_one({"_id": "standings"})
        if found is None:  # nothing recorded a change yet (or a rebuild dropped the token): no snapshot
            return compute()
        token = (found["token"], *key)
        if token not in self._snapshots:
            if len(self._snapshots) >= 8:
                self._snapshots.pop(next(iter(self._snapshots)))
            self._snapshots[token] = compute()
        return self._snapshots[token]

    def companies_by_name(self) -> list[dict]:
        """Every company, what a standing needs of it, by name."""
        found = self.companies.find({}, {name: 1 for name in COMPANY_SHOWN})
        return sorted(found, key=lambda each: (each["name"].casefold(), each["_id"]))

    def record_standing(self, scored: dict) -> domain.Standing:
        """Records an assessment among the company's assessments of its year (each by rank, with its
        outcome), and as its standing when it is the newest; returns where it stands (`domain.standing_of`).
        Compare-and-set on a revision: of two at once, each sees the other, in one order; a redelivery
        finds itself and stands as it stood."""
        company_id, year, outcome = scored["company"]["id"], scored["covenant_year"], scored["assessment"]["outcome"]
        ordinal = Ordinal.of(scored["ordinal"])
        own, key = domain.rank(ordinal), f"{company_id}:{year}"
        while True:
            known = self.standings.find_one({"_id": key})
            history = {int(each): value for each, value in (known or {}).get("history", {}).items()}
            if known is not None and not history:  # stored before the history was kept
                history = {known["rank"]: known["outcome"]}
            history[own] = outcome
            standing, again = domain.standing_of(ordinal, history)
            latest = max(history)
            document = {"company_id": company_id, "covenant_year": year, "rank": latest, "outcome": history[latest],
                        "history": {str(each): value for each, value in history.items()},
                        "revision": (known or {}).get("revision", 0) + 1}
            if standing.latest:
                document["latest"] = domain.remembered(scored)
            if known is not None and {name: known.get(name) for name in document if name != "revision"} == \
                    {name: value for name, value in document.items() if name != "revision"}:
                written = True  # a redelivery: nothing to change
            elif known is None:
                try:
                    self.standings.insert_one({"_id": key, **document})
                    written = True
                except DuplicateKeyError:  # another assessment of the year came first: read again
                    continue
            else:
                written = self.standings.update_one({"_id": key, "revision": known.get("revision")},
                                                    {"$set": document}).modified_count == 1
            if written:
                self._standings_changed()
                successor = (known or {}).get("latest") if again else None
                return replace(standing, successor=successor) if successor else standing

    def record_submission(self, company_id: str, year: int, submitted_at: datetime, version: int) -> None:
        """When the company first reported for the year, and its latest version (a redelivery or an older
        version arriving late changes neither)."""
        self.reported.update_one({"_id": f"{company_id}:{year}"},
                                 {"$min": {"first_submitted_at": submitted_at}, "$max": {"latest_version": version},
                                  "$set": {"company_id": company_id, "covenant_year": year}}, upsert=True)
        self._standings_changed()

    def known_years(self, company_id: str | None = None, covenant_year: int | None = None
                    ) -> dict[tuple[str, int], domain.Known]:
        """What is known of each company's years (of one company, one year, or all): {(company, year): Known}."""
        selector = {key: value for key, value in (("company_id", company_id), ("covenant_year", covenant_year))
                    if value is not None}
        years: dict[tuple[str, int], dict] = {}
        for each in self.reported.find(selector, {"company_id": 1, "covenant_year": 1, "first_submitted_at": 1,
                                                  "latest_version": 1}):
            years.setdefault((each["company_id"], each["covenant_year"]), {}).update(
                first_submitted_at=each["first_submitted_at"], latest_version=each.get("latest_version"))
        for each in self.standings.find(selector, {"company_id": 1, "covenant_year": 1, "rank": 1, "outcome": 1,
                                                   "latest.assessment.score": 1}):
            latest = each.get("latest") or {}
            years.setdefault((each["company_id"], each["covenant_year"]), {}).update(
                assessed_version=domain.version_of(each["rank"]), outcome=each["outcome"],
                score=(latest.get("assessment") or {}).get("score"))
        for each in self.extensions.find(selector):
            years.setdefault((each["company_id"], each["covenant_year"]), {})["own_date"] = \
                date.fromisoformat(each["date"])
        return {key: domain.Known(**values) for key, values in years.items()}

    def outcomes(self) -> dict[tuple[str, int], str]:
        """The latest outcome of every company's year that has an assessed report."""
        return {(each["company_id"], each["covenant_year"]): each["outcome"] for each in self.standings.find({})}

    def grant_extension(self, company_id: str, year: int, until: date, now: datetime) -> None:
        self.extensions.update_one(
            {"_id": f"{company_id}:{year}"},
            {"$set": {"company_id": company_id, "covenant_year": year, "date": until.isoformat(),
                      "granted_at": now}}, upsert=True)
        self._standings_changed()

    def extension(self, company_id: str, year: int) -> date | None:
        found = self.extensions.find_one({"_id": f"{company_id}:{year}"})
        return date.fromisoformat(found["date"]) if found else None

    def extensions_list(self, company_id: str | None, covenant_year: int | None) -> list[dict]:
        selector = {}
        if company_id:
            selector["company_id"] = company_id
        if covenant_year:
            selector["covenant_year"] = covenant_year
        return list(self.extensions.find(selector, sort=[("covenant_year", ASCENDING), ("company_id", ASCENDING)]))

    def all_extensions(self) -> dict[tuple[str, int], date]:
        return {(each["company_id"], each["covenant_year"]): date.fromisoformat(each["date"])
                for each in self.extensions.find({})}

    def register_authority(self, authority: dict) -> None:
        self.authorities.update_one({"_id": authority["id"]}, {"$set": authority}, upsert=True)

    def authority(self, authority_id: str) -> dict | None:
        return self.authorities.find_one({"_id": authority_id})

    def authorities_page(self, page: int, per_page: int) -> tuple[list[dict], int]:
        """One page of the contracting authorities, by name, and how many there are."""
        found = self.authorities.find({}, sort=[("name", ASCENDING), ("_id", ASCENDING)],
                                      skip=(page - 1) * per_page, limit=per_page)
        return list(found), self.authorities.count_documents({})

    def questions_asked_by(self, authority_ids: list[str]) -> dict[str, int]:
        """How many questions each of these authorities asked (one indexed count each)."""
        return {each: self.questions.count_documents({"authority_id": each}) for each in authority_ids}

    def companies_named(self, text: str, limit: int = 20) -> list[dict]:
        """Members whose name holds `text` (any case), by name."""
        return list(self.companies.find({"name": {"$regex": re.escape(text), "$options": "i"}},
                                        sort=[("name", ASCENDING)], limit=limit))

    def record_question(self, question: dict) -> None:
        self.questions.insert_one({"_id": question["id"], **question})

    def questions_list(self, *, authority_id: str | None = None, company_id: str | None = None,
                       limit: int = 200) -> list[dict]:
        selector = {}
        if authority_id:
            selector["authority_id"] = authority_id
        if company_id:
            selector["company_id"] = company_id
        return list(self.questions.find(selector, sort=[("asked_at", DESCENDING)], limit=limit))

    def questions_page(self, page: int, per_page: int, *, authority_id: str | None = None,
                       company_id: str | None = None) -> tuple[list[dict], int]:
        """One page of the questions, newest first, and how many there are."""
        selector = {key: value for key, value in (("authority_id", authority_id), ("company_id", company_id))
                    if value}
        found = self.questions.find(selector, sort=[("asked_at", DESCENDING), ("_id", DESCENDING)],
                                    skip=(page - 1) * per_page, limit=per_page)
        return list(found), self.questions.count_documents(selector)

    def add_webhook(self, owner_role: str, owner_id: str | None, url: str, secret: str, now: datetime) -> dict:
        webhook = {"_id": uuid.uuid4().hex, "owner_role": owner_role, "owner_id": owner_id, "url": url,
                   "secret": secret, "created_at": now}
        self.webhooks.insert_one(webhook)
        return webhook

    def webhooks_of(self, owner_role: str, owner_id: str | None) -> list[dict]:
        return list(self.webhooks.find({"owner_role": owner_role, "owner_id": owner_id},
                                       sort=[("created_at", ASCENDING)]))

    def webhook(self, webhook_id: str) -> dict | None:
        return self.webhooks.find_one({"_id": webhook_id})

    def remove_webhook(self, owner_role: str, owner_id: str | None, webhook_id: str) -> bool:
        """Removes one of the owner's webhooks; False when it has none with that id."""
        return self.webhooks.delete_one({"_id": webhook_id, "owner_role": owner_role,
                                         "owner_id": owner_id}).deleted_count == 1


class Channels:
    """The ways a notice goes out besides the inbox: e-mail over SMTP and signed webhooks, with the
    delivery policy (how often, how long between attempts) from the settings."""

    def __init__(self, settings: Settings):
        self.smtp_host = settings.smtp_host
        self.smtp_port = settings.smtp_port
        self.sender = settings.smtp_from
        self.secretariat_email = settings.secretariat_email
        self.commission_email = settings.commission_email
        self.backoff_seconds = settings.delivery_backoff_seconds
        self.max_attempts = settings.delivery_attempts
        self.trusted_hosts = settings.webhook_trusted_hosts

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def now(self) -> datetime:
        """Deliveries run on real time; the business calendar runs on the injectable clock."""
        return datetime.now(timezone.utc)

    def mail(self, notice: dict, to: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = notice["subject"]
        message["Message-ID"] = domain.message_id(notice["_id"], self.sender)
        message.set_content(notice["body"])
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=30) as smtp:
            smtp.send_message(message)

    def aim(self, url: str) -> tuple[domain.WebhookTarget, str]:
        """The target of a webhook URL and the address to connect to, every address the host resolves to
        checked now (domain.RefusedTarget otherwise). Connecting to that address, not to the name again,
        leaves DNS no second answer to give."""
        target = domain.webhook_target(url, self.trusted_hosts)
        try:
            addresses = list(dict.fromkeys(info[4][0] for info in resolve(target.host, target.port)))
        except (OSError, UnicodeError):
            addresses = []
        if not target.trusted:
            domain.check_addresses(addresses)
        if not addresses:
            raise domain.RefusedTarget(problems.HOST_UNRESOLVED())
        return target, addresses[0]

    def post(self, notice: dict, webhook: dict) -> None:
        """POSTs the signed notice to the checked address, with the host's name in Host and TLS's SNI (its
        certificate checked against that name); a redirect is not followed but fails the delivery."""
        target, address = self.aim(webhook["url"])
        body = json.dumps(webhook_payload(notice), ensure_ascii=False, sort_keys=True).encode()
        tls = {"server_hostname": target.host, "assert_hostname": target.host, "cert_reqs": "CERT_REQUIRED",
               "ca_certs": certifi.where()} if target.scheme == "https" else {}
        pool_type = urllib3.HTTPSConnectionPool if tls else urllib3.HTTPConnectionPool
        with pool_type(address, target.port, timeout=WEBHOOK_TIMEOUT_SECONDS, retries=False, **tls) as pool:
            answer = pool.urlopen("POST", target.path, body=body, redirect=False, retries=False,
                                  assert_same_host=False, headers={
                                      "Host": target.host_header, "Content-Type": "application/json",
                                      domain.SIGNATURE_HEADER: domain.signature(webhook["secret"], body),
                                      "X-TruStone-Notice": notice["_id"]})
        if not 200 <= answer.status < 300:
            raise ConnectionError(f"{target.host_header} answered {answer.status}")


def resolve(host: str, port: int) -> list[tuple]:
    """socket.getaddrinfo for TCP; tests replace it to make a name resolve where they need."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def webhook_payload(notice: dict) -> dict:
    shown = domain.shown(notice)
    shown.pop("deliveries")
    return {**shown, "created_at": notice["created_at"].isoformat(),
            "recipient": {"role": notice["recipient_role"], "id": notice["recipient_id"]}}


class ChannelsProvider(DependencyProvider):
    """Injects the Channels."""

    def setup(self):
        self.channels = Channels(settings.of(self.container))

    def get_dependency(self, worker_ctx):
        return self.channels


class ScoringClient(RpcClient):
    """The scoring service over RPC. Its calendars change only when a framework file is corrected, yet every
    company page and standings query needs them: each instance keeps them for CALENDARS_KEPT_SECONDS instead
    of asking on every view (a corrected date reaches the notices within that time)."""

    CALENDARS_KEPT_SECONDS = 30.0

    def __init__(self):
        super().__init__("scoring")
        self.calendars: tuple[float, list[dict]] | None = None  # (when asked, on the monotonic clock; answer)

    def get_dependency(self, worker_ctx):
        return _Scoring(self.proxy(worker_ctx), self)


class _Scoring:
    def __init__(self, proxy, client: ScoringClient):
        self._proxy, self._client = proxy, client

    def list_calendars(self) -> list[dict]:
        kept = self._client.calendars
        if kept is None or time.monotonic() - kept[0] > self._client.CALENDARS_KEPT_SECONDS:
            kept = self._client.calendars = (time.monotonic(), self._proxy.list_calendars())
        return kept[1]

    def __getattr__(self, name):  # every other call goes to scoring as it is
        return getattr(self._proxy, name)
