"""What the complaints service does, as plain functions taking their ports (no nameko).

Ports: `store` (CaseStore), `sealer` (seals personal data), `procedure` (the Procedure), `publisher`
(builds and publishes events), `clock` (`now()`), `scoring` (the scoring service, for appeals:
`assessment_of_version`), `submission` (the member list, `list_members`, when an event is still on its way).

Who sees what: the complainant's identity the commission only (and the secretariat only where the
complainant agreed); the company concerned learns of a case once it is found admissible, and reads its
substance without the complainant's identity when the commission shares it; the secretariat sees that
cases exist and their state; the filer follows its case with the follow-up code it was given once. Every
reading of a filer's identity is recorded before it is shown, in a trail the commission's chair alone reads;
a member of the commission takes part once the chair confirmed its seat.
"""
from __future__ import annotations

import base64
import hmac
import math
import secrets
from datetime import datetime, timedelta

from common import errors, events, files, network, outbox, problems, vocabulary
from common.identity import Caller, token_hash
from common.logging import get_logger
from common.vocabulary import COMMISSION, COMPANY, SECRETARIAT
from services.complaints import domain

log = get_logger(__name__)
FILER = "filer"


# --- filing -------------------------------------------------------------------------------------------------

def file_case(form: dict, attachments: list[bytes], address: str, *, store, sealer, procedure, publisher, clock,
              submission, limit_per_day: int, real_clock, clean=files.cleaned) -> dict:
    """Files a case, anonymously if the filer wishes, with its photos and PDFs (all of them or, if one is
    refused, nothing; each without its metadata: common.cleaning); returns its number and the follow-up code, shown
    this once (only its hash is kept). Filings per address are limited over a rolling day of `real_clock`
    (the database forgets them by real time, whatever `clock`, a demo's perhaps, says).

    The limit keeps no address: a mark of it under a random key of the day (network.DayKeys: kept sealed
    apart from the marks, deleted once they cannot count) and the hour it filed in, not the moment. While
    that key is kept, whoever holds it (COMPLAINTS_SECRET_KEY and the database) can test an address against
    the marks: the filing's, and a mistyped follow-up code's, which names its case."""
    faults = {}
    if form.get("company_id") and not _is_member(form["company_id"], store=store, submission=submission):
        faults["company_id"] = [problems.NO_SUCH_COMPANY()]
    refused_files = domain.attachment_faults(attachments)
    if refused_files:
        faults["attachments"] = refused_files
    if faults:
        raise errors.Invalid(faults)
    # The limit is asked before any file is cleaned (a PDF of thousands of pages takes seconds): an address
    # over it costs the service no cleaning; a file found unreadable then gives its place back.
    filing = _count_filing(address, store=store, sealer=sealer, real_clock=real_clock, limit_per_day=limit_per_day)
    attachments, refused_files = _cleaned(attachments, clean)
    if refused_files:
        store.forget_filing(filing)
        raise errors.Invalid({"attachments": refused_files})
    now = clock.now()
    filed = _file(form, now, store=store, sealer=sealer, procedure=procedure, publisher=publisher,
                  filer={"role": FILER})
    for content in attachments:
        _attach(filed["number"], content, now, store=store, sealer=sealer)
    return filed


def _count_filing(address: str, *, store, sealer, real_clock, limit_per_day: int):
    """Counts a filing from `address` (the filing kept, to forget should it be refused after all); TooMany
    when the address filed `limit_per_day` cases in the rolling day."""
    really = real_clock.now()
    hour = really.replace(minute=0, second=0, microsecond=0)
    marks = _marks(address, really, domain.FILING_WINDOW, "filing", store=store, sealer=sealer)
    # Counted before it is checked, so that filings made at the same moment cannot all pass the limit.
    filing = store.record_filing(marks[0], hour)
    wait = network.wait_to_ask_again(store.filings_since(marks, really - domain.FILING_WINDOW, besides=filing),
                                     really, limit_per_day, domain.FILING_WINDOW)
    if wait is not None:
        store.forget_filing(filing)  # refused: waiting as told must be enough
        hours = max(1, math.ceil(wait.total_seconds() / 3600))
        raise errors.TooMany(problems.TOO_MANY_CASES(hours=hours),
                             retry_after=max(1, math.ceil(wait.total_seconds())))
    return filing


