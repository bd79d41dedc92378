"""Storage of the reporting service: per covenant year, the summed counters and each company's
contribution, in one document so that a contribution and the sums change in one atomic update; members
and contracting authorities likewise in one participation document. Beside them the gazetteer of quarry
regions (seeded from gazetteer.yaml, extended by the secretariat) and the region names nobody knew, each
kept with the event that alerts the secretariat to it."""
from __future__ import annotations

from pathlib import Path

import yaml
from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import errors, places, settings
from common.events import Event
from common.mongo import Index, Repository
from common.outbox import Kept, Outbox
from services.reporting.domain import PARTICIPATION, Disclosure, Gazetteer, Place, Region, difference, key

MAX_ATTEMPTS = 50
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
    INDEXES = {"place_names": (Index(Outbox.INDEX_KEYS),)}

    def __init__(self, db):
        super().__init__(db)
        self.figures = db.sector_figures
        self.regions = db.regions              # the gazetteer: one document per known region
        self.revisions = db.gazetteer_revision  # one document: how often the gazetteer changed
        self.place_names = db.place_names      # names nobody knew when a company first used them
        self.outboxes = [Outbox(self.place_names)]
        self._gazetteer: Gazetteer | None = None

    # --- the gazetteer ------------------------------------------------------------------------------

    def gazetteer(self) -> Gazetteer:
        """The gazetteer as it stands (read again only when its revision changed)."""
        found = self.revisions.find_one({"_id": "gazetteer"})
        if found is None:
            self._seed()
            found = self.revisions.find_one({"_id": "gazetteer"})
        if self._gazetteer is None or self._gazetteer.revision != found["revision"]:
            self._gazetteer = Gazetteer([Region(each["country"], each["state"], each["name"], tuple(each["variants"]))
                                         for each in self.regions.find({}, sort=[("_id", 1)])], found["revision"])
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
        changed = self.revisions.find_one_and_update({"_id": "gazetteer"}, {"$inc": {"revision": 1}},
                                                     upsert=True, return_document=ReturnDocument.AFTER)
        return changed["revision"]

    # --- names nobody knew --------------------------------------------------------------------------

    def record_unknown(self, place: Place, covenant_year: int, event: Event) -> Kept | None:
        """Keeps a name the gazetteer does not know with the event that alerts the secretariat; None when
        it was seen before."""
        if self.place_names.find_one({"_id": place.key}, {"_id": 1}) is not None:
            return None
        try:
            self.place_names.insert_one({"_id": place.key, "country": place.country, "state": place.state,
                                         "region": place.region, "covenant_year": covenant_year,
                                         **Outbox.fields(event)})
        except DuplicateKeyError:
            return None
        return Kept(self.outboxes[0], place.key, event)

    def named_places(self, keys) -> dict[str, Place]:
        """Names recorded for unknown regions, by their keys."""
        return {each["_id"]: Place(each["_id"], each["country"], each["state"], each["region"], False)
                for each in self.place_names.find({"_id": {"$in": list(keys)}})}

    def unknown_names(self) -> list[dict]:
        return [{"key": each["_id"], "country": each["country"], "state": each["state"],
                 "region": each["region"], "covenant_year": each["covenant_year"],
                 "first_seen_at": each["stored_at"]}
                for each in self.place_names.find({}, sort=[("stored_at", 1)])]

    def company_contributions(self):
        """(year, contributor, ordinal, counters) of every contribution that counts quarry regions."""
        for document in self.figures.find({"_id": {"$ne": PARTICIPATION}}, {"contributions": 1}):
            for contributor, each in (document.get("contributions") or {}).items():
                if any(name.startswith("region:") for name in each["counters"]):
                    yield document["_id"], contributor, list(each["ordinal"]), each["counters"]

    def apply(self, document_id, contributor_id: str, ordinal: list[int], counters: dict[str, int],
              event_id: str) -> bool:
        """Replaces a contributor's contribution with `counters`, unless the same or a newer one is in.

        Compare-and-set on the event id of the contribution being replaced: when two events of one
        contributor race, the loser reads again and retries. The event id is stored with the change, so a
        redelivered event finds itself applied and changes nothing. Returns whether anything changed.
        """
        slot = f"contributions.{contributor_id}"
        for _ in range(MAX_ATTEMPTS):
            document = self.figures.find_one({"_id": document_id}, {slot: 1}) or {}
            old = document.get("contributions", {}).get(contributor_id)
            if old and list(old["ordinal"]) >= list(ordinal):
                return False
            changes = difference(counters, old["counters"] if old else {})
            update = {"$set": {slot: {"ordinal": list(ordinal), "counters": counters, "event_id": event_id}}}
            if changes:
                update["$inc"] = {f"counters.{name}": change for name, change in changes.items()}
            if old:
                selector = {"_id": document_id, f"{slot}.event_id": old["event_id"]}
            else:
                selector = {"_id": document_id, slot: {"$exists": False}}
            try:
                result = self.figures.update_one(selector, update, upsert=old is None)
            except DuplicateKeyError:  # the document appeared meanwhile
                continue
            if result.matched_count or result.upserted_id is not None:
                return True
        raise errors.Unavailable("Too much contention on the sector figures; the event will be retried.")

    def counters(self, document_id) -> dict[str, int] | None:
        document = self.figures.find_one({"_id": document_id}, {"counters": 1})
        return None if document is None else {name: value for name, value in document.get("counters", {}).items()
                                               if value}


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
            Disclosure(min_companies=configured.min_companies_per_cell,
                       min_region_companies=configured.min_companies_per_region))

    def get_dependency(self, worker_ctx):
        return self.publication
