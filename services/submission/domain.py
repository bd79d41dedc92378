"""Members, their tokens and their report versions; pure functions, no nameko, no storage."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from common.identity import new_token, token_hash

SNAPSHOT_FIELDS = ("id", "name", "country", "role", "imports_directly", "joined_on", "language", "email")
AUTHORITY_FIELDS = ("id", "name", "country", "joined_on")
COMMISSION_FIELDS = ("id", "name", "seat", "email", "language")
PUBLIC_FIELDS = (*SNAPSHOT_FIELDS, "seat", "registered_at")


def new_member(registration: dict, now: datetime) -> tuple[dict, str]:
    """A member record (company or authority) and its bearer token; only the token's hash is kept."""
    token = new_token()
    member = {**registration, "id": uuid.uuid4().hex, "registered_at": now, "token_hash": token_hash(token)}
    return member, token


def public(member: dict) -> dict:
    """A member as the secretariat sees it: never its token hash nor what is stored with it."""
    return _isoformat({key: member[key] for key in PUBLIC_FIELDS if key in member})


def snapshot(company: dict) -> dict:
    """The company as events carry it: what scoring, notices and figures need to know."""
    return _isoformat({key: company[key] for key in SNAPSHOT_FIELDS})


def authority_snapshot(authority: dict) -> dict:
    """The contracting authority as events carry it."""
    return _isoformat({key: authority[key] for key in AUTHORITY_FIELDS})


def commission_snapshot(member: dict) -> dict:
    """A member of the complaints commission as events carry it."""
    return _isoformat({key: member[key] for key in COMMISSION_FIELDS})


def summary(header: dict) -> dict:
    """A report without its content: which company, which year, how many versions."""
    return {"id": header["_id"], "company_id": header["company_id"], "covenant_year": header["covenant_year"],
            "latest_version": header["latest_version"], "updated_at": header["updated_at"]}


def report_submitted(report_id: str, version: int, previous_version: int | None, company: dict,
                     report: dict, submitted_at: datetime) -> dict:
    """The data of a report_submitted event."""
    return {
        "report_id": report_id, "version": version, "previous_version": previous_version,
        "covenant_year": report["covenant_year"], "submitted_at": submitted_at.isoformat(),
        "company": snapshot(company), "report": report,
    }


def _isoformat(record: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, (date, datetime)) else value
            for key, value in record.items()}