def _marks(address: str, now: datetime, window: timedelta, purpose: str, *, store, sealer) -> list[str]:
    """The address's marks for `purpose`, today's first, under the keys of the days a window ending `now`
    reaches into. A follow-up code's are of its case: the marks kept for filings and for each case's wrong
    codes cannot be matched with each other, so the store does not say which address that filed mistyped
    which case's code, nor that one address guessed at several cases."""
    return network.DayKeys(store, sealer, domain.MARK_KEYS_KEPT).marks(address, now, window, purpose)


def _cleaned(attachments: list[bytes], clean) -> tuple[list[bytes], list[problems.Problem]]:
    """The files without their metadata, and what is wrong with any that cannot be read as what its first
    bytes say it is."""
    cleaned, faults = [], []
    for place, content in enumerate(attachments, 1):
        try:
            cleaned.append(clean(content))
        except files.Unreadable:
            faults.append(problems.FILE_TYPE(file=place if len(attachments) > 1 else None))
    return cleaned, faults


def _file(form: dict, now: datetime, *, store, sealer, procedure, publisher, filer: dict) -> dict:
    number = domain.case_number(now.year, store.next_number(now.year))
    code = domain.new_follow_up_code(secrets.choice)
    filed = {
        "number": number, "kind": form["kind"], "company_id": form.get("company_id"),
        "language": form["language"],
        "sealed": {name: sealer.seal(form.get(name)) for name in domain.PERSONAL},
        "contact_given": bool(form.get("contact")),
        "share_identity_with_secretariat": bool(form.get("share_identity_with_secretariat")),
        "follow_up_hash": token_hash(domain.follow_up_canonical(code)), "filed_at": now, "covenant_year": domain.covenant_year_of(now.date()),
        "filed_by": filer, "appeal": form.get("appeal"),
    }
    deadline = procedure.deadline(procedure.initial, now)
    event = publisher.new("case_received", {
        "number": number, "kind": form["kind"], "language": form["language"], "filed_at": now.isoformat(),
        "covenant_year": filed["covenant_year"], "company_id": form.get("company_id"),
        "acknowledgement": _email(form.get("contact")) is not None,
        "deadline": deadline.isoformat() if deadline else None})
    kept = store.add_change(number, {"type": "filed", "at": now, "by": filer, "from_state": None,
                                     "to_state": procedure.initial, "deadline": _iso(deadline), "filed": filed},
                            event)
    outbox.publish(kept, publisher)
    log.info("case filed", number=number, kind=form["kind"])
    return {"number": number, "follow_up_code": code, "state": procedure.initial, "filed_at": now}


def _email(contact: str | None) -> str | None:
    """The contact, when it is an e-mail address the acknowledgement can go to (the form checked it)."""
    return contact.strip() if contact and "@" in contact else None


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def file_appeal(caller: Caller, appeal: dict, *, store, sealer, procedure, publisher, clock, scoring) -> dict:
    """A company contests the assessment of one of its report versions, naming the criteria and why."""
    assessed = scoring.assessment_of_version(appeal["report_id"], appeal["version"])
    if assessed is None or assessed["company"]["id"] != caller.id:  # unknown or not yours: the same answer
        raise errors.NotFound(problems.NO_ASSESSMENT_TO_CONTEST())
    codes = {each["code"] for each in assessed["assessment"]["criteria"]}
    unknown = sorted(set(appeal["criteria"]) - codes)
    if unknown:
        raise errors.Invalid.at("criteria", problems.NOT_CRITERIA_OF_ASSESSMENT(criteria=unknown))
    form = {"kind": "assessment_appeal", "company_id": caller.id, "language": assessed["company"]["language"],
            "what_happened": appeal["reasons"], "name": assessed["company"]["name"],
            "contact": assessed["company"]["email"],
            "appeal": {"report_id": appeal["report_id"], "version": appeal["version"],
                       "covenant_year": assessed["assessment"]["covenant_year"], "criteria": appeal["criteria"]}}
    return _file(form, clock.now(), store=store, sealer=sealer, procedure=procedure, publisher=publisher,
                 filer={"role": COMPANY, "id": caller.id})


