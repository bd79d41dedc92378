"""One service in a nameko container on the real RabbitMQ (a fresh vhost per test)."""
import pytest
from nameko.standalone.events import event_dispatcher

from datetime import datetime, timezone

from common import errors
from common.auth import Identity, token_hash
from common.clock import Clock
from common.events import new_event
from tests.conftest import SECRETARIAT_TOKEN
from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from services.scoring.domain import assess, load_frameworks
from tests.support import EventCapture

FRAMEWORKS = load_frameworks(SHIPPED_FRAMEWORKS)


class FakeScoring:
    """The scoring service's RPC methods, with the real frameworks and scoring function."""

    def get_framework(self, year):
        if year not in FRAMEWORKS:
            raise errors.NotFound(f"No assessment framework for covenant year {year}.")
        return FRAMEWORKS[year].to_dict()

    def assess(self, report, company):
        self.get_framework(report["covenant_year"])
        return assess(report, company, FRAMEWORKS[report["covenant_year"]])

    def list_calendars(self):
        return [{"covenant_year": year, "due_date": each.due_date.isoformat(),
                 "catch_up_date": each.catch_up_date.isoformat()} for year, each in sorted(FRAMEWORKS.items())]


class MovableClock(Clock):
    """A clock the test sets."""

    def __init__(self, start: str):
        super().__init__(frozen=True)
        self.set(start)

    def set(self, instant: str) -> None:
        self._start = datetime.fromisoformat(instant).replace(tzinfo=timezone.utc)


class Members:
    """Tokens of test companies, looked up like the submission service does."""

    def __init__(self):
        self._by_hash = {}

    def add(self, token, role, member_id):
        self._by_hash[token_hash(token)] = {"role": role, "id": member_id}

    def identity(self):
        return Identity(SECRETARIAT_TOKEN, self._by_hash.get)


@pytest.fixture
def members():
    return Members()


@pytest.fixture
def capture(service_config):
    """capture(source_service, event_type) -> an EventCapture of what that service publishes."""
    captures = []

    def bind(source, event_type):
        captures.append(EventCapture(service_config["AMQP_URI"], source, event_type))
        return captures[-1]
    yield bind
    for each in captures:
        each.close()


@pytest.fixture
def publish(service_config):
    """publish(source_service, event_type, data) -> the envelope sent, as on the wire."""
    dispatch = event_dispatcher(service_config)

    def send(source, event_type, data=None, *, wire=None):
        wire = wire or new_event(event_type, data, producer=source, correlation_id="test").to_wire()
        dispatch(source, event_type, wire)
        return wire
    return send


def auth(token):
    return {"Authorization": f"Bearer {token}"}
