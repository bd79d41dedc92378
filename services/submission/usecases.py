"""What the submission service does, as plain functions taking their ports (no nameko).

Ports: `store` (SubmissionStore, the files sent with reports too), `publisher` (builds and publishes events: `new`, `publish`), `clock`
(`now()`), `scoring` (the scoring service: `get_framework`, `assess`), `known_years` (a set of the years
scoring confirmed, remembered by the process).
"""
from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

from common import errors, files, outbox, problems
from common.identity import Caller, new_token, token_hash
from common.vocabulary import COMMISSION, COMPANY, SECRETARIAT
from common.logging import get_logger
from services.submission import domain

log = get_logger(__name__)


def register_member(role: str, registration: dict, *, store, publisher, clock) -> dict:
    """Registers a company, a contracting authority or a member of the commission (by caller role) and
    announces it; returns the member as shown, with its bearer token (shown this once; only its hash is
    kept). A commission seat gets no token here: it waits for the chair's confirmation, which gives the
    member its code, so the secretariat never holds a code that opens what only the commission reads. A name
    that is a member's already registered (of any kind), or looks the same but is written with other
    characters (a Cyrillic А for a Latin A, a 1 for an l), is refused: no one can pass for a member others
    know, and no two members can be told apart only by their number."""
    alike = store.look_alike(registration["name"])
    if alike == registration["name"]:
        raise errors.Invalid.at("name", problems.NAME_TAKEN())
    if alike is not None:
        raise errors.Invalid.at("name", problems.LOOKS_LIKE_MEMBER(member=alike))
    member, token = domain.new_member(registration, clock.now())
    if role == COMPANY:
        event = publisher.new("company_registered", {"company": domain.snapshot(member)})
    elif role == COMMISSION:
        member["awaiting_confirmation"] = True
        token = None  # its hash is of a code nobody is given, and the seat is no caller until confirmed
        event = publisher.new("commission_member_registered",
                              {"member": domain.commission_snapshot(member), "seated": False})
    else:
        event = publisher.new("authority_registered", {"authority": domain.authority_snapshot(member)})
    outbox.publish(store.add_member(role, member, event), publisher)
    log.info("member registered", kind=role, member_id=member["id"])
    shown = domain.public(member)
    return shown if token is None else {**shown, "token": token}


def appoint_first_chair(appointment: dict, *, store, publisher, clock) -> dict:
    """The commission's first chair, appointed at deployment (`trustone appoint-chair`, over the broker:
    the operators' door, not the secretariat's token). Once only, and never while a chair sits: later chairs
    are registered by the secretariat and confirmed by the chair. Returns the chair with its code, shown
    this once."""
    refused = errors.Forbidden(problems.CHAIR_EXISTS())
    if store.seated_chair() is not None:
        raise refused
    now = clock.now()
    member, token = domain.new_member({**appointment, "seat": domain.CHAIR}, now)
    member.update(id=domain.FIRST_CHAIR_ID, seated_at=now, seated_by=None)
    event = publisher.new("commission_member_registered",
                          {"member": domain.commission_snapshot(member), "seated": True})
    kept = store.add_first_chair(member, event)
    if kept is None:
        raise refused
    outbox.publish(kept, publisher)
    log.info("the commission's first chair appointed", member_id=member["id"])
    return {"id": member["id"], "name": member["name"], "seat": domain.CHAIR, "token": token}


def _seat_of(caller: Caller, store) -> str:
    """The seat of a commission member calling (it is seated: a seat awaiting confirmation is no caller)."""
    member = store.member(COMMISSION, caller.id)
    if member is None:
        raise errors.Unauthenticated()
    return member["seat"]


def _require_chair(caller: Caller, store) -> None:
    if caller.role != COMMISSION or _seat_of(caller, store) != domain.CHAIR:
        raise errors.Forbidden(problems.CHAIR_ONLY())