# --- the filer, with its follow-up code ---------------------------------------------------------------------

def _changes_for_code(number: str, code: str | None, store, sealer, *, address: str, attempts: int, alert_after: int,
                      real_clock, alarm=None) -> list[dict]:
    """The case's changes, if `code` is its follow-up code (as typed, in any case and grouping:
    domain.follow_up_forms); NotFound otherwise (the same answer for a case that does not exist: a wrong
    code learns nothing).

    Wrong codes are limited per case and per address (its mark, never the address): after `attempts` for
    one case from one address in an hour of real time, that address's codes for that case are not checked
    until the oldest leaves the hour (TooMany). Case numbers are public and a code has 100 bits: the limit
    slows a nuisance, it need not stop a guess; and no one can hold up the filer from another address. Every
    address's wrong codes for a case are counted too: from the `alert_after`th in the hour on, each calls
    `alarm(number)` (a metric), and a warning is logged when the count reaches it; the case is never
    locked."""
    now = real_clock.now()
    since = now - domain.FOLLOW_UP_WINDOW
    marks = _marks(address, now, domain.FOLLOW_UP_WINDOW, f"follow-up|{number}", store=store, sealer=sealer)
    # Counted before it is checked (then forgotten when right), so that guesses sent at once cannot all pass.
    attempt = store.record_follow_up_attempt(number, marks[0], now)
    wait = network.wait_to_ask_again(store.follow_up_attempts_since(number, since, besides=attempt, marks=marks),
                                     now, attempts, domain.FOLLOW_UP_WINDOW)
    if wait is not None:
        store.forget_follow_up_attempt(attempt)  # no code was tried: waiting as told must be enough
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        raise errors.TooMany(problems.TOO_MANY_CODES(minutes=minutes),
                             retry_after=max(1, math.ceil(wait.total_seconds())))
    changes = store.changes_of(number)
    kept = changes[0]["filed"]["follow_up_hash"] if changes else None
    if not kept or not code or not any(hmac.compare_digest(kept, token_hash(form))
                                       for form in domain.follow_up_forms(code)):
        _count_wrong_code(number, since, store=store, alert_after=alert_after, alarm=alarm)
        raise errors.NotFound()
    store.forget_follow_up_attempt(attempt)
    return changes


WARNED_PAST = 5


