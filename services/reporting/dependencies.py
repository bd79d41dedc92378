"""Storage of the reporting service: per covenant year, the summed counters and each company's
contribution, in one document so that a contribution and the sums change in one atomic update."""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from common import errors
from common.mongo import Repository
from services.reporting.domain import difference

MAX_ATTEMPTS = 50


class SectorStore(Repository):

    def __init__(self, db):
        super().__init__(db)
        self.years = db.sector_years

    def apply(self, covenant_year: int, company_id: str, ordinal: list[int], counters: dict[str, int],
              event_id: str) -> bool:
        """Replaces the company's contribution with `counters`, unless a newer or the same one is applied.

        Compare-and-set on the event id of the contribution being replaced: when two events of a company
        race, the loser reads again and retries. The event id is stored with the change, so a
        redelivered event finds itself applied and changes nothing. Returns whether anything changed.
        """
        slot = f"contributions.{company_id}"
        for _ in range(MAX_ATTEMPTS):
            document = self.years.find_one({"_id": covenant_year}, {slot: 1}) or {}
            old = document.get("contributions", {}).get(company_id)
            if old and list(old["ordinal"]) >= list(ordinal):
                return False
            changes = difference(counters, old["counters"] if old else {})
            update = {"$set": {slot: {"ordinal": list(ordinal), "counters": counters, "event_id": event_id}}}
            if changes:
                update["$inc"] = {f"counters.{name}": change for name, change in changes.items()}
            if old:
                selector = {"_id": covenant_year, f"{slot}.event_id": old["event_id"]}
            else:
                selector = {"_id": covenant_year, slot: {"$exists": False}}
            try:
                result = self.years.update_one(selector, update, upsert=old is None)
            except DuplicateKeyError:  # the year's document appeared meanwhile
                continue
            if result.matched_count or result.upserted_id is not None:
                return True
        raise errors.Unavailable("Too much contention on the sector figures; the event will be retried.")

    def counters(self, covenant_year: int) -> dict[str, int] | None:
        document = self.years.find_one({"_id": covenant_year}, {"counters": 1})
        return None if document is None else document.get("counters", {})
