"""Storage of the reporting service: per covenant year, each company's contribution (a document of its
own) and the summed counters, split over a few shard documents; members and contracting authorities
likewise under "participation". Beside them the gazetteer of quarry
regions (seeded from gazetteer.yaml, extended by the secretariat) and the region names nobody knew, each
kept with the event that alerts the secretariat to it."""
from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import errors, places, settings
from common.events import Event
from common.mongo import Index, Repository
from common.outbox import Kept, Outbox
from services.reporting.domain import (PARTICIPATION, Disclosure, Gazetteer, Place, Region, StateName,
                                       difference, key, state_name_id, summed)

MAX_ATTEMPTS = 50
# The sums of a year are split over this many documents (a contributor's shard by a hash of its id): no one
# document grows with the number of companies or takes every update of a year.
SHARDS = 16
# How many of its latest changes a shard remembers, to add each once when a crash left one half done;
# the next write of the contributor or the timer a few seconds later finishes it, well within this many.
RECENT_CHANGES = 1000
REGION_PREFIX = key("region") + ":"
TARGETS_FILE = Path(__file__).resolve().parent / "targets.yaml"
GAZETTEER_FILE = Path(__file__).resolve().parent / "gazetteer.yaml"


def seed_regions() -> list[Region]:
    """The regions gazetteer.yaml names: {country: {state code or "-": [{name, variants}]}}."""
    data = yaml.safe_load(GAZETTEER_FILE.read_text()) or {}
    return [Region(country, None if state == "-" else state, each["name"], tuple(each.get("variants") or ()))
            for country, states in data.items() for state, regions in states.items() for each in regions]


def region_id(country: str, state: str | None, name: str) -> str:
    return key("region", country, state or "", places.comparison_form(name))


