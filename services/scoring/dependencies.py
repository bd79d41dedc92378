"""Storage and framework data of the scoring service."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from common import errors, problems, settings
from common.events import REPLACED_FIELDS, Event, Ordinal
from common.mongo import Index, Repository
from common.outbox import Kept, Outbox
from services.scoring.domain import Framework, VerificationRules, load_frameworks

SHIPPED_FRAMEWORKS = Path(__file__).resolve().parent / "frameworks"
# An assessment is ordered by (report version, framework version, corrections applied): its ordinal.
NEWEST_FIRST = [("version", DESCENDING), ("framework_version", DESCENDING), ("correction", DESCENDING)]
OLDEST_FIRST = [(key, ASCENDING) for key, _ in NEWEST_FIRST]
REPLACED_PROJECTION = {f"assessment.{key}": 1 for key in REPLACED_FIELDS}


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
            raise errors.NotFound(problems.NO_FRAMEWORK(covenant_year=covenant_year,
                                                        known=sorted(self._frameworks))) from None

    def summaries(self) -> list[dict]:
        """Every year with a framework: its version, dates and minimum score."""
        return [{"covenant_year": year, "version": each.version, "due_date": each.due_date.isoformat(),
                 "catch_up_date": each.catch_up_date.isoformat(), "minimum_score": each.minimum_score}
                for year, each in sorted(self._frameworks.items())]

    def calendars(self) -> list[dict]:
        return [{"covenant_year": year, "due_date": each.due_date.isoformat(),
                 "catch_up_date": each.catch_up_date.isoformat()}
                for year, each in sorted(self._frameworks.items())]


class VerificationRulesProvider(DependencyProvider):
    """How large a year's verification sample is (VERIFICATION_SHARE, VERIFICATION_MINIMUM)."""

    def setup(self):
        configured = settings.of(self.container)
        self.rules = VerificationRules(configured.verification_share, configured.verification_minimum)

    def get_dependency(self, worker_ctx):
        return self.rules


class FrameworkFiles(DependencyProvider):
    """The frameworks, read and validated once when the service starts: a broken file stops it."""

    def setup(self):
        self.frameworks = Frameworks(settings.of(self.container).frameworks_dir or SHIPPED_FRAMEWORKS)

    def get_dependency(self, worker_ctx):
        return self.frameworks


