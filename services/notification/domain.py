"""Notices: what is said to whom, when, in Dutch or English. Pure: no nameko, no storage.

Every notice has a key derived from what it is about (company, year, kind, report version or date), so
the same cause, however often it is delivered, yields one notice.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

OUTCOME_TEXT = {
    "nl": {"compliant": "voldoet aan de eisen", "needs_more_time": "heeft meer tijd nodig"},
    "en": {"compliant": "compliant", "needs_more_time": "needs more time"},
}


@dataclass(frozen=True)
class Notice:
    key: str
    kind: str
    recipient_role: str        # company or secretariat
    recipient_id: str | None   # the company; None for the secretariat
    language: str
    subject: str
    body: str
    covenant_year: int
    created_at: datetime
    about: dict = field(default_factory=dict)

    def to_document(self) -> dict:
        return {"_id": self.key, **asdict(self)}


def _company_notice(kind, key, company, year, texts, now, about) -> Notice:
    language = company.get("language", "nl")
    subject, body = texts[language]
    return Notice(key=key, kind=kind, recipient_role="company", recipient_id=company["id"],
                  language=language, subject=subject, body=body, covenant_year=year, created_at=now,
                  about=about)


def receipt(submitted: dict, now: datetime) -> Notice:
    """A company's report version was received."""
    year, version = submitted["covenant_year"], submitted["version"]
    company = submitted["company"]
    texts = {
        "nl": (f"Ontvangstbevestiging jaarrapportage jaar {year}",
               f"Wij hebben versie {version} van uw due-diligencerapportage over convenantjaar {year} "
               f"ontvangen. De beoordeling volgt."),
        "en": (f"Receipt of your annual report, year {year}",
               f"We received version {version} of your due-diligence report for covenant year {year}. "
               f"The assessment follows."),
    }
    return _company_notice("receipt", f"receipt:{submitted['report_id']}:{version}", company, year, texts,
                           now, {"report_id": submitted["report_id"], "version": version})


def outcome(scored: dict, now: datetime) -> Notice:
    """The assessment of a report version."""
    year, version = scored["covenant_year"], scored["version"]
    assessment = scored["assessment"]
    framework_version = scored["ordinal"][1]
    texts = {
        language: (
            subject.format(year=year),
            body.format(year=year, version=version, score=assessment["score"],
                        outcome=OUTCOME_TEXT[language][assessment["outcome"]]),
        )
        for language, (subject, body) in {
            "nl": ("Beoordeling jaarrapportage jaar {year}",
                   "Versie {version} van uw rapportage over convenantjaar {year} scoort {score} %: "
                   "uw onderneming {outcome}."),
            "en": ("Assessment of your annual report, year {year}",
                   "Version {version} of your report for covenant year {year} scores {score} %: "
                   "your company is {outcome}."),
        }.items()
    }
    return _company_notice("outcome", f"outcome:{scored['report_id']}:{version}:{framework_version}",
                           scored["company"], year, texts, now,
                           {"report_id": scored["report_id"], "version": version,
                            "outcome": assessment["outcome"], "score": assessment["score"]})


def shown(document: dict) -> dict:
    """A stored notice as its recipient sees it."""
    return {"key": document["_id"], **{name: document[name] for name in (
        "kind", "language", "subject", "body", "covenant_year", "created_at", "about")}}
