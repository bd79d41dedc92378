"""Storage and framework data of the scoring service."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from common import errors
from common.mongo import Repository
from common.outbox import Outbox
from services.scoring.domain import Framework, load_frameworks

SHIPPED_FRAMEWORKS = Path(__file__).resolve().parent / "frameworks"
NEWEST_FIRST = [("version", DESCENDING), ("framework_version", DESCENDING)]


class Frameworks:
    def __init__(self, directory: Path):
        self.directory = directory
        self._frameworks = load_frameworks(directory)

    def reload(self) -> None:
        """Reads the files again (a corrected framework); a broken file raises and changes nothing."""
        self._frameworks = load_frameworks(self.directory)

    def get(self, covenant_year: int) -> Framework:
        try:
            return self._frameworks[covenant_year]
        except KeyError:
            known = ", ".join(str(year) for year in sorted(self._frameworks))
            raise errors.NotFound(f"No assessment framework for covenant year {covenant_year} "
                                  f"(frameworks exist for year {known}).") from None

    def calendars(self) -> list[dict]:
        return [{"covenant_year": year, "due_date": each.due_date.isoformat(),
                 "catch_up_date": each.catch_up_date.isoformat()}
                for year, each in sorted(self._frameworks.items())]


class FrameworkFiles(DependencyProvider):
    """The frameworks, read and validated once when the service starts: a broken file stops it."""

    def setup(self):
        directory = self.container.config.get("FRAMEWORKS_DIR") or SHIPPED_FRAMEWORKS
        self.frameworks = Frameworks(Path(directory))

    def get_dependency(self, worker_ctx):
        return self.frameworks


def assessment_id(report_id: str, version: int, framework_version: int) -> str:
    return f"{report_id}:{version}:{framework_version}"


class ScoringStore(Repository):
    """The report versions scoring received, and one assessment per (report, version, framework version)."""

    def __init__(self, db):
        super().__init__(db)
        self.reports = db.reports
        self.assessments = db.assessments
        self.outbox = Outbox(self.assessments)
        self.outboxes = [self.outbox]

    def ensure_indexes(self):
        self.reports.create_index([("covenant_year", ASCENDING), ("company_id", ASCENDING),
                                   ("version", DESCENDING)])
        self.assessments.create_index([("company_id", ASCENDING), ("covenant_year", ASCENDING),
                                       ("version", DESCENDING), ("framework_version", DESCENDING)])
        self.assessments.create_index([("report_id", ASCENDING), ("version", DESCENDING),
                                       ("framework_version", DESCENDING)])
        self.outbox.ensure_indexes()

    def keep_report(self, submitted: dict) -> None:
        """Keeps a received report version (for rescoring); receiving it again changes nothing."""
        self.reports.update_one(
            {"_id": f"{submitted['report_id']}:{submitted['version']}"},
            {"$setOnInsert": {
                "report_id": submitted["report_id"], "version": submitted["version"],
                "covenant_year": submitted["covenant_year"], "company_id": submitted["company"]["id"],
                "company": submitted["company"], "report": submitted["report"],
                "submitted_at": submitted["submitted_at"], "received_at": datetime.now(timezone.utc)}},
            upsert=True)

    def assessment(self, report_id: str, version: int, framework_version: int) -> dict | None:
        return self.assessments.find_one({"_id": assessment_id(report_id, version, framework_version)})

    def latest_assessment(self, report_id: str) -> dict | None:
        return self.assessments.find_one({"report_id": report_id}, sort=NEWEST_FIRST)

    def assessment_before(self, company_id: str, covenant_year: int, version: int,
                          framework_version: int) -> dict | None:
        """The newest assessment of the company's year that (version, framework version) replaces."""
        return self.assessments.find_one({
            "company_id": company_id, "covenant_year": covenant_year,
            "$or": [{"version": {"$lt": version}},
                    {"version": version, "framework_version": {"$lt": framework_version}}],
        }, sort=NEWEST_FIRST)

    def add_assessment(self, document: dict, event) -> dict:
        """Stores an assessment with its event; if a concurrent delivery stored it first, returns that one."""
        stored = {**document, **Outbox.fields(event)}
        try:
            self.assessments.insert_one(stored)
        except DuplicateKeyError:
            return self.assessments.find_one({"_id": document["_id"]})
        return stored

    def mark_published(self, document_id: str) -> None:
        self.outbox.mark_published(document_id)

    def latest_assessment_of_version(self, report_id: str, version: int) -> dict | None:
        return self.assessments.find_one({"report_id": report_id, "version": version}, sort=NEWEST_FIRST)

    def latest_reports(self, covenant_year: int) -> list[dict]:
        """The latest received version of each company's report for the year."""
        latest: dict[str, dict] = {}
        for report in self.reports.find({"covenant_year": covenant_year}, sort=[("version", ASCENDING)]):
            latest[report["company_id"]] = report
        return list(latest.values())