class ScoringStore(Repository):
    """The report versions scoring received, and one assessment per (report, version, framework version)."""

    def __init__(self, db):
        super().__init__(db)
        self.reports = db.reports
        self.assessments = db.assessments
        self.corrections = db.corrections
        self.draws = db.verification_draws
        self.verifications = db.verifications
        self.framework_corrections = db.framework_corrections
        self.latest = db.latest_of_year  # a read model: each company's latest version of a year, in brief
        self.outbox = Outbox(self.assessments)
        self._framework_outbox = Outbox(self.framework_corrections)
        self._draws_outbox = Outbox(self.draws)
        self._verifications_outbox = Outbox(self.verifications)
        self.outboxes = [self.outbox, self._draws_outbox, self._verifications_outbox, self._framework_outbox]

    # An assessment is stored once per (report, version, framework version, corrections), a draw once per
    # year, an appeal's corrections once per case: their _ids are those keys, so no unique index is needed.
    INDEXES = {
        "reports": (Index.on("covenant_year", "company_id", ("version", DESCENDING)),),
        "assessments": (Index.on("company_id", "covenant_year", ("version", DESCENDING),
                                 ("framework_version", DESCENDING)),
                        Index.on("report_id", ("version", DESCENDING), ("framework_version", DESCENDING),
                                 ("correction", DESCENDING)),
                        Index(Outbox.INDEX_KEYS)),
        "corrections": (Index.on("report_id", "version", "at"),),
        "verification_draws": (Index(Outbox.INDEX_KEYS),),
        "verifications": (Index.on("covenant_year", "company_id", ("ordinal", DESCENDING)),
                          Index(Outbox.INDEX_KEYS)),
        # one document per (year, framework version) applied: what every instance must at least score under
        "framework_corrections": (Index.on("covenant_year", ("version", DESCENDING)), Index(Outbox.INDEX_KEYS)),
        "latest_of_year": (Index.on("covenant_year", "company_id"),),
    }

    def ensure_indexes(self) -> None:
        super().ensure_indexes()
        # A store from before the read model (latest_of_year) gets it once, from what it holds.
        if self.latest.find_one({}, {"_id": 1}) is None and self.reports.find_one({}, {"_id": 1}) is not None:
            for report in self.reports.find({}, {"report": 0, "company": 0}):
                self._note_version(report["covenant_year"], report["company_id"], report["report_id"],
                                   report["version"])
            for stored in self.assessments.find({}, {"event": 0, "assessment.criteria": 0}):
                self._note_assessment(stored)

    # --- the read model: each company's latest version of a year and that version's latest assessment ------
    # Kept as reports and assessments are stored (each write conditional, so that any order of deliveries,
    # and a redelivery after a crash between the two writes, leaves what a query over everything would
    # find): the secretariat's overview and the proof read one small document per company, not every
    # version and assessment of the year.

    def _note_version(self, covenant_year: int, company_id: str, report_id: str, version: int) -> None:
        try:
            self.latest.update_one(
                {"_id": f"{covenant_year}:{company_id}", "version": {"$lt": version}},
                {"$set": {"covenant_year": covenant_year, "company_id": company_id, "report_id": report_id,
                          "version": version, "assessed": None}}, upsert=True)
        except DuplicateKeyError:
            pass  # this or a later version is noted already (what follows completes a crashed delivery)
        # Scoring stores a version's assessment before the version itself: whatever was stored before the
        # version was noted is noted now; what is stored after finds the version noted.
        stored = self.assessments.find_one({"report_id": report_id, "version": version},
                                           {"event": 0, "assessment.criteria": 0}, sort=NEWEST_FIRST)
        if stored:
            self._note_assessment(stored)

    def _note_assessment(self, stored: dict) -> None:
        framework_version, correction = stored["framework_version"], stored.get("correction", 0)
        assessment = stored["assessment"]
        self.latest.update_one(
            {"_id": f"{stored['covenant_year']}:{stored['company_id']}", "version": stored["version"],
             "$or": [{"assessed": None}, {"assessed.framework_version": {"$lt": framework_version}},
                     {"assessed.framework_version": framework_version, "assessed.correction": {"$lt": correction}}]},
            {"$set": {"assessed": {"id": stored["_id"], "framework_version": framework_version,
                                   "correction": correction, "score": assessment.get("score"),
                                   "band": assessment.get("band"), "outcome": assessment.get("outcome")}}})

    def latest_of_year(self, covenant_year: int, *, after: str | None = None, limit: int = 0) -> list[dict]:
        """Each company's latest version of the year that is assessed, by company id (from `after`)."""
        query = {"covenant_year": covenant_year, "assessed": {"$ne": None}}
        if after is not None:
            query["company_id"] = {"$gt": after}
        return list(self.latest.find(query, sort=[("company_id", ASCENDING)], limit=limit))

    def keep_report(self, submitted: dict) -> None:
        """Keeps a received report version (for rescoring); receiving it again changes nothing."""
        self.reports.update_one(
            {"_id": f"{submitted['report_id']}:{submitted['version']}"},  # one document per report version
            {"$setOnInsert": {
                "report_id": submitted["report_id"], "version": submitted["version"],
                "covenant_year": submitted["covenant_year"], "company_id": submitted["company"]["id"],
                "company": submitted["company"], "report": submitted["report"],
                "submitted_at": submitted["submitted_at"], "received_at": datetime.now(timezone.utc)}},
            upsert=True)
        self._note_version(submitted["covenant_year"], submitted["company"]["id"], submitted["report_id"],
                           submitted["version"])

    @staticmethod
    def _assessment_id(report_id: str, ordinal: Ordinal) -> str:
        return f"{report_id}:{ordinal.report_version}:{ordinal.framework_version}" + (
            f":c{ordinal.correction}" if ordinal.correction else "")

    def kept_assessment(self, report_id: str, ordinal: Ordinal) -> Kept | None:
        """The assessment of a report version under a framework version with its corrections, as the event
        that announced it."""
        found = self.assessments.find_one({"_id": self._assessment_id(report_id, ordinal)}, Outbox.KEPT)
        return self.outbox.kept(found) if found else None

    def kept_report(self, report_id: str, version: int) -> dict | None:
        """A received report version, as scoring keeps it (for rescoring and corrections)."""
        return self.reports.find_one({"_id": f"{report_id}:{version}"})

    def kept_reports(self, versions: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
        """Received report versions by (report id, version)."""
        found = self.reports.find({"_id": {"$in": [f"{report_id}:{version}" for report_id, version in versions]}})
        return {(each["report_id"], each["version"]): each for each in found}

    def assessments_by_id(self, ids: list[str]) -> dict[str, dict]:
        return {each["_id"]: each for each in self.assessments.find({"_id": {"$in": ids}}, {"event": 0})}

    def latest_assessment(self, report_id: str) -> dict | None:
        return self.assessments.find_one({"report_id": report_id}, sort=NEWEST_FIRST)

    def assessment_before(self, company_id: str, covenant_year: int, ordinal: Ordinal) -> dict | None:
        """The newest assessment of the company's year that one of `ordinal` replaces: of its `assessment`
        only what report_scored names of a replaced one (REPLACED_FIELDS), not its criteria nor its event."""
        version, framework_version, correction = ordinal.report_version, ordinal.framework_version, ordinal.correction
        return self.assessments.find_one({
            "company_id": company_id, "covenant_year": covenant_year,
            "$or": [{"version": {"$lt": version}},
                    {"version": version, "framework_version": {"$lt": framework_version}},
                    {"version": version, "framework_version": framework_version,
                     "correction": {"$lt": correction}}],
        }, REPLACED_PROJECTION, sort=NEWEST_FIRST)

    def add_assessment(self, report_id: str, ordinal: Ordinal, company_id: str, assessment: dict,
                       event: Event) -> tuple[Kept, bool]:
        """Stores an assessment with its event, once per (report, ordinal); returns the kept event and
        whether this call stored it (False: a concurrent delivery stored it first)."""
        version, framework_version, correction = ordinal.report_version, ordinal.framework_version, ordinal.correction
        document_id = self._assessment_id(report_id, ordinal)
        stored = {"_id": document_id, "report_id": report_id, "version": version,
                  "framework_version": framework_version, "correction": correction, "company_id": company_id,
                  "covenant_year": assessment["covenant_year"], "assessment": assessment}
        try:
            self.assessments.insert_one({**stored, **Outbox.fields(event)})
        except DuplicateKeyError:
            self._note_assessment(stored)  # the delivery that stored it may have stopped before this
            return self.kept_assessment(report_id, ordinal), False
        self._note_assessment(stored)
        return Kept(self.outbox, document_id, event), True

    # --- corrections decided on appeal ----------------------------------------------------------------

    def add_correction(self, case_number: str, report_id: str, version: int, corrections: list[dict],
                       decided_by: str, at: datetime) -> bool:
        """Keeps the corrections a case decided, once per case; False when they were kept already."""
        try:
            self.corrections.insert_one({"_id": case_number, "report_id": report_id, "version": version,
                                         "corrections": corrections, "decided_by": decided_by, "at": at})
        except DuplicateKeyError:
            return False
        return True

    def corrections_of(self, report_id: str, version: int) -> list[dict]:
        """The cases' corrections of a report version, in the order they were decided."""
        return list(self.corrections.find({"report_id": report_id, "version": version}, sort=[("at", ASCENDING)]))

    def assessments_of_report(self, report_id: str) -> list[dict]:
        """Each version's latest assessment (the newest framework version's), oldest version first."""
        latest: dict[int, dict] = {}
        for stored in self.assessments.find({"report_id": report_id}, sort=[
                ("version", ASCENDING), ("framework_version", ASCENDING), ("correction", ASCENDING)]):
            latest[stored["version"]] = stored
        return list(latest.values())

    def latest_assessment_of_version(self, report_id: str, version: int) -> dict | None:
        return self.assessments.find_one({"report_id": report_id, "version": version}, sort=NEWEST_FIRST)

    # --- corrected frameworks ----------------------------------------------------------------------

    def record_correction(self, covenant_year: int, version: int, event: Event) -> Kept | None:
        """Records that a year's framework version was applied, with its event, once per version; None when
        it was recorded before."""
        document_id = f"{covenant_year}:{version}"
        try:
            self.framework_corrections.insert_one({"_id": document_id, "covenant_year": covenant_year, "version": version,
                                         **Outbox.fields(event)})
        except DuplicateKeyError:
            return None
        return Kept(self._framework_outbox, document_id, event)

    def applied_version(self, covenant_year: int) -> int | None:
        """The newest framework version applied for the year by any instance (None: never corrected)."""
        found = self.framework_corrections.find_one({"covenant_year": covenant_year}, {"version": 1},
                                          sort=[("version", DESCENDING)])
        return found["version"] if found else None

    # --- verification ------------------------------------------------------------------------------

    def draw(self, covenant_year: int) -> dict | None:
        return self.draws.find_one({"_id": covenant_year})

    def add_draw(self, draw: dict, event: Event) -> tuple[dict, Kept | None]:
        """Stores a year's draw with its event, once: returns the year's draw (this one, or one a concurrent
        request stored first) and this one's kept event (None when it was not stored)."""
        try:
            self.draws.insert_one({"_id": draw["covenant_year"], **draw, **Outbox.fields(event)})
        except DuplicateKeyError:
            return self.draw(draw["covenant_year"]), None
        return draw, Kept(self._draws_outbox, draw["covenant_year"], event)

    def add_verification(self, record: dict, event: Event) -> Kept:
        self.verifications.insert_one({"_id": record["id"], **record, **Outbox.fields(event)})
        return Kept(self._verifications_outbox, record["id"], event)

    def latest_verifications(self, covenant_year: int) -> list[dict]:
        """Each sampled company's latest verification record for the year."""
        latest: dict[str, dict] = {}
        for record in self.verifications.find({"covenant_year": covenant_year}, sort=[("ordinal", ASCENDING)]):
            latest[record["company_id"]] = record
        return list(latest.values())

    def replayable(self) -> Iterator[Event]:
        """The events consumers rebuild from, as they were first sent: every assessment (its report_scored;
        each was announced when made), oldest first, then every verification draw and record."""
        for outbox, order in ((self.outbox, OLDEST_FIRST), (self._draws_outbox, [("stored_at", ASCENDING)]),
                              (self._verifications_outbox, [("stored_at", ASCENDING)])):
            for document in outbox.collection.find({}, {"event": 1}, sort=order):
                yield outbox.kept(document).event

    def latest_reports(self, covenant_year: int) -> list[dict]:
        """The latest received version of each company's report for the year."""
        latest: dict[str, dict] = {}
        for report in self.reports.find({"covenant_year": covenant_year}, sort=[("version", ASCENDING)]):
            latest[report["company_id"]] = report
        return list(latest.values())