def _count_wrong_code(number: str, since: datetime, *, store, alert_after: int, alarm) -> None:
    """Tells of a case whose codes many guess at (from many addresses, each held to its own limit)."""
    tried = store.count_follow_up_attempts(number, since)
    if tried < alert_after:
        return
    # the first few past the bound (guesses counted at the same moment may pass it together), then each
    # further bound's worth: a few lines that name the case, never one per guess
    if tried < alert_after + WARNED_PAST or tried % alert_after == 0:
        log.warning("many wrong follow-up codes for one case", number=number, tried=tried,
                    window_minutes=int(domain.FOLLOW_UP_WINDOW.total_seconds() // 60))
    if alarm is not None:
        alarm(number)


def follow_up(number: str, code: str | None, *, store, sealer, **limit) -> dict:
    """The filer's view: where the case stands, its steps' dates, and the messages between it and the
    commission. `limit`: the follow-up codes' (`_changes_for_code`: address, attempts, alert_after,
    real_clock, alarm)."""
    changes = _changes_for_code(number, code, store, sealer, **limit)
    case = domain.current(changes)
    return {"number": number, "kind": case["kind"], "state": case["state"], "state_since": case["state_since"],
            "admissible": case["admissible"], "filed_at": case["filed_at"], "attachments": _attachments(changes),
            "steps": [{"state": each["to_state"], "at": each["at"], "admissible": each.get("admissible")}
                      for each in changes if each["type"] in ("filed", "moved")],
            "messages": [_message(each, sealer) for each in changes if each["type"] == "message"
                         and each["to"] in (FILER, COMMISSION) and each["from"] in (FILER, COMMISSION)]}


ACKNOWLEDGEMENT_WINDOW = timedelta(days=7)  # notification asks when it handles case_received, within minutes


def acknowledgement_address(number: str, *, store, sealer, clock) -> str | None:
    """The e-mail address the filer of a case gave for its acknowledgement (notification asks, to send it),
    while the case is a week old at most; else None (also for no such case, or no e-mail address given)."""
    changes = store.changes_of(number)
    if not changes or clock.now() - changes[0]["filed"]["filed_at"] > ACKNOWLEDGEMENT_WINDOW:
        return None
    address = _email(sealer.open(changes[0]["filed"]["sealed"]["contact"]))
    if address is not None:  # given out: recorded first, as every reading of a filer's identity
        store.record_identity_reading(number, clock.now(), ACKNOWLEDGING, ["contact"])
    return address


def add_information(number: str, code: str | None, text: str, *, store, sealer, clock, **limit) -> dict:
    """The filer adds information to its case later (sealed: it may identify the filer)."""
    _changes_for_code(number, code, store, sealer, **limit)
    store.add_change(number, {"type": "message", "at": clock.now(), "by": {"role": FILER}, "from": FILER,
                              "to": COMMISSION, "text": sealer.seal(text), "sealed": True}, None)
    return {"number": number, "added": True}


def add_attachment(number: str, code: str | None, content: bytes, *, store, sealer, clock, clean=files.cleaned,
                   **limit) -> dict:
    """A photo or a PDF added to the case by its filer, without its metadata; its type is read from its
    bytes, never its name."""
    changes = _changes_for_code(number, code, store, sealer, **limit)
    if len(content) > domain.MAX_ATTACHMENT_BYTES:
        raise errors.TooLarge("An attachment may be 5 MB at most.")
    faults = domain.attachment_faults([content], already=len(_attachments(changes)))
    if not faults:
        (content, *_), faults = _cleaned([content], clean)
    if faults:
        raise errors.Invalid({"attachment": faults})
    return _attach(number, content, clock.now(), store=store, sealer=sealer)


def _attach(number: str, content: bytes, now: datetime, *, store, sealer) -> dict:
    """Keeps a checked attachment, cleaned of its metadata and sealed (a photo may show who took it), and
    notes it in the case."""
    described = {"content_type": files.type_of(content), "size": len(content)}
    described["id"] = store.add_attachment(number, sealer.seal_bytes(content), described["content_type"])
    store.add_change(number, {"type": "attachment", "at": now, "by": {"role": FILER}, "attachment": described},
                     None)
    return described


def _attachments(changes: list[dict]) -> list[dict]:
    return [each["attachment"] for each in changes if each["type"] == "attachment"]


def _message(change: dict, sealer) -> dict:
    text = sealer.open(change["text"]) if change.get("sealed") else change["text"]
    return {"at": change["at"], "from": change["from"], "to": change["to"], "text": text}


# --- the commission, the secretariat and the company concerned -------------------------------------------------

def _member(caller: Caller, store) -> dict | None:
    """The commission member calling, as the registrations heard say (None for any other caller). A seat
    that does not sit on the commission yet, as heard, takes no part: its confirmation may still be on its
    way (its code works only once the chair confirmed it)."""
    if caller.role != COMMISSION:
        return None
    member = store.commission_member(caller.id)
    if member is None or not member.get("seated", True):  # registered before seats were confirmed: seated
        raise errors.Unavailable("Your seat on the commission is still on its way; try again in a minute.")
    return member


def _seat(caller: Caller, store) -> str | None:
    member = _member(caller, store)
    return member["seat"] if member else None


def _reader(caller: Caller, store) -> dict:
    """Who reads a filer's identity, as the chair's trail names it."""
    member = _member(caller, store)
    if member:
        return {"role": COMMISSION, "id": caller.id, "seat": member["seat"], "name": member["name"]}
    return {"role": caller.role, "id": caller.id, "seat": None, "name": None}


# The notification service reads a filer's address to send its acknowledgement (over RPC).
ACKNOWLEDGING = {"role": "acknowledgement", "id": None, "seat": None, "name": None}


def _read_identity(case: dict, reader: dict, *, store, sealer, clock) -> dict:
    """The filer's identity (its name and contact), the reading recorded first (who, when, which case, what)
    in the trail the chair reads: nothing is shown that is not recorded. An anonymous filer's nothing is no
    reading."""
    given = [name for name in ("name", "contact") if case["sealed"].get(name) is not None]
    if given:
        store.record_identity_reading(case["number"], clock.now(), reader, given)
    return {name: sealer.open(case["sealed"].get(name)) for name in ("name", "contact")}


def _require_chair(caller: Caller, store) -> None:
    if _seat(caller, store) != "chair":
        raise errors.Forbidden(problems.CHAIR_ONLY())


def identity_readings(caller: Caller, number: str | None, page: int, per_page: int, *, store) -> dict:
    """The trail of every reading of a filer's identity, newest first, for the chair alone."""
    _require_chair(caller, store)
    items, total = store.identity_readings(number, (page - 1) * per_page, per_page)
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def _visible_to_company(case: dict, company_id: str) -> bool:
    own_appeal = case["kind"] == "assessment_appeal" and case["filed_by"].get("id") == company_id
    return own_appeal or (case["company_id"] == company_id and bool(case["admissible"]))


def cases(caller: Caller, *, store) -> list[dict]:
    """The cases the caller may know of, in brief: the commission and the secretariat all (the secretariat
    not whom they are about), a company those about it that were found admissible, and its own appeals."""
    _member(caller, store)
    found = []
    for number in store.numbers(caller.id if caller.role == COMPANY else None):
        case = domain.current(store.changes_of(number))
        if caller.role == COMPANY and not _visible_to_company(case, caller.id):
            continue
        brief = _brief(case)
        if caller.role == SECRETARIAT:  # that cases exist and where they stand
            del brief["company_id"], brief["admissible"]
        found.append(brief)
    return found


def _brief(case: dict) -> dict:
    return {"number": case["number"], "kind": case["kind"], "state": case["state"], "filed_at": case["filed_at"],
            "state_since": case["state_since"], "deadline": case["deadline"], "company_id": case["company_id"],
            "covenant_year": case["covenant_year"], "admissible": case["admissible"]}


def case_detail(caller: Caller, number: str, *, store, sealer, clock) -> dict:
    """One case as the caller may see it; a reading of its filer's identity is recorded for the chair."""
    reader = _reader(caller, store) if caller.role in (COMMISSION, SECRETARIAT) else None
    changes = store.changes_of(number)
    if not changes:
        raise errors.NotFound()
    case = domain.current(changes)
    shown = {**_brief(case), "party": _party(case, sealer), "admissible": case["admissible"],
             "decision": case["decision"],
             "history": [{"from": each["from_state"], "to": each["to_state"], "at": each["at"],
                          "by": each["by"], "reason": _reason(each, sealer), "admissible": each.get("admissible")}
                         for each in changes if each["type"] in ("filed", "moved")]}
    if caller.role == COMMISSION:
        return {**shown, **_substance(case, sealer),
                **_read_identity(case, reader, store=store, sealer=sealer, clock=clock), "appeal": case["appeal"],
                "language": case["language"],  # to write to the filer in the language it chose
                "share_identity_with_secretariat": case["share_identity_with_secretariat"],
                "attachments": _attachments(changes), "messages": [_message(each, sealer) for each in changes
                                                                   if each["type"] == "message"]}
    if caller.role == SECRETARIAT:
        shown = {key: shown[key] for key in ("number", "kind", "state", "filed_at", "state_since", "deadline",
                                              "covenant_year", "history")}
        shown["history"] = [{key: each[key] for key in ("from", "to", "at")} for each in shown["history"]]
        return {**shown, **(_read_identity(case, reader, store=store, sealer=sealer, clock=clock)
                            if case["share_identity_with_secretariat"] else {})}
    if caller.role == COMPANY and _visible_to_company(case, caller.id):
        own_appeal = case["kind"] == "assessment_appeal"
        # A company learns of a complaint once it is found admissible: the steps before, and why they were
        # taken, are the commission's.
        steps = shown["history"] if own_appeal else \
            shown["history"][next(place for place, each in enumerate(shown["history"])
                                  if each["to"] == "admissibility_decided"):]
        shown["history"] = [{key: each[key] for key in ("from", "to", "at", "reason", "admissible")} for each in steps]
        if own_appeal or case["company_asked"]:
            shown.update(_substance(case, sealer), appeal=case["appeal"])
        shown["company_asked"] = case["company_asked"]
        # an appeal's filer is the company: a message written to "the filer" of an appeal is the company's
        to_company = (COMPANY, FILER) if own_appeal else (COMPANY,)
        shown["messages"] = [_message(each, sealer) for each in changes if each["type"] == "message"
                             and (each["to"] in to_company or each["from"] == COMPANY)]
        return shown
    raise errors.NotFound()


def _substance(case: dict, sealer) -> dict:
    sealed = case["sealed"]
    # cases filed before where and when were sealed keep them as written, beside the sealed fields
    return {"what_happened": sealer.open(sealed["what_happened"]),
            "where": sealer.open(sealed["where"]) if "where" in sealed else case.get("where"),
            "when": sealer.open(sealed["when"]) if "when" in sealed else case.get("when")}


def _party(case: dict, sealer) -> str | None:
    """Whom the case is about when not a member; a case filed before it was sealed keeps it as written."""
    sealed = case["sealed"]
    return sealer.open(sealed["party"]) if "party" in sealed else case.get("party")


def _reason(change: dict, sealer) -> str | None:
    """Why a step was taken (sealed at rest; a step taken before reasons were sealed keeps it as written)."""
    return sealer.open(change.get("reason")) if change.get("reason_sealed") else change.get("reason")


def move_case(caller: Caller, number: str, move: dict, *, store, sealer, procedure, publisher, clock) -> dict:
    """A commission member moves a case a step on, saying why; who may take which step, and where to, is
    the procedure's. The step is announced (notices, figures; a decided appeal corrects the assessment)."""
    seat = _seat(caller, store)
    changes = store.changes_of(number)
    if not changes:
        raise errors.NotFound()
    case = domain.current(changes)
    refused = domain.may_move(procedure, case["state"], move["to"], seat)
    if refused and refused.code == problems.SEAT_NOT_ALLOWED.code:  # a step of another seat: not this member's
        raise errors.Forbidden(refused)
    if refused:
        raise errors.Invalid.at("to", refused)
    admissible = move.get("admissible")
    if move["to"] == "admissibility_decided" and admissible is None:
        raise errors.Invalid.at("admissible", problems.ADMISSIBLE_NEEDED())
    strays = {name: [problems.ONLY_WITH_STEP(step="admissibility_decided")]
              for name in ("admissible", "share_with_company")
              if move.get(name) is not None and move["to"] != "admissibility_decided"}
    if move.get("decision") is not None and move["to"] != "decided":
        strays["decision"] = [problems.ONLY_WITH_STEP(step="decided")]
    if strays:  # said with the wrong step, it would be recorded and do nothing: a mistake to point out
        raise errors.Invalid(strays)
    if case["state"] == "admissibility_decided" and case["admissible"] is False and move["to"] != "closed":
        raise errors.Invalid.at("to", problems.INADMISSIBLE_ONLY_CLOSED())
    now = clock.now()
    deadline = procedure.deadline(move["to"], now)
    by = {"role": COMMISSION, "id": caller.id, "seat": seat}
    decision = {**_decision(case, move), "appeal": case["appeal"], "decided_by": seat} \
        if move["to"] == "decided" else None
    shares = bool(move.get("share_with_company")) and move["to"] == "admissibility_decided" and bool(admissible)
    event = publisher.new("case_moved", {
        "number": number, "kind": case["kind"], "covenant_year": case["covenant_year"], "language": case["language"],
        "from_state": case["state"], "to_state": move["to"], "at": now.isoformat(),
        "company_id": case["company_id"], "admissible": case["admissible"] if admissible is None else admissible,
        "company_asked": case["company_asked"] or shares, "deadline": _iso(deadline),
        "decision": decision or case["decision"]})  # a decided case's later steps still carry its decision
    kept = store.add_change(number, {"type": "moved", "at": now, "by": by, "from_state": case["state"],
                                     "to_state": move["to"], "reason": sealer.seal(move["reason"]),
                                     "reason_sealed": True, "deadline": _iso(deadline),
                                     "admissible": admissible, "decision": decision}, event)
    if shares:
        store.add_change(number, {"type": "company_asked", "at": now, "by": by}, None)
    outbox.publish(kept, publisher)
    log.info("case moved", number=number, from_state=case["state"], to_state=move["to"])
    return {"number": number, "state": move["to"], "deadline": _iso(deadline)}


def _decision(case: dict, move: dict) -> dict:
    decision = move.get("decision") or {}
    if case["kind"] != "assessment_appeal":
        return {"summary": decision.get("summary") or move["reason"]}
    if decision.get("outcome") not in vocabulary.APPEAL_DECISIONS:
        raise errors.Invalid.at("decision.outcome", problems.OUTCOME_NEEDED())
    corrections = decision.get("corrections") or []
    if decision["outcome"] != "rejected" and not corrections:
        raise errors.Invalid.at("decision.corrections", problems.CORRECTIONS_NAMED())
    appealed = set(case["appeal"]["criteria"])
    strays = sorted({each["code"] for each in corrections} - appealed)
    if strays:
        raise errors.Invalid.at("decision.corrections", problems.NOT_CRITERIA_OF_APPEAL(criteria=strays))
    return {"outcome": decision["outcome"], "corrections": corrections if decision["outcome"] != "rejected" else []}


def send_message(caller: Caller, number: str, message: dict, *, store, sealer, clock, publisher) -> dict:
    """The commission writes to the filer or to the company concerned (shown in their view of the case); the
    company is told in its notices. An appeal's filer is the company: whichever is chosen, it is written to."""
    _seat(caller, store)
    changes = store.changes_of(number)
    if not changes:
        raise errors.NotFound()
    case = domain.current(changes)
    to = COMPANY if case["kind"] == "assessment_appeal" else message["to"]
    if to == COMPANY and not (case["company_id"] and (case["admissible"] or case["kind"] == "assessment_appeal")):
        raise errors.Invalid.at("to", problems.NOT_YET_ADMISSIBLE())
    now = clock.now()
    event = publisher.new("case_message_sent", {
        "number": number, "kind": case["kind"], "covenant_year": case["covenant_year"], "at": now.isoformat(),
        "company_id": case["company_id"]}) if to == COMPANY else None
    kept = store.add_change(number, {"type": "message", "at": now, "by": {"role": COMMISSION, "id": caller.id},
                                     "from": COMMISSION, "to": to, "text": sealer.seal(message["text"]),
                                     "sealed": True}, event)
    if kept:
        outbox.publish(kept, publisher)
    return {"number": number, "sent": True}


def answer_case(caller: Caller, number: str, text: str, *, store, sealer, clock) -> dict:
    """The company concerned answers a case whose substance the commission shared with it."""
    changes = store.changes_of(number)
    case = domain.current(changes) if changes else None
    if case is None or not _visible_to_company(case, caller.id):
        raise errors.NotFound()
    if not case["company_asked"] and case["kind"] != "assessment_appeal":
        raise errors.Forbidden(problems.NOT_ASKED())
    store.add_change(number, {"type": "message", "at": clock.now(), "by": {"role": COMPANY, "id": caller.id},
                              "from": COMPANY, "to": COMMISSION, "text": sealer.seal(text), "sealed": True}, None)
    return {"number": number, "sent": True}


def appealed_report(caller: Caller, number: str, *, store, submission) -> dict:
    """The report version an appeal contests, with every answer the company sent and the files it named,
    for the commission that decides the appeal (a member of it); no one reads a report through a case that
    is no appeal."""
    case = _appeal(caller, number, store=store)
    appeal = case["appeal"]
    found = submission.report_version(appeal["report_id"], appeal["version"])
    if found is None or found["company_id"] != case["company_id"]:
        raise errors.NotFound()
    return {**found, "number": number, "criteria": appeal["criteria"]}


def appealed_report_file(caller: Caller, number: str, file_id: str, *, store, submission) -> tuple[bytes, str, str]:
    """A file the report version an appeal contests names, for the commission deciding the appeal: its
    content, type and name. A file of any other version or report is not found."""
    case = _appeal(caller, number, store=store)
    appeal = case["appeal"]
    kept = submission.report_version_file(appeal["report_id"], appeal["version"], file_id)
    if kept is None or kept["company_id"] != case["company_id"]:
        raise errors.NotFound()
    return base64.b64decode(kept["content"]), kept["content_type"], kept["name"]


def _appeal(caller: Caller, number: str, *, store) -> dict:
    """An assessment appeal as it stands, for a member of the commission (NotFound to anyone else, and for
    a case that is no appeal)."""
    if _seat(caller, store) is None:  # the commission's only, whoever else asks
        raise errors.NotFound()
    changes = store.changes_of(number)
    case = domain.current(changes) if changes else None
    if case is None or case["kind"] != "assessment_appeal":
        raise errors.NotFound()
    return case


def attachment(caller: Caller, number: str, attachment_id: str, *, store, sealer) -> tuple[bytes, str]:
    _seat(caller, store)
    found = store.attachment(number, attachment_id)
    if found is None:
        raise errors.NotFound()
    sealed, content_type = found
    return sealer.open_bytes(sealed), content_type


# --- time limits and the commission ------------------------------------------------------------------------------

def warn_of_time_limits(*, store, procedure, publisher, clock) -> int:
    """Tells the commission (an event) of each case whose step's time limit is about to pass, once per step."""
    warned = 0
    today = clock.now().date()
    for number in store.numbers():
        case = domain.current(store.changes_of(number))
        if not domain.due_for_warning(case, procedure, today):
            continue
        event = publisher.new("case_time_limit_approaching", {
            "number": number, "kind": case["kind"], "state": case["state"], "deadline": case["deadline"],
            "covenant_year": case["covenant_year"]})
        kept = store.warn_once(number, case["state_seq"], event)
        if kept:
            outbox.publish(kept, publisher)
            warned += 1
    return warned


def cases_of_year(covenant_year: int, *, store) -> list[dict]:
    """Each case filed in a covenant year as the published figures count it (for reporting's proof)."""
    found = []
    for number in store.numbers():
        case = domain.current(store.changes_of(number))
        if case["covenant_year"] == covenant_year:
            decision = case["decision"] or {}
            found.append({"kind": case["kind"], "state": case["state"],
                          "appeal_upheld": decision.get("outcome") in ("upheld", "upheld_in_part")})
    return found


def _is_member(company_id: str, *, store, submission) -> bool:
    """Whether the company is a member: as the registrations heard of say, or, for one registered a moment
    ago whose event is still on its way, as the submission service says."""
    if store.is_member(company_id):
        return True
    for company in submission.list_members()["companies"]:
        store.register_member(company)
    return store.is_member(company_id)


def remember_member(company, *, store) -> None:
    """The member companies, so that a case names one that exists (`company`: a company_registered
    event's, typed)."""
    store.register_member(events.data_of(company))


def remember_commission_member(member, seated: bool, *, store) -> None:
    """Who sits on the commission, and in which seat: a seat the secretariat registered takes part only
    once the chair confirmed it (`seated`). `member`: the event's, typed."""
    store.register_commission_member(events.data_of(member), seated)
