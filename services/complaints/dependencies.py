"""What the complaints service keeps, in its own database: every case as its changes (each change one
document, written once, with the event that announces it: an outbox), the attachments (GridFS), the
commission's members, the filings per address (to limit them: a mark of the address under a random key of
the day, and the hour, never the address or the moment), the follow-up codes tried per case and address (its
mark, and the moment), and those keys of the day (sealed, in a collection of their own, deleted once no mark
made with them can count: common.network.DayKeys). Personal data and attachments are
sealed at rest, without the metadata files carry (common.cleaning).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import errors, settings
from common.events import Event
from common.mongo import Files, Index, Repository
from common.outbox import Kept, Outbox
from common.sealing import Sealer
from services.complaints.domain import Procedure, load_procedure

MAX_CHANGE_ATTEMPTS = 10


class CaseStore(Repository):

    def __init__(self, db):
        super().__init__(db)
        self.changes = db.case_changes
        self.counters = db.counters
        self.filings = db.filings
        self.follow_up_attempts = db.follow_up_attempts
        self.mark_keys = db.mark_keys
        self.commission = db.commission_members
        self.members = db.members
        self.warnings = db.time_limit_warnings
        self.readings = db.identity_readings
        self.files = Files(db, "attachments")  # GridFS
        self._changes_outbox = Outbox(self.changes)
        self._warnings_outbox = Outbox(self.warnings)
        self.outboxes = [self._changes_outbox, self._warnings_outbox]

    INDEXES = {
        # a change's number in its case is taken once: two steps at once cannot both be the next
        "case_changes": (Index.on("number", "seq", unique=True), Index.on("filed.company_id", "seq"),
                         Index.on("seq", ("at", DESCENDING)), Index(Outbox.INDEX_KEYS)),
        "time_limit_warnings": (Index(Outbox.INDEX_KEYS),),
        "filings": (Index.on("mark", "hour"), Index.on("expires_at", expire_after_seconds=0)),
        "follow_up_attempts": (Index.on("number", "mark", "at"), Index.on("expires_at", expire_after_seconds=0)),
        "mark_keys": (Index.on("expires_at", expire_after_seconds=0),),
        "identity_readings": (Index.on(("at", DESCENDING)), Index.on("number", ("at", DESCENDING))),
    }

    # --- cases --------------------------------------------------------------------------------------

    def next_number(self, year: int) -> int:
        """The next case number of a calendar year (one atomic increment)."""
        counter = self.counters.find_one_and_update({"_id": f"cases:{year}"}, {"$inc": {"last": 1}}, upsert=True,
                                                    return_document=ReturnDocument.AFTER)
        return counter["last"]

    def add_change(self, number: str, change: dict, event: Event | None) -> Kept | None:
        """Appends a change to a case, numbered after the last one (a race is decided by the unique (case,
        seq) key: the loser reads again and takes the next number). Returns its kept event, if it has one."""
        for _ in range(MAX_CHANGE_ATTEMPTS):
            last = self.changes.find_one({"number": number}, {"seq": 1}, sort=[("seq", DESCENDING)])
            seq = (last["seq"] if last else 0) + 1
            document_id = f"{number}:{seq}"
            stored = {"_id": document_id, "number": number, "seq": seq, **change}
            stored.update(Outbox.fields(event) if event else {"published": True})
            try:
                self.changes.insert_one(stored)
            except DuplicateKeyError:
                continue
            return Kept(self._changes_outbox, document_id, event) if event else None
        raise errors.Unavailable("Too many changes to this case at once; try again.")

    def replayable(self) -> Iterator[Event]:
        """The events consumers rebuild from, as they were first sent: every change of every case that was
        announced (its case_received or case_moved), oldest first, then every time-limit warning."""
        for outbox in (self._changes_outbox, self._warnings_outbox):
            for document in outbox.collection.find({"event": {"$exists": True}}, {"event": 1},
                                                   sort=[("stored_at", ASCENDING)]):
                yield outbox.kept(document).event

    def changes_of(self, number: str) -> list[dict]:
        return list(self.changes.find({"number": number}, sort=[("seq", ASCENDING)]))

    def numbers(self, company_id: str | None = None) -> list[str]:
        """Every case's number (or those about one company), newest first."""
        selector = {"seq": 1}
        if company_id:
            selector["filed.company_id"] = company_id
        return [each["number"] for each in self.changes.find(selector, {"number": 1}, sort=[("at", DESCENDING)])]

    # --- attachments --------------------------------------------------------------------------------

    def add_attachment(self, number: str, content: bytes, content_type: str) -> str:
        return self.files.put(content, content_type, case=number)

    def attachment(self, number: str, attachment_id: str) -> tuple[bytes, str] | None:
        return self.files.get(attachment_id, case=number)

    # --- time limits --------------------------------------------------------------------------------

    def warn_once(self, number: str, seq: int, event: Event) -> Kept | None:
        """Records that the commission is told a case's time limit is near, once per state of the case."""
        warning_id = f"{number}:{seq}"
        try:
            self.warnings.insert_one({"_id": warning_id, "number": number, "seq": seq, **Outbox.fields(event)})
        except DuplicateKeyError:
            return None
        return Kept(self._warnings_outbox, warning_id, event)

    # --- the commission and filings -----------------------------------------------------------------

    def register_commission_member(self, member: dict, seated: bool = True) -> None:
        """Who a member of the commission is, and whether it sits on it. A seat awaiting the chair's
        confirmation never undoes a confirmation heard first (the two events travel on their own queues)."""
        if seated:
            update = {"$set": {**member, "seated": True}}
        else:
            update = {"$set": member, "$setOnInsert": {"seated": False}}
        self.commission.update_one({"_id": member["id"]}, update, upsert=True)

    def commission_member(self, member_id: str) -> dict | None:
        return self.commission.find_one({"_id": member_id})

    def register_member(self, company: dict) -> None:
        self.members.update_one({"_id": company["id"]}, {"$set": {"name": company["name"]}}, upsert=True)

    def is_member(self, company_id: str) -> bool:
        return self.members.find_one({"_id": company_id}, {"_id": 1}) is not None

    # --- who read a filer's identity (the chair's trail) ---------------------------------------------

    def record_identity_reading(self, number: str, at: datetime, by: dict, read: list[str]) -> None:
        # an ObjectId grows with each insert: readings at one instant keep the order they were made in
        self.readings.insert_one({"_id": ObjectId(), "number": number, "at": at, "by": by, "read": read})

    def identity_readings(self, number: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        """The readings, newest first (of one case, or of every case), a page of them and how many in all."""
        selector = {"number": number} if number else {}
        total = self.readings.count_documents(selector)
        found = self.readings.find(selector, {"_id": 0}, sort=[("at", DESCENDING), ("_id", DESCENDING)],
                                   skip=skip, limit=limit)
        return list(found), total

    # Filings are limited by real time (the use case is given it), as their expiry in MongoDB runs. A filing
    # is kept as its address's mark (a keyed hash under the day's key, network.DayKeys) and the hour it was
    # made in.

    def record_filing(self, mark: str, hour: datetime) -> str:
        """Records a filing (before it is checked against the limit); returns its id (random: no order)."""
        filing_id = uuid.uuid4().hex
        self.filings.insert_one({"_id": filing_id, "mark": mark, "hour": hour,
                                 "expires_at": hour + timedelta(days=1, hours=1)})
        return filing_id

    def forget_filing(self, filing_id: str) -> None:
        self.filings.delete_one({"_id": filing_id})

    def filings_since(self, marks: list[str], since: datetime, besides: str) -> list[datetime]:
        """The hours in which an address (any of its `marks`) filed since `since`, besides the filing
        `besides`."""
        hour = since.replace(minute=0, second=0, microsecond=0)
        return [each["hour"] for each in self.filings.find({"mark": {"$in": marks}, "hour": {"$gte": hour}})
                if each["_id"] != besides]

    # Follow-up codes tried per case number and address (its mark: never the address), by real time.

    def record_follow_up_attempt(self, number: str, mark: str, at: datetime) -> str:
        attempt_id = uuid.uuid4().hex
        self.follow_up_attempts.insert_one({"_id": attempt_id, "number": number, "mark": mark, "at": at,
                                            "expires_at": at + timedelta(hours=2)})
        return attempt_id

    def forget_follow_up_attempt(self, attempt_id: str) -> None:
        self.follow_up_attempts.delete_one({"_id": attempt_id})

    def count_follow_up_attempts(self, number: str, since: datetime) -> int:
        """How many codes were tried for a case since `since`, from anywhere (counted, not read)."""
        return self.follow_up_attempts.count_documents({"number": number, "at": {"$gte": since}})

    def follow_up_attempts_since(self, number: str, since: datetime, besides: str, marks: list[str]) -> list[datetime]:
        """When codes were tried for a case since `since` from an address (any of its `marks`), besides the
        attempt `besides`."""
        selector = {"number": number, "mark": {"$in": marks}, "at": {"$gte": since}}
        return [each["at"] for each in self.follow_up_attempts.find(selector, {"at": 1}) if each["_id"] != besides]

    # The keys of the day the marks are made with (common.network.DayKeys): sealed, one per day, deleted
    # once no mark made with them can count (here as well as by MongoDB's expiry, which runs once a minute).

    def day_key(self, day: str) -> str | None:
        found = self.mark_keys.find_one({"_id": day})
        return found["key"] if found else None

    def keep_day_key(self, day: str, sealed: str, expires_at: datetime) -> str:
        """Keeps the day's key unless another instance kept one first; returns the one kept."""
        try:
            self.mark_keys.insert_one({"_id": day, "key": sealed, "expires_at": expires_at})
            return sealed
        except DuplicateKeyError:
            return self.day_key(day)

    def replace_day_key(self, day: str, old: str, sealed: str) -> str | None:
        """Replaces a day's key the calling instance cannot open (unless another replaced it first)."""
        self.mark_keys.update_one({"_id": day, "key": old}, {"$set": {"key": sealed}})
        return self.day_key(day)

    def forget_day_keys(self, now: datetime) -> None:
        self.mark_keys.delete_many({"expires_at": {"$lte": now}})


class SealerProvider(DependencyProvider):
    def setup(self):
        self.sealer = Sealer(settings.of(self.container).complaints_secret_key, setting="COMPLAINTS_SECRET_KEY",
                             without_key="what was sealed before a restart cannot be read after it")

    def get_dependency(self, worker_ctx):
        return self.sealer


class ProcedureFile(DependencyProvider):
    """The procedure, read and validated when the service starts: a broken file stops it."""

    def setup(self):
        self.procedure: Procedure = load_procedure()

    def get_dependency(self, worker_ctx):
        return self.procedure
