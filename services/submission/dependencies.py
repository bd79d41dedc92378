"""Storage of the submission service: members with token hashes, reports and their versions.

Each stored change that others must hear of keeps its event in the same document (an outbox), written in
the same single-document operation, so nothing is announced that was not stored and nothing stored goes
unannounced: the relay publishes whatever a crash left behind.
"""
from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import errors, text
from common.vocabulary import AUTHORITY, COMMISSION, COMPANY
from common.events import Event
from common.mongo import Files, Index, Repository
from common.outbox import Kept, Outbox

MAX_VERSION_ATTEMPTS = 10


@dataclass(frozen=True)
class StoredVersion:
    report_id: str
    version: int
    previous_version: int | None
    kept: Kept


class SubmissionStore(Repository):

    def __init__(self, db):
        super().__init__(db)
        self.companies = db.companies
        self.authorities = db.authorities
        self.reports = db.reports
        self.versions = db.report_versions
        self.commission = db.commission_members
        self.seatings = db.commission_seatings
        self.replacements = db.token_replacements
        self.files = Files(db, "report_files")  # GridFS: the files sent with reports
        self._members = {COMPANY: self.companies, AUTHORITY: self.authorities, COMMISSION: self.commission}
        self._outbox_of = {role: Outbox(collection) for role, collection in self._members.items()}
        self._versions_outbox = Outbox(self.versions)
        self._seatings_outbox = Outbox(self.seatings)
        self._replacements_outbox = Outbox(self.replacements)
        self.outboxes = [*self._outbox_of.values(), self._seatings_outbox, self._replacements_outbox,
                         self._versions_outbox]

    INDEXES = {
        # a token names one member; a company has one report per year; a version number is taken once
        # a name's skeleton (common.text): a look-alike of a member's name is found without reading every name
        "companies": (Index.on("token_hash", unique=True), Index.on("name_skeleton"), Index(Outbox.INDEX_KEYS)),
        "authorities": (Index.on("token_hash", unique=True), Index.on("name_skeleton"), Index(Outbox.INDEX_KEYS)),
        "commission_members": (Index.on("token_hash", unique=True), Index.on("seat"), Index.on("name_skeleton"),
                               Index(Outbox.INDEX_KEYS)),
        # a seat is confirmed once (its member's id is the key)
        "commission_seatings": (Index(Outbox.INDEX_KEYS),),
        "token_replacements": (Index(Outbox.INDEX_KEYS),),
        "reports": (Index.on("company_id", "covenant_year", unique=True),),
        "report_versions": (Index.on("report_id", "version", unique=True), Index(Outbox.INDEX_KEYS)),
        # a company's files no version named yet (counted, at most 50); anyone's a day old, dropped (GridFS's
        # own collection of file records)
        "report_files.files": (Index.on("company_id", "bound", "uploaded_at"), Index.on("bound", "uploaded_at")),
    }

    # --- members ------------------------------------------------------------------------------------

    def add_member(self, role: str, member: dict, event: Event) -> Kept:
        """Stores a company or authority (by its caller role) with its event."""
        outbox = self._outbox_of[role]
        outbox.collection.insert_one({"_id": member["id"], **member, "name_skeleton": text.skeleton(member["name"]),
                                      **Outbox.fields(event)})
        return Kept(outbox, member["id"], event)

    def look_alike(self, name: str) -> str | None:
        """The name of a member of any kind (company, authority, the commission's) that looks the same as
        `name`, written the same or otherwise, else None."""
        for collection in (self.companies, self.authorities, self.commission):
            found = collection.find_one({"name_skeleton": text.skeleton(name)}, {"name": 1})
            if found:
                return found["name"]
        return None

    def ensure_indexes(self) -> None:
        super().ensure_indexes()
        # Members registered before names had their skeleton kept get it once.
        for collection in (self.companies, self.authorities, self.commission):
            for each in collection.find({"name_skeleton": {"$exists": False}}, {"name": 1}):
                collection.update_one({"_id": each["_id"]}, {"$set": {"name_skeleton": text.skeleton(each["name"])}})

    def companies_list(self) -> list[dict]:
        return list(self.companies.find({}, sort=[("registered_at", ASCENDING)]))

    def companies_of(self, ids: list[str], fields: dict | None = None) -> list[dict]:
        """These companies (or only `fields` of them), in registration order."""
        return list(self.companies.find({"_id": {"$in": ids}}, fields, sort=[("registered_at", ASCENDING)]))

    def authorities_list(self) -> list[dict]:
        return list(self.authorities.find({}, sort=[("registered_at", ASCENDING)]))

    def commission_list(self) -> list[dict]:
        return list(self.commission.find({}, sort=[("registered_at", ASCENDING)]))

    def company(self, company_id: str) -> dict | None:
        return self.companies.find_one({"_id": company_id})

    def member(self, role: str, member_id: str) -> dict | None:
        """A company or an authority, by its caller role."""
        return self._members[role].find_one({"_id": member_id})

    def find_member(self, member_id: str) -> tuple[str, dict] | None:
        """A member of any role by its id: its role and record (no token hash), or None."""
        for role, collection in self._members.items():
            found = collection.find_one({"_id": member_id}, {"token_hash": 0, "event": 0, "published": 0,
                                                             "stored_at": 0})
            if found:
                return role, found
        return None

    def replace_token_hash(self, role: str, member_id: str, digest: str, now, event: Event) -> Kept | None:
        """Gives a member a new token hash (the old token stops working) and keeps the event that tells its
        owner. The event is stored first: a process that stops between the two writes leaves a notice of a
        replacement that did not happen (the old code still works), never a replacement nobody is told of.
        None when the member is gone."""
        replacement_id = event.data["replacement_id"]
        self.replacements.insert_one({"_id": replacement_id, "member_id": member_id, "role": role,
                                      "replaced_at": now, **Outbox.fields(event)})
        found = self._members[role].find_one_and_update(
            {"_id": member_id}, {"$set": {"token_hash": digest, "token_replaced_at": now}}, projection={"_id": 1})
        return Kept(self._replacements_outbox, replacement_id, event) if found else None

    def member_by_token_hash(self, digest: str) -> dict | None:
        """The caller a token hash belongs to, as {"role", "id"}, and for a company or an authority its
        registered "name" (never a commission member's: a person's name goes no further than it must). A
        commission seat that waits for the chair's confirmation is no caller (its hash is of a code nobody was
        given, too)."""
        for role, collection in self._members.items():
            found = collection.find_one({"token_hash": digest}, {"token_hash": 1, "awaiting_confirmation": 1,
                                                                 "name": 1})
            if found and hmac.compare_digest(found["token_hash"], digest):
                if found.get("awaiting_confirmation"):
                    return None
                if role in (COMPANY, AUTHORITY):
                    return {"role": role, "id": found["_id"], "name": found.get("name")}
                return {"role": role, "id": found["_id"]}
        return None

    # --- the commission's seats ---------------------------------------------------------------------

    def seated_chair(self) -> dict | None:
        """A chair that sits on the commission, if there is one."""
        return next((each for each in self.commission.find({"seat": "chair"}, {"token_hash": 0})
                     if not each.get("awaiting_confirmation")), None)

    def add_first_chair(self, member: dict, event: Event) -> Kept | None:
        """Stores the chair appointed at deployment (its id is always the same), or None when one was."""
        try:
            return self.add_member(COMMISSION, member, event)
        except DuplicateKeyError:
            return None

    def seat(self, member_id: str, digest: str, chair_id: str, now, event: Event) -> Kept | None:
        """The chair confirms a seat: the member gets its first working token hash. The confirmation, with
        its event, is one document keyed by the member (written once); a confirmation that stopped before
        the member's record changed is finished by the next (its kept event goes out again: consumers drop
        the duplicate). None when the seat no longer waits (another confirmation finished first)."""
        try:
            self.seatings.insert_one({"_id": member_id, "seated_by": chair_id, "seated_at": now,
                                      **Outbox.fields(event)})
            kept = Kept(self._seatings_outbox, member_id, event)
        except DuplicateKeyError:
            kept = self._seatings_outbox.kept(self.seatings.find_one({"_id": member_id}, {"event": 1}))
        done = self.commission.find_one_and_update(
            {"_id": member_id, "awaiting_confirmation": True},
            {"$set": {"token_hash": digest, "seated_at": now, "seated_by": chair_id},
             "$unset": {"awaiting_confirmation": ""}}, projection={"_id": 1})
        return kept if done else None

    # --- reports ------------------------------------------------------------------------------------

    def add_version(self, company_id: str, report: dict, now: datetime,
                    make_event: Callable[[str, int, int | None], Event]) -> StoredVersion:
        """Stores the next version of the company's report for its year, with its event.

        Versions are numbered without gaps: the version document's unique (report, version) key decides
        a race between two concurrent submissions, and the loser takes the next number.
        `make_event(report_id, version, previous_version)` builds the event to keep with it.
        """
        year = report["covenant_year"]
        header = self._report_header(company_id, year, now)
        previous = header.get("latest_version") or None  # the header's count, raised after each version stored
        for attempt in range(MAX_VERSION_ATTEMPTS):
            if attempt:  # the header was behind (a concurrent submission, or a stop before it was raised)
                latest = self.versions.find_one({"report_id": header["_id"]}, {"version": 1},
                                                sort=[("version", DESCENDING)])
                previous = latest["version"] if latest else None
            version = (previous or 0) + 1
            event = make_event(header["_id"], version, previous)
            document_id = f"{header['_id']}:{version}"
            try:
                self.versions.insert_one({
                    "_id": document_id, "report_id": header["_id"], "version": version,
                    "company_id": company_id, "covenant_year": year, "submitted_at": now,
                    "report": report, **Outbox.fields(event),
                })
            except DuplicateKeyError:
                continue
            self.reports.update_one({"_id": header["_id"]},
                                    {"$max": {"latest_version": version}, "$set": {"updated_at": now}})
            return StoredVersion(header["_id"], version, previous, Kept(self._versions_outbox, document_id, event))
        raise errors.Unavailable("Too many concurrent submissions of this report; try again.")

    def _report_header(self, company_id: str, year: int, now: datetime) -> dict:
        selector = {"company_id": company_id, "covenant_year": year}
        found = self.reports.find_one(selector)  # every version after the first: a read, not an upsert
        if found:
            return found
        try:
            return self.reports.find_one_and_update(
                selector,
                {"$setOnInsert": {"_id": uuid.uuid4().hex, "created_at": now, "updated_at": now,
                                  "latest_version": 0}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # a concurrent first submission created it
            return self.reports.find_one(selector)

    def report(self, report_id: str) -> dict | None:
        return self.reports.find_one({"_id": report_id})

    def report_versions(self, report_id: str) -> list[dict]:
        return list(self.versions.find({"report_id": report_id}, sort=[("version", ASCENDING)]))

    def report_list(self, company_id: str | None = None, covenant_year: int | None = None) -> list[dict]:
        selector = {"latest_version": {"$gt": 0}}
        if company_id:
            selector["company_id"] = company_id
        if covenant_year:
            selector["covenant_year"] = covenant_year
        return list(self.reports.find(selector, sort=[("covenant_year", ASCENDING), ("updated_at", ASCENDING)]))

    # --- the files sent with reports (GridFS) ---------------------------------------------------------

    def add_file(self, company_id: str, content: bytes, content_type: str, now: datetime) -> str:
        """Keeps a company's file, bound to no version yet."""
        return self.files.put(content, content_type, company_id=company_id, uploaded_at=now, bound=False,
                              size=len(content))

    def file_described(self, file_id: str, company_id: str) -> dict | None:
        """A company's file as {id, content_type, size} (not its content), or None (another's, or none)."""
        found = self.files.find(file_id, company_id=company_id)
        return None if found is None else {"id": file_id, "content_type": found.metadata["content_type"],
                                           "size": found.length}

    def file_content(self, file_id: str, company_id: str) -> tuple[bytes, str] | None:
        return self.files.get(file_id, company_id=company_id)

    def bind_files(self, file_ids: list[str], company_id: str) -> list[str]:
        """The files a version names are kept as long as the version is (never dropped as unbound); the ids
        of those that could not be bound (another's, or dropped in the meantime)."""
        return [file_id for file_id in file_ids
                if not self.files.update(file_id, {"$set": {"bound": True}}, company_id=company_id,
                                         bound={"$in": [False, True]})]

    def unbound_files(self, company_id: str) -> int:
        """How many of a company's files no version names (yet)."""
        return len(self.files.ids({"company_id": company_id, "bound": False}))

    def files_size(self, company_id: str) -> int:
        """The bytes of all a company's files, sent or not."""
        return self.files.total_size({"company_id": company_id})

    def drop_unbound_files(self, before: datetime) -> int:
        """Drops the files (any company's) uploaded before `before` that no version named; how many."""
        dropped = [file_id for file_id in self.files.ids({"bound": False, "uploaded_at": {"$lt": before}})
                   if self.files.update(file_id, {"$set": {"bound": "dropping"}}, bound=False)]  # unless bound now
        for file_id in dropped:
            self.files.delete(file_id)
        return len(dropped)

    # --- replays ------------------------------------------------------------------------------------

    def replayable(self) -> Iterator[Event]:
        """The events consumers rebuild from, as they were first sent: every registration (companies,
        authorities, commission members, each in the order registered), every seat the chair confirmed,
        every replaced token, then every version of every report as its report_submitted, each report's
        versions oldest first."""
        for role, collection in self._members.items():
            for document in collection.find({}, {"event": 1}, sort=[("registered_at", ASCENDING)]):
                yield self._outbox_of[role].kept(document).event
        for outbox in (self._seatings_outbox, self._replacements_outbox):
            for document in outbox.collection.find({}, {"event": 1}, sort=[("stored_at", ASCENDING)]):
                yield outbox.kept(document).event
        for document in self.versions.find({}, {"event": 1},
                                           sort=[("version", ASCENDING), ("submitted_at", ASCENDING)]):
            yield self._versions_outbox.kept(document).event


class KnownYears(DependencyProvider):
    """The covenant years scoring has confirmed a framework for, remembered by this process."""

    def setup(self):
        self.years: set[int] = set()

    def get_dependency(self, worker_ctx):
        return self.years