def confirm_seat(caller: Caller, member_id: str, *, store, publisher, clock) -> dict:
    """The chair confirms a seat the secretariat registered: the member now sits on the commission, and
    gets its code, shown this once to the chair, who hands it over."""
    _require_chair(caller, store)
    member = store.member(COMMISSION, member_id)
    if member is None:
        raise errors.NotFound(problems.NO_COMMISSION_MEMBER(id=member_id))
    if not member.get("awaiting_confirmation"):
        raise errors.Invalid.at("member", problems.ALREADY_SEATED())
    token, now = new_token(), clock.now()
    event = publisher.new("commission_member_seated", {"member": domain.commission_snapshot(member),
                                                       "seated_by": caller.id, "seated_at": now.isoformat()})
    kept = store.seat(member_id, token_hash(token), caller.id, now, event)
    if kept is None:
        raise errors.Invalid.at("member", problems.ALREADY_SEATED())
    outbox.publish(kept, publisher)
    log.info("commission seat confirmed", member_id=member_id, seat=member["seat"])
    return {"id": member_id, "name": member["name"], "seat": member["seat"], "token": token}


def replace_token(caller: Caller, member_id: str, *, store, publisher, clock) -> dict:
    """Gives a member a new sign-in code (a lost or exposed one): the old one stops working here at once,
    and in the other services once they no longer remember it (IDENTITY_CACHE_SECONDS); its owner is told
    (member_token_replaced). The secretariat replaces a company's or an authority's code, never a commission
    member's: that is the chair's, or the member's own. Returns who it is, with the new token, shown this
    once."""
    found = store.find_member(member_id)
    if caller.is_secretariat:
        if found and found[0] == COMMISSION:
            raise errors.Forbidden(problems.SECRETARIAT_NOT_FOR_COMMISSION_CODES())
        by = {"role": SECRETARIAT, "id": None, "seat": None}
    else:
        seat = _seat_of(caller, store)
        if found and found[0] != COMMISSION:
            found = None  # the commission replaces only its own members' codes
        if found and member_id != caller.id and seat != domain.CHAIR:
            raise errors.Forbidden(problems.CHAIR_OR_MEMBER_ONLY())
        by = {"role": COMMISSION, "id": caller.id, "seat": seat}
    if found is None:
        raise errors.NotFound(problems.NO_MEMBER(id=member_id))
    role, member = found
    if member.get("awaiting_confirmation"):
        raise errors.Invalid.at("member", problems.AWAITING_CONFIRMATION())
    token, now = new_token(), clock.now()
    event = publisher.new("member_token_replaced",
                          domain.token_replaced(uuid.uuid4().hex, role, member, by, now))
    kept = store.replace_token_hash(role, member_id, token_hash(token), now, event)
    if kept is None:
        raise errors.NotFound(problems.NO_MEMBER(id=member_id))
    outbox.publish(kept, publisher)
    log.info("member's token replaced", kind=role, member_id=member_id, by=by["role"])
    return {"id": member_id, "role": role, "name": member["name"], "token": token}


def submit_report(company_id: str, report: dict, *, store, publisher, clock, scoring, known_years) -> dict:
    """Stores the next version of the company's report for its year and announces it. Each file it names
    must be one the company uploaded (a field error on the answer naming it, else); they are kept with the
    version from then on (bound before the version is stored: a stop between the two keeps a file no
    version names, never a version whose file was dropped)."""
    require_framework(report["covenant_year"], scoring=scoring, known_years=known_years)
    company = store.company(company_id)
    unknown = {file_id for _, file_id in domain.file_references(report)
               if store.file_described(file_id, company_id) is None}
    if not unknown:  # bound at once, unless dropped as a day old since it was found
        unknown = set(store.bind_files(domain.file_ids(report), company_id))
    if unknown:
        raise errors.Invalid({path: [problems.UNKNOWN_FILE()] for path, file_id in domain.file_references(report)
                              if file_id in unknown})
    submitted_at = clock.now()

    def make_event(report_id, version, previous):
        return publisher.new("report_submitted", domain.report_submitted(
            report_id, version, previous, company, report, submitted_at))

    stored = store.add_version(company_id, report, submitted_at, make_event)
    outbox.publish(stored.kept, publisher)
    log.info("report submitted", report_id=stored.report_id, version=stored.version)
    return {"id": stored.report_id, "version": stored.version, "previous_version": stored.previous_version,
            "covenant_year": report["covenant_year"]}


