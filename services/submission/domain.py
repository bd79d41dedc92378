"""Members, their tokens and their report versions; pure functions, no nameko, no storage."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from common import files
from common.identity import new_token, token_hash

SNAPSHOT_FIELDS = ("id", "name", "country", "role", "imports_directly", "joined_on", "language", "email")
AUTHORITY_FIELDS = ("id", "name", "country", "joined_on")
COMMISSION_FIELDS = ("id", "name", "seat", "email", "language")
PUBLIC_FIELDS = (*SNAPSHOT_FIELDS, "seat", "registered_at")
CHAIR = "chair"
SEATED, AWAITING_CONFIRMATION = "seated", "awaiting_confirmation"
# The first chair, appointed at deployment, always has this id: a second appointment through the same
# door is a duplicate key (one write decides it, however many try at once).
FIRST_CHAIR_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://trustone.example/commission/first-chair").hex


def new_member(registration: dict, now: datetime) -> tuple[dict, str]:
    """A member record (company or authority) and its bearer token; only the token's hash is kept."""
    token = new_token()
    member = {**registration, "id": uuid.uuid4().hex, "registered_at": now, "token_hash": token_hash(token)}
    return member, token


def public(member: dict) -> dict:
    """A member as the secretariat sees it: never its token hash nor what is stored with it. A member of the
    commission with whether it sits on it yet."""
    shown = _isoformat({key: member[key] for key in PUBLIC_FIELDS if key in member})
    if "seat" in member:
        shown["status"] = commission_status(member)
    return shown


def commission_status(member: dict) -> str:
    """Whether a commission member sits on the commission, or its seat waits for the chair's confirmation
    (members registered before seats were confirmed have no mark, and sit)."""
    return AWAITING_CONFIRMATION if member.get("awaiting_confirmation") else SEATED


def token_replaced(replacement_id: str, role: str, member: dict, by: dict, now: datetime) -> dict:
    """The data of a member_token_replaced event: whom to tell, in which language, at which address (an
    authority has neither on record: Dutch, its inbox only)."""
    return {"replacement_id": replacement_id,
            "member": {"id": member["id"], "role": role, "name": member["name"],
                       "language": member.get("language", "nl"), "email": member.get("email")},
            "replaced_by": by, "replaced_at": now.isoformat()}


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


# --- the files sent with a report ---------------------------------------------------------------------------
# A file uploaded for a report and named in none of the company's versions a day later may be dropped.
UNBOUND_FILE_DAYS = 1
# A company's files no version names yet, at most: more would let one company fill the platform's storage
# within a day (a report names far fewer; once it is sent they no longer count).
MAX_UNBOUND_FILES = 50
# All of a company's files, sent or not, at most: a company could otherwise send version after version, each
# naming fifty new files. A hundred files of the largest size; a year's evidence is a handful of audits.
MAX_COMPANY_FILE_BYTES = 1000 * 2 ** 20


def file_references(report: dict) -> list[tuple[str, str]]:
    """Each file a report names, with the path of the answer that names it: `evidence.<n>.file` (the file
    of that piece of evidence), `plan_of_approach_file`."""
    found = [(f"evidence.{place}.file", each["file"]) for place, each in enumerate(report.get("evidence", ()))
             if each.get("file")]
    if report.get("plan_of_approach_file"):
        found.append(("plan_of_approach_file", report["plan_of_approach_file"]))
    return found


def file_ids(report: dict) -> list[str]:
    """The ids of the files a report names, each once, in the order it names them."""
    return list(dict.fromkeys(file_id for _, file_id in file_references(report)))


def file_name(place: int, content_type: str) -> str:
    """The name a file is given back with: its type's extension, never a name someone chose."""
    return f"report-file-{place}.{files.TYPES[content_type]}"


def _isoformat(record: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, (date, datetime)) else value
            for key, value in record.items()}
