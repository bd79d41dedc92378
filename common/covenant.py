"""The covenant's calendar and the rules every service reads the same way (contract §1, §3).

Its words (materials, themes, roles, ...) are in `common.vocabulary`; rules only scoring applies (bands,
the EEA test) are in `services.scoring.domain`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Iterable, Mapping


# The last covenant year the platform takes (it runs to 30 September 2069): a year, or a date, beyond it
# is a mistake, not a plan.
LAST_YEAR = 50


def year_start(covenant_year: int) -> date:
    """Covenant year N runs from 1 October 2018+N (year 1: 1 Oct 2019 - 30 Sep 2020)."""
    return date(2018 + covenant_year, 10, 1)


def year_end(covenant_year: int) -> date:
    return date(2019 + covenant_year, 9, 30)


def third_quarter_end(covenant_year: int) -> date:
    """Members that joined after this date need not report for the year (30 June)."""
    return date(2019 + covenant_year, 6, 30)


def obliged(company: dict, covenant_year: int) -> bool:
    """Must report for the year: imports directly and joined by 30 June of that covenant year."""
    return bool(company["imports_directly"]) and \
        date.fromisoformat(str(company["joined_on"])) <= third_quarter_end(covenant_year)


# Reminders go this many days before a company's date (contract §3).
REMINDER_DAYS = (30, 7, 1)


@dataclass(frozen=True)
class YearCalendar:
    """A year's dates, built once from its framework (`of`): the due date and catch-up date (framework
    data), and what follows from them: the reminders before a date, the days editions are released."""
    covenant_year: int
    due_date: date
    catch_up_date: date

    @classmethod
    def of(cls, framework: Mapping) -> "YearCalendar":
        """From a framework or a calendar as scoring gives them (`covenant_year`, `due_date`,
        `catch_up_date`, dates as ISO text or dates)."""
        return cls(int(framework["covenant_year"]), _day(framework["due_date"]), _day(framework["catch_up_date"]))

    @property
    def release_dates(self) -> list[date]:
        """When the year's editions are released without the secretariat: the day after its due date and
        the day after its catch-up date (each waits until enough companies' contributions changed)."""
        return [self.due_date + timedelta(days=1), self.catch_up_date + timedelta(days=1)]

    @staticmethod
    def reminders(deadline: date) -> dict[int, date]:
        """The days a reminder of `deadline` is due on, by how many days before it."""
        return {days: deadline - timedelta(days=days) for days in REMINDER_DAYS}


def calendars(frameworks: Iterable[Mapping]) -> list[YearCalendar]:
    """Every year's calendar, in year order (scoring's `list_calendars` or `GET /v1/frameworks`)."""
    return sorted((YearCalendar.of(each) for each in frameworks), key=lambda each: each.covenant_year)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def dates_of(calendar: YearCalendar, has_report: bool, own_extension: date | None) -> list[date]:
    """The dates by which a company's compliant report is expected, in order: the secretariat's own date
    for it if one was granted; else the catch-up date once it has reported (its extension); else the due
    date and, once that has passed, the catch-up date."""
    if own_extension:
        return [own_extension]
    if has_report:
        return [calendar.catch_up_date]
    return [calendar.due_date, calendar.catch_up_date]


def known_percent(pair: dict) -> Fraction:
    """Percentage known of a {"known", "total"} pair; nothing to know counts as all known."""
    return Fraction(100) if pair["total"] == 0 else Fraction(100 * pair["known"], pair["total"])
