"""The covenant's calendar and vocabulary, shared by every service (contract §1, §3)."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

MATERIALS = ("basalt", "granite", "limestone", "slate", "marble", "sandstone")
RISK_THEMES = ("health_and_safety", "living_wage", "forced_labour", "child_labour",
               "freedom_of_association", "environment", "site_closure")
LEVELS = ("low", "medium", "high")
RISK_SOURCES = ("site_visit", "independent_audit", "public_report", "stakeholder_dialogue")
PRIORITISATIONS = ("severity_and_likelihood", "volume", "none")
MITIGATION_KINDS = ("supplier_improvement", "regional_project", "certification_programme")
EVIDENCE_KINDS = ("audit_report", "certificate", "other")
BANDS = ("<20", "20-40", "40-60", ">=60")
OUTCOMES = ("compliant", "needs_more_time")

# European Economic Area: the EU 27, Iceland, Liechtenstein and Norway.
EEA = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "
                "IS LI NO".split())


def year_start(covenant_year: int) -> date:
    """Covenant year N runs from 1 October 2018+N (year 1: 1 Oct 2019 - 30 Sep 2020)."""
    return date(2018 + covenant_year, 10, 1)


def year_end(covenant_year: int) -> date:
    return date(2019 + covenant_year, 9, 30)


def third_quarter_end(covenant_year: int) -> date:
    """Members that joined after this date need not report for the year (30 June)."""
    return date(2019 + covenant_year, 6, 30)


def band(score: float) -> str:
    """Score band, lower bound inclusive."""
    if score < 20:
        return "<20"
    if score < 40:
        return "20-40"
    if score < 60:
        return "40-60"
    return ">=60"


def known_percent(pair: dict) -> Fraction:
    """Percentage known of a {"known", "total"} pair; nothing to know counts as all known."""
    return Fraction(100) if pair["total"] == 0 else Fraction(100 * pair["known"], pair["total"])


def eea_only(countries) -> bool:
    """Sources only inside the EEA: at least one country known, and every one of them in the EEA."""
    countries = set(countries)
    return bool(countries) and countries <= EEA


MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def spoken_date(day: date, language: str) -> str:
    """1 april 2021 / 1 April 2021."""
    return f"{day.day} {MONTHS[language][day.month - 1]} {day.year}"
