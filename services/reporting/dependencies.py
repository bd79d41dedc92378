"""Storage of the reporting service: per covenant year, the summed counters and each company's
contribution, in one document so that a contribution and the sums change in one atomic update; members
and contracting authorities likewise in one participation document."""
from __future__ import annotations

from pathlib import Path

import yaml
from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError

from common import errors, settings
from common.mongo import Repository
from services.reporting.domain import Disclosure, difference

MAX_ATTEMPTS = 50
TARGETS_FILE = Path(__file__).resolve().parent / "targets.yaml"


class SectorStore(Repository):

    def __init__(self, db):
        super().__init__(db)
        self.figures = db.sector_figures

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