def upload_file(company_id: str, content: bytes, *, store, clock, max_bytes: int, clean=files.cleaned) -> dict:
    """Keeps a file a company will name in its report (a piece of evidence, its plan of approach): a PDF, a
    JPEG or a PNG by its bytes, at most `max_bytes`, kept without its metadata (common.cleaning). Returns
    {id, content_type, size}. `clean`: files.cleaned, or the service's way of running it (common.cleaner).
    Any company's files no version named a day after they came are dropped first;
    a company holding MAX_UNBOUND_FILES such files, or MAX_COMPANY_FILE_BYTES of files sent or not, is refused
    another (storage stays bounded)."""
    now = clock.now()
    refused = files.fault(content, max_bytes)
    if refused is None:
        store.drop_unbound_files(now - timedelta(days=domain.UNBOUND_FILE_DAYS))
        if store.unbound_files(company_id) >= domain.MAX_UNBOUND_FILES:
            refused = problems.UNSENT_FILES(max=domain.MAX_UNBOUND_FILES)
        elif store.files_size(company_id) + len(content) > domain.MAX_COMPANY_FILE_BYTES:
            refused = problems.FILES_KEPT_FULL(max_mb=domain.MAX_COMPANY_FILE_BYTES // 2 ** 20)
    if refused is None:
        try:
            content = clean(content)
        except files.Unreadable:
            refused = problems.FILE_TYPE(file=None)
    if refused is not None:
        raise errors.Invalid.at("file", refused)
    content_type = files.type_of(content)
    file_id = store.add_file(company_id, content, content_type, now)
    log.info("report file kept", company_id=company_id, file_id=file_id, content_type=content_type)
    return {"id": file_id, "content_type": content_type, "size": len(content)}


def report_file(caller: Caller, report_id: str, version: int, file_id: str, *, store) -> tuple[bytes, str, str]:
    """A file a version of a report names, to the report's owner and the secretariat (NotFound to anyone
    else, and for a file the version does not name): its content, type and the name to give it."""
    header = store.report(report_id)
    if header is None or not caller.may_see(header["company_id"]):
        raise errors.NotFound()
    return _version_file(header, version, file_id, store=store)


def _version_file(header: dict, version: int, file_id: str, *, store) -> tuple[bytes, str, str]:
    found = next((each for each in store.report_versions(header["_id"]) if each["version"] == version), None)
    named = domain.file_ids(found["report"]) if found else []
    kept = store.file_content(file_id, header["company_id"]) if file_id in named else None
    if kept is None:
        raise errors.NotFound()
    content, content_type = kept
    return content, content_type, domain.file_name(named.index(file_id) + 1, content_type)


def _files_of(report: dict, company_id: str, *, store) -> list[dict]:
    """The files a version names, described (id, type, size), in the order it names them."""
    described = (store.file_described(file_id, company_id) for file_id in domain.file_ids(report))
    return [each for each in described if each]


def require_framework(year: int, *, scoring, known_years: set) -> None:
    """A year must have an assessment framework. Frameworks are never withdrawn, so a year scoring
    confirmed once is remembered: while scoring is down, reports for it are still taken (their events
    wait on the broker). An unknown year is a bad `covenant_year` (422)."""
    if year in known_years:
        return
    with errors.field_error("covenant_year", errors.NotFound):
        scoring.get_framework(year)
    known_years.add(year)


def preview_report(company_id: str, report: dict, *, store, scoring) -> dict:
    """The assessment the report would get: nothing stored, nothing sent."""
    company = domain.snapshot(store.company(company_id))
    with errors.field_error("covenant_year", errors.NotFound):
        return scoring.assess(report, company)


def list_reports(caller: Caller, *, store, company_id: str | None = None,
                 covenant_year: int | None = None) -> list[dict]:
    """A company's own reports; the secretariat's, every company's (or the one it asks for)."""
    company_id = company_id if caller.is_secretariat else caller.id
    return [domain.summary(each) for each in store.report_list(company_id, covenant_year)]


def report_detail(caller: Caller, report_id: str, *, store) -> dict:
    """A report with its version history, to its owner and the secretariat; NotFound to anyone else."""
    header = store.report(report_id)
    if header is None or not header.get("latest_version") or not caller.may_see(header["company_id"]):
        raise errors.NotFound()
    versions = store.report_versions(report_id)
    return {
        **domain.summary(header), "report": versions[-1]["report"],
        "versions": [{"version": each["version"], "submitted_at": each["submitted_at"], "report": each["report"],
                      "files": _files_of(each["report"], header["company_id"], store=store)} for each in versions],
    }


def report_version(report_id: str, version: int, *, store) -> dict | None:
    """One sent version of a report with every answer, for another service that decided who may read it
    (complaints, for the commission deciding an appeal against it); None when there is no such version."""
    header = store.report(report_id)
    found = next((each for each in store.report_versions(report_id) if each["version"] == version), None) \
        if header else None
    if found is None:
        return None
    return {"report_id": report_id, "version": version, "company_id": header["company_id"],
            "covenant_year": header["covenant_year"], "submitted_at": _iso(found["submitted_at"]),
            "report": json.loads(json.dumps(found["report"], default=_iso)),  # dates as ISO text, over RPC
            "files": _files_of(found["report"], header["company_id"], store=store)}


def version_file(report_id: str, version: int, file_id: str, *, store) -> dict | None:
    """A file one sent version of a report names, for another service that decided who may read it
    (complaints, for the commission deciding an appeal against that version): {"content" (base64: the
    message is JSON), "content_type", "name", "company_id"}, or None."""
    header = store.report(report_id)
    if header is None:
        return None
    try:
        content, content_type, name = _version_file(header, version, file_id, store=store)
    except errors.NotFound:
        return None
    return {"content": base64.b64encode(content).decode("ascii"), "content_type": content_type, "name": name,
            "company_id": header["company_id"]}


def _iso(moment) -> str:
    return moment.isoformat() if hasattr(moment, "isoformat") else str(moment)


def me(caller: Caller, *, store) -> dict:
    """Who the caller is: its role, and for a member its own record (what a client shows it)."""
    if caller.is_secretariat:
        return {"role": caller.role}
    return {"role": caller.role, "member": domain.public(store.member(caller.role, caller.id))}


def member_list(*, store) -> list[dict]:
    """The covenant's member companies as the public may know them: id, name, country and role."""
    return sorted(({key: each[key] for key in ("id", "name", "country", "role")} for each in store.companies_list()),
                  key=lambda each: each["name"].casefold())


def companies(ids: list[str] | None = None, *, store) -> list[dict]:
    """Every member company (or those of `ids`) as the secretariat sees it (never a token hash)."""
    return [domain.public(each) for each in (store.companies_list() if ids is None else store.companies_of(ids))]


def company_names(ids: list[str], *, store) -> list[dict]:
    """The id and name of each of these companies (only those fields are read)."""
    return [{"id": each["_id"], "name": each["name"]} for each in store.companies_of(ids, {"name": 1})]


def company(company_id: str, *, store) -> dict:
    found = store.company(company_id)
    if found is None:
        raise errors.NotFound()
    return domain.public(found)


def commission(caller: Caller, *, store) -> list[dict]:
    """The commission's members, each seated or waiting for the chair's confirmation, as the secretariat and
    the chair see them (never a token hash)."""
    if not caller.is_secretariat:
        _require_chair(caller, store)
    return [domain.public(each) for each in store.commission_list()]


def members(*, store) -> dict:
    """Every company and authority, as their registration events carried them."""
    return {"companies": [domain.snapshot(each) for each in store.companies_list()],
            "authorities": [domain.authority_snapshot(each) for each in store.authorities_list()]}
