"""Storage of the notification service: notices, keyed by what they are about."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from common.mongo import Repository
from services.notification.domain import Notice


class NoticeStore(Repository):

    def __init__(self, db):
        super().__init__(db)
        self.notices = db.notices

    def ensure_indexes(self):
        self.notices.create_index([("recipient_role", ASCENDING), ("recipient_id", ASCENDING),
                                   ("created_at", DESCENDING)])

    def add(self, notice: Notice) -> bool:
        """Stores a notice once; False when a notice with its key exists already."""
        try:
            self.notices.insert_one(notice.to_document())
            return True
        except DuplicateKeyError:
            return False

    def inbox(self, role: str, recipient_id: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        selector = {"recipient_role": role, "recipient_id": recipient_id}
        total = self.notices.count_documents(selector)
        found = self.notices.find(selector, sort=[("created_at", DESCENDING), ("_id", ASCENDING)],
                                  skip=skip, limit=limit)
        return list(found), total
