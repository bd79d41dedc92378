"""The services' notion of now, injectable so a whole covenant year can be played in a test or a demo.

CLOCK (configuration):
    empty                          the system clock
    2020-12-15T09:00:00+00:00      starts at that instant when the process starts, then runs on
    fixed:2020-12-15T09:00:00+00:00  stands still at that instant
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider

from common import settings


class Clock:
    def __init__(self, start: datetime | None = None, frozen: bool = False):
        self._frozen = frozen
        self._offset = (start - datetime.now(timezone.utc)) if start and not frozen else timedelta(0)
        self._start = start

    def now(self) -> datetime:
        if self._frozen:
            return self._start
        return datetime.now(timezone.utc) + self._offset


def parse(setting) -> Clock:
    """A Clock from the CLOCK setting; ValueError names what is wrong with it."""
    if not setting:
        return Clock()
    frozen = setting.startswith("fixed:")
    text = setting.removeprefix("fixed:")
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"CLOCK must be empty, an ISO 8601 instant or fixed:<instant>, not {setting!r}") from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return Clock(start, frozen)


# What the database expires (sessions, failed sign-ins, filings) runs on real time, whatever a demo's clock says.
REAL_TIME = Clock()


class ClockProvider(DependencyProvider):
    """Injects the configured clock; a test replaces it with one it moves."""

    def setup(self):
        self.clock = parse(settings.of(self.container).clock)

    def get_dependency(self, worker_ctx):
        return self.clock


class RealTimeProvider(DependencyProvider):
    """Injects real time, for what the database expires by real time (sessions, failed sign-ins, filings);
    a test replaces it with a clock it moves, so that nothing waits for time to pass."""

    def get_dependency(self, worker_ctx):
        return REAL_TIME
