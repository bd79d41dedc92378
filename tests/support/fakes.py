"""Fakes of the ports: a clock the test sets, a recording publisher, scoring's RPC, members, in-memory
repositories and channels."""
from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta, timezone


from common import errors, problems
from common.auth import Identity, token_hash
from common.events import new_event
from tests.support.basics import SECRETARIAT_TOKEN


# --- fakes of the ports ---------------------------------------------------------------------------------

class SettableClock:
    """A clock the test sets (the services' clock port: `now()`); without an instant it starts at the real
    now (what a store that expires documents by real time needs)."""

    def __init__(self, instant: str | None = None):
        if instant:
            self.set(instant)
        else:
            self.instant = datetime.now(timezone.utc)

    def set(self, instant: str) -> None:
        self.instant = datetime.fromisoformat(instant).replace(tzinfo=timezone.utc)

    def advance(self, **delta) -> None:
        self.instant += timedelta(**delta)

    def now(self) -> datetime:
        return self.instant


class RecordingPublisher:
    """The publisher port in memory: events are validated as the real one does, and recorded; `failing`
    makes publishing raise, as a broker that is down would."""

    def __init__(self, producer: str = "test"):
        self.producer = producer
        self.published = []
        self.failing = False

    def new(self, event_type: str, data: dict):
        return new_event(event_type, data, producer=self.producer, correlation_id="test")

    def publish(self, event) -> None:
        if self.failing:
            raise ConnectionError("the broker is down")
        self.published.append(event)

    def of_type(self, event_type: str) -> list:
        return [event for event in self.published if event.type == event_type]


def shipped_frameworks() -> dict:
    """The shipped frameworks by year (a dict of one's own; the frameworks, frozen, read once per process:
    parsing their YAML took most of the time of the tests that make a FakeScoring or a scored event)."""
    return dict(_shipped_frameworks())


@functools.cache
def _shipped_frameworks() -> dict:
    from services.scoring.dependencies import SHIPPED_FRAMEWORKS
    from services.scoring.domain import load_frameworks
    return load_frameworks(SHIPPED_FRAMEWORKS)


class FakeScoring:
    """The scoring service's RPC methods, with the real frameworks and scoring function."""

    def __init__(self):
        self.frameworks = shipped_frameworks()
        self.asked_frameworks = 0

    def get_framework(self, year):
        self.asked_frameworks += 1
        if year not in self.frameworks:
            raise errors.NotFound(problems.NO_FRAMEWORK(covenant_year=year, known=sorted(self.frameworks)))
        return self.frameworks[year].to_dict()

    def assess(self, report, company):
        from services.scoring.domain import assess
        self.get_framework(report["covenant_year"])
        return assess(report, company, self.frameworks[report["covenant_year"]])

    def list_calendars(self):
        return [{"covenant_year": year, "due_date": each.due_date.isoformat(),
                 "catch_up_date": each.catch_up_date.isoformat()} for year, each in sorted(self.frameworks.items())]


class Members:
    """Tokens of test members, looked up like the submission service does (the identity port)."""

    def __init__(self):
        self.by_hash: dict[str, dict] = {}

    def add(self, token, role, member_id, name=None):
        self.by_hash[token_hash(token)] = {"role": role, "id": member_id, **({"name": name} if name else {})}

    def identity(self) -> Identity:
        return Identity(SECRETARIAT_TOKEN, self.by_hash.get)


def in_memory(repository_cls):
    """A service's repository on a fresh database of the in-process engine, indexes declared."""
    from common.mongo import database
    repository = repository_cls(database(f"mongomock://localhost/unit_{uuid.uuid4().hex[:12]}", "unit"))
    repository.ensure_indexes()
    return repository


class FakeChannels:
    """The notification service's ways out, in memory: what was mailed and posted; `failing` channels
    raise, as a server that is down would."""

    def __init__(self, email_enabled=True, max_attempts=3, backoff_seconds=0.0):
        self.email_enabled = email_enabled
        self.secretariat_email = "secretariaat@trustone.example"
        self.commission_email = "commissie@trustone.example"
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.mailed: list[tuple[str, str]] = []
        self.posted: list[tuple[str, str]] = []
        self.failing: set[str] = set()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def mail(self, notice: dict, to: str) -> None:
        if "email" in self.failing:
            raise ConnectionRefusedError("the SMTP server is down")
        self.mailed.append((notice["_id"], to))

    def post(self, notice: dict, webhook: dict) -> None:
        if "webhook" in self.failing:
            raise ConnectionRefusedError("the receiver is down")
        self.posted.append((notice["_id"], webhook["url"]))