class SectorStore(Repository):
    INDEXES = {"place_names": (Index(Outbox.INDEX_KEYS),),
               "contributions": (Index.on("has_regions", "figures"), Index.on("pending_since"),
                                 Index.on("figures", "unreleased")),
               "editions": (Index.on("covenant_year", "number", unique=True),),
               "proofs": (Index.on("covenant_year", ("requested_at", -1)), Index.on("state", "until"))}

    def __init__(self, db):
        super().__init__(db)
        self.contributions = db.contributions   # one per contributor to a year's figures (or participation)
        self.shards = db.sector_shards          # the sums, SHARDS documents per year
        self.regions = db.regions              # the gazetteer: one document per known region
        self.revisions = db.gazetteer_revision  # one document: how often the gazetteer changed
        self.state_names = db.state_names      # the gazetteer's state spellings the secretariat placed
        self.place_names = db.place_names      # names nobody knew when a company first used them
        self.editions = db.editions            # released editions: frozen copies of a year's public figures
        self.release_dates = db.release_dates  # per year, when editions are scheduled (from the frameworks)
        self.release_leases = db.release_leases  # one release of a year at a time
        self.proofs = db.proofs                # figures checks run in the background, and their results
        self.outboxes = [Outbox(self.place_names)]
        self._gazetteer: Gazetteer | None = None
        self._shards_made: set[str] = set()

    # --- the gazetteer ------------------------------------------------------------------------------

    def gazetteer(self) -> Gazetteer:
        """The gazetteer as it stands (read again only when its revision changed)."""
        found = self.revisions.find_one({"_id": "gazetteer"})
        if found is None:
            self._seed()
            found = self.revisions.find_one({"_id": "gazetteer"})
        if self._gazetteer is None or self._gazetteer.revision != found["revision"]:
            self._gazetteer = Gazetteer([Region(each["country"], each["state"], each["name"], tuple(each["variants"]))
                                         for each in self.regions.find({}, sort=[("_id", 1)])], found["revision"],
                                        [StateName(each["country"], each["name"], each["state"])
                                         for each in self.state_names.find({}, sort=[("_id", 1)])])
        return self._gazetteer

    def _seed(self) -> None:
        # Idempotent: several instances starting at once insert the same documents.
        for region in seed_regions():
            self.regions.update_one({"_id": region_id(region.country, region.state, region.name)},
                                    {"$setOnInsert": {"country": region.country, "state": region.state,
                                                      "name": region.name, "variants": list(region.variants)}},
                                    upsert=True)
        try:
            self.revisions.update_one({"_id": "gazetteer"}, {"$setOnInsert": {"revision": 0}}, upsert=True)
        except DuplicateKeyError:
            pass

    def add_region(self, region: Region) -> int:
        """Adds a region, or variants to a known one; returns the gazetteer's new revision."""
        self.regions.update_one({"_id": region_id(region.country, region.state, region.name)},
                                {"$setOnInsert": {"country": region.country, "state": region.state,
                                                  "name": region.name},
                                 "$addToSet": {"variants": {"$each": list(region.variants)}}}, upsert=True)
        return self._revised()

    def add_state_name(self, name: StateName) -> int:
        """Places a state spelling; returns the gazetteer's new revision."""
        self.state_names.update_one({"_id": state_name_id(name.country, name.name)},
                                    {"$set": {"country": name.country, "name": name.name, "state": name.state}},
                                    upsert=True)
        return self._revised()

    def _revised(self) -> int:
        changed = self.revisions.find_one_and_update({"_id": "gazetteer"}, {"$inc": {"revision": 1}},
                                                     upsert=True, return_document=ReturnDocument.AFTER)
        return changed["revision"]

    def recount_due(self) -> bool:
        """Whether the gazetteer changed since the last recount finished (one may have been cut short)."""
        found = self.revisions.find_one({"_id": "gazetteer"})
        return found is not None and found.get("recounted", 0) < found["revision"]

    def recounted(self, revision: int) -> None:
        self.revisions.update_one({"_id": "gazetteer"}, {"$max": {"recounted": revision}})

    # --- names nobody knew --------------------------------------------------------------------------

    def name_recorded(self, name_key: str) -> bool:
        return self.place_names.count_documents({"_id": name_key}, limit=1) > 0

    def record_name(self, name_key: str, name: dict, covenant_year: int, event: Event) -> Kept | None:
        """Keeps a name nobody knew (`name`: its kind, region or state, country, state and region) with the
        event that alerts the secretariat; None when it was recorded meanwhile."""
        try:
            self.place_names.insert_one({"_id": name_key, **name, "covenant_year": covenant_year,
                                         **Outbox.fields(event)})
        except DuplicateKeyError:
            return None
        return Kept(self.outboxes[0], name_key, event)

    def named_places(self, keys) -> dict[str, Place]:
        """Names recorded for unknown regions, by their keys."""
        return {each["_id"]: Place(each["_id"], each["country"], each["state"], each["region"], False)
                for each in self.place_names.find({"_id": {"$in": list(keys)}})}

    def unknown_names(self) -> list[dict]:
        return [{"key": each["_id"], "kind": each.get("kind", "region"), "country": each["country"],
                 "state": each["state"], "region": each["region"], "covenant_year": each["covenant_year"],
                 "first_seen_at": each["stored_at"]}
                for each in self.place_names.find({}, sort=[("stored_at", 1)])]

    # --- contributions and the sums they make --------------------------------------------------------

    def company_contributions(self):
        """(year, contributor, ordinal, counters) of every contribution that counts quarry regions."""
        for each in self.contributions.find({"has_regions": True, "figures": {"$ne": PARTICIPATION}}):
            yield each["figures"], each["contributor"], list(each["ordinal"]), each["counters"]

    def apply(self, document_id, contributor_id: str, ordinal: list[int], counters: dict[str, int],
              event_id: str) -> bool:
        """Replaces a contributor's contribution to the figures `document_id` (a year, or participation)
        with `counters`, unless the same or a newer one is in; returns whether anything changed.

        The contribution is its own document, replaced by compare-and-set on the id of the write it
        replaces (the loser of two racing versions reads again), and it keeps the difference it makes to
        the sums as a pending change until one of the year's shards has added it: a redelivered event finds
        itself applied, and a change a crash left half done is finished by the next write of the same
        contributor or by `complete_pending`, once (the shard remembers the changes it added).
        """
        contribution_id = f"{document_id}:{contributor_id}"
        for _ in range(MAX_ATTEMPTS):
            old = self.contributions.find_one({"_id": contribution_id})
            if old and old.get("pending"):
                self._complete(old)
            if old and list(old["ordinal"]) >= list(ordinal):
                return False
            changes = difference(counters, old["counters"] if old else {})
            pending = {"change": uuid.uuid4().hex, "changes": changes} if changes else None
            released = old.get("released") if old else None  # as the latest edition holds it (None: in none)
            document = {"_id": contribution_id, "figures": document_id, "contributor": contributor_id,
                        "ordinal": list(ordinal), "counters": counters, "event_id": event_id,
                        "write_id": uuid.uuid4().hex,  # what the next write compares-and-sets on
                        "has_regions": any(name.startswith(REGION_PREFIX) for name in counters),
                        "released": released, "unreleased": counters != (released or {}),
                        "pending": pending, "pending_since": datetime.now(timezone.utc) if pending else None}
            if old is None:
                try:
                    self.contributions.insert_one(document)
                except DuplicateKeyError:  # another version of the contributor came first
                    continue
            elif not self.contributions.replace_one({"_id": contribution_id, "write_id": old["write_id"]},
                                                    document).matched_count:
                continue
            if pending:
                self._complete(document)
            return True
        raise errors.Unavailable("Too much contention on the sector figures; the event will be retried.")

    def _complete(self, contribution: dict) -> None:
        """Adds a contribution's pending change to its shard of the figures, once."""
        pending = contribution["pending"]
        shard = f"{contribution['figures']}:{zlib.crc32(contribution['contributor'].encode()) % SHARDS}"
        for _ in range(2):
            if shard not in self._shards_made:
                try:  # by _id alone: two writers racing to make it both succeed (one inserts, one matches)
                    self.shards.update_one({"_id": shard}, {"$setOnInsert": {
                        "figures": contribution["figures"], "counters": {}, "recent": []}}, upsert=True)
                except DuplicateKeyError:
                    pass
                self._shards_made.add(shard)
            added = self.shards.update_one(
                {"_id": shard, "recent": {"$ne": pending["change"]}},  # matches nothing once it was added
                {"$inc": {f"counters.{name}": change for name, change in pending["changes"].items()},
                 "$push": {"recent": {"$each": [pending["change"]], "$slice": -RECENT_CHANGES}}})
            if added.matched_count or self.shards.find_one({"_id": shard}, {"_id": 1}) is not None:
                break  # added now, or before (the shard remembers it)
            self._shards_made.discard(shard)  # the shard is gone (a database emptied to be rebuilt)
        self.contributions.update_one({"_id": contribution["_id"], "pending.change": pending["change"]},
                                      {"$set": {"pending": None, "pending_since": None}})

    def complete_pending(self, older_than_seconds: float) -> int:
        """Finishes the changes a crash left between a contribution and its shard; returns how many."""
        before = datetime.now(timezone.utc) - timedelta(seconds=older_than_seconds)
        left = list(self.contributions.find({"pending_since": {"$lte": before}}))
        for each in left:
            self._complete(each)
        return len(left)

    def counters(self, document_id) -> dict[str, int] | None:
        """The sums of the figures `document_id`: its shards added up (None when nothing was counted)."""
        shards = list(self.shards.find({"_id": {"$in": [f"{document_id}:{n}" for n in range(SHARDS)]}},
                                       {"counters": 1}))
        if not shards:
            return None
        return summed(each.get("counters", {}) for each in shards)


    # --- editions ------------------------------------------------------------------------------------

    def _changed_since_release(self, document_id, projection: dict | None = None) -> list[dict]:
        """The contributions of a year that differ from the latest edition, or whose change is not yet in
        the sums (a contribution stored before editions existed has no mark: it differs)."""
        return list(self.contributions.find(
            {"figures": document_id, "$or": [{"unreleased": {"$ne": False}}, {"pending": {"$ne": None}}]},
            projection, sort=[("_id", 1)]))

    def unreleased_contributors(self, document_id) -> list[str]:
        """Who contributed what the latest edition does not hold (a contribution stored before editions
        existed has no mark: it differs); in no order, only the contributor read (thousands, before a year's
        first edition)."""
        return [each["contributor"] for each in self.contributions.find(
                    {"figures": document_id, "unreleased": {"$ne": False}}, {"_id": 0, "contributor": 1})]

    def release_snapshot(self, document_id) -> "Snapshot":
        """The year's sums with exactly the contributions they hold that differ from the latest edition,
        read so that no change slips between the two: the changed contributions are read before and after
        the sums, and read again until they agree and none has a change the sums do not hold yet."""
        for _ in range(MAX_ATTEMPTS):
            before = self._changed_since_release(document_id)
            if any(each.get("pending") for each in before):
                for each in before:
                    if each.get("pending"):
                        self._complete(each)
                continue
            sums, participation = self.counters(document_id) or {}, self.counters(PARTICIPATION) or {}
            after = self._changed_since_release(document_id)
            if [(each["_id"], each["write_id"]) for each in after] == [(each["_id"], each["write_id"]) for each in before]:
                return Snapshot(sums, participation, [(each["_id"], each["contributor"], each["counters"])
                                                      for each in after if each.get("unreleased", True)])
        raise errors.Unavailable("The figures are changing too fast to release an edition now; try again in a moment.")

    def mark_released(self, snapshot: "Snapshot") -> None:
        """Records that the edition holds each changed contribution as the snapshot read it. A write id of its
        own, so that an assessment applied meanwhile reads the mark again rather than write over it."""
        for contribution_id, _, counters in snapshot.changed:
            for _ in range(MAX_ATTEMPTS):
                current = self.contributions.find_one({"_id": contribution_id}, {"write_id": 1, "counters": 1})
                if current is None or self.contributions.update_one(
                        {"_id": contribution_id, "write_id": current["write_id"]},
                        {"$set": {"released": counters, "unreleased": current["counters"] != counters,
                                  "write_id": uuid.uuid4().hex}}).matched_count:
                    break

    def lease_release(self, covenant_year: int, seconds: int = 60) -> str | None:
        """One release of a year at a time (a lease a crashed releaser leaves for `seconds`); its holder's
        token, or None while another holds it."""
        holder, now = uuid.uuid4().hex, datetime.now(timezone.utc)
        try:
            self.release_leases.find_one_and_update(
                {"_id": covenant_year, "until": {"$lt": now}},
                {"$set": {"until": now + timedelta(seconds=seconds), "holder": holder}}, upsert=True)
        except DuplicateKeyError:
            return None
        return holder

    def end_lease(self, covenant_year: int, holder: str) -> None:
        self.release_leases.delete_one({"_id": covenant_year, "holder": holder})

    # --- figures checks (proofs) run in the background --------------------------------------------------

    def add_proof(self, covenant_year: int, requested_by: str, at: datetime) -> dict:
        """A check of the year's figures to run, unless one is waiting or running: that one."""
        waiting = self.proofs.find_one({"covenant_year": covenant_year, "state": {"$in": ["queued", "running"]}})
        if waiting:
            return waiting
        proof = {"_id": uuid.uuid4().hex, "covenant_year": covenant_year, "state": "queued", "requested_by": requested_by,
                 "requested_at": at, "checked": 0, "until": at, "result": None}
        self.proofs.insert_one(proof)
        return proof

    def take_proof(self, at: datetime, seconds: int) -> dict | None:
        """A waiting check (or one whose runner stopped: its lease ran out), leased to this caller."""
        return self.proofs.find_one_and_update(
            {"state": {"$in": ["queued", "running"]}, "until": {"$lte": at}},
            {"$set": {"state": "running", "until": at + timedelta(seconds=seconds), "checked": 0}},
            sort=[("requested_at", 1)], return_document=ReturnDocument.AFTER)

    def proof_progress(self, proof_id: str, checked: int, at: datetime, seconds: int) -> None:
        self.proofs.update_one({"_id": proof_id}, {"$set": {"checked": checked,
                                                            "until": at + timedelta(seconds=seconds)}})

    def finish_proof(self, proof_id: str, result: dict, at: datetime) -> None:
        self.proofs.update_one({"_id": proof_id}, {"$set": {"state": "done", "result": result, "finished_at": at,
                                                            "checked": result["reports"]}})

    def latest_proof(self, covenant_year: int) -> dict | None:
        return self.proofs.find_one({"covenant_year": covenant_year}, sort=[("requested_at", -1)])

    def latest_edition(self, covenant_year: int, with_figures: bool = False) -> dict | None:
        return self.editions.find_one({"covenant_year": covenant_year}, None if with_figures else {"figures": 0},
                                      sort=[("number", -1)])

    def edition(self, covenant_year: int, number: int) -> dict | None:
        return self.editions.find_one({"covenant_year": covenant_year, "number": number})

    def editions_of(self, covenant_year: int) -> list[dict]:
        return list(self.editions.find({"covenant_year": covenant_year}, {"figures": 0}, sort=[("number", 1)]))

    def add_edition(self, edition: dict) -> None:
        self.editions.insert_one({"_id": f"{edition['covenant_year']}:{edition['number']}", **edition})

    def keep_release_dates(self, dates: dict[int, list]) -> None:
        """The scheduled release dates of every year with a framework (ISO dates), as scoring last told."""
        for year, each in dates.items():
            self.release_dates.update_one({"_id": year}, {"$set": {"dates": each}}, upsert=True)

    def scheduled_years(self) -> list[int]:
        return sorted(each["_id"] for each in self.release_dates.find({}, {"_id": 1}))

    def release_dates_of(self, covenant_year: int) -> list[str]:
        found = self.release_dates.find_one({"_id": covenant_year})
        return found["dates"] if found else []


@dataclass(frozen=True)
class Snapshot:
    """A year's sums and participation as read for an edition, and the contributions (id, contributor,
    counters) in them that differ from the latest edition."""
    sums: dict[str, int]
    participation: dict[str, int]
    changed: list[tuple[str, str, dict]]


class Publication:
    """What the published figures depend on besides the data: the targets and the disclosure rules."""

    def __init__(self, targets: dict, disclosure: Disclosure):
        self.targets = targets
        self.disclosure = disclosure

    def targets_of(self, covenant_year: int) -> dict | None:
        return self.targets.get(covenant_year)


class PublicationRules(DependencyProvider):
    def setup(self):
        configured = settings.of(self.container)
        targets = yaml.safe_load(TARGETS_FILE.read_text()) or {}
        self.publication = Publication(
            {int(year): each for year, each in targets.items()},
            Disclosure.configured(configured))

    def get_dependency(self, worker_ctx):
        return self.publication
