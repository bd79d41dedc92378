"""Notices: what is said to whom, when, in Dutch or English (contract §3). Pure: no nameko, no storage.

Every notice has a key derived from what it is about (company, year, kind, report version or date), so
the same cause, however often it is delivered or a timer fires, yields one notice.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process, utils

from common import covenant, events, places, problems, vocabulary
from common.events import Ordinal
from common.vocabulary import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT
from services.notification.texts import (APPEAL_OUTCOME, ASKED, REPLACED_BY, TO_CONTACT, TO_FIX, company_count, in_days,
                                         said, written)

# Whoever filed a case is known by nothing but the address it gave with it: kept until the acknowledgement
# is sent (or cannot be), then forgotten.
COMPLAINANT = "complainant"

# The secretariat's own date for a company is a delay, not a pardon: at most this long after the due date.
LONGEST_EXTENSION = timedelta(days=365)
# A restarted service still sends an alert for a date that passed this many days ago, not older ones.
ALERT_WINDOW_DAYS = 7

@dataclass(frozen=True)
class Notice:
    key: str
    kind: str
    recipient_role: str        # company or secretariat
    recipient_id: str | None   # the company; None for the secretariat
    language: str
    subject: str
    body: str
    covenant_year: int | None  # None: a notice about no one year
    created_at: datetime
    about: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)  # language -> {subject, body}: read in any page's language

    def to_document(self) -> dict:
        # Shallow (asdict would deep-copy `about` only for the store to copy it again).
        return {"_id": self.key, **{name: getattr(self, name) for name in self.__dataclass_fields__}}


Worded = Callable[[str], str]  # a value a notice words in each language (an outcome, a score, a place)


def _notice(kind: str, key: str, recipient_role: str, recipient_id, language: str, year: int,
            now: datetime, about: dict, **values) -> Notice:
    """A notice written in every language (`texts`): sent in the recipient's, read in whichever a page is in."""
    texts = written(kind, year, **values)
    return Notice(key=key, kind=kind, recipient_role=recipient_role, recipient_id=recipient_id,
                  language=language, subject=texts[language]["subject"], body=texts[language]["body"],
                  covenant_year=year, created_at=now, about=about, texts=texts)


def _word(terms: vocabulary.Terms, code: str) -> Worded:
    return functools.partial(terms.label, code)


def _number(value) -> Worded:
    return functools.partial(vocabulary.number, value)


def _to_company(kind, key, company, year, now, about, **values) -> Notice:
    return _notice(kind, key, COMPANY, company["id"], company["language"], year, now, about,
                   **values)


def _to_secretariat(kind, key, language, year, now, about, **values) -> Notice:
    return _notice(kind, key, SECRETARIAT, None, language, year, now, about, **values)


# --- notices on events -----------------------------------------------------------------------------

def receipt(submitted: dict, now: datetime) -> Notice:
    """A company's report version was received."""
    version = submitted["version"]
    return _to_company("receipt", f"receipt:{submitted['report_id']}:{version}", submitted["company"],
                       submitted["covenant_year"], now,
                       {"report_id": submitted["report_id"], "version": version}, version=version)


@dataclass(frozen=True)
class Standing:
    """Where an assessment stands among the company's assessments of its year, as this service knows them:
    whether it is the latest (the highest ordinal known; a redelivery of the latest is the latest), and the
    outcome of the assessment just before it (None: none is known). An older assessment that arrives late
    and is the one just before the latest (not a correction on appeal) names the latest (`successor`, as
    `remembered`), whose changes are then decided again with it before."""
    latest: bool = True
    replaced: str | None = None
    successor: dict | None = None


CHANGE_KINDS = ("now_compliant", "extension")  # the notices that say a company's standing changed


def rank(ordinal: Ordinal) -> int:
    """An assessment's ordinal (report version, framework version, corrections) as one number, in order."""
    return (ordinal.report_version * 1_000 + ordinal.framework_version) * 1_000 + ordinal.correction


def version_of(rank_: int) -> int:
    """The report version an assessment's rank is of."""
    return rank_ // 1_000_000


def standing_of(ordinal: Ordinal, history: dict[int, str]) -> tuple[Standing, bool]:
    """Where an assessment stands among those known (`history`: rank -> outcome, itself among them), and
    whether the latest's changes are to be decided again (it arrived late, just before the latest)."""
    own, latest = rank(ordinal), max(history)
    if own == latest:
        before = [each for each in history if each < own]
        return Standing(latest=True, replaced=history[max(before)] if before else None), False
    just_before = max(each for each in history if each < latest)
    return Standing(latest=False), own == just_before and ordinal.correction == 0


def remembered(scored: dict) -> dict:
    """What of an assessment's event is kept while it is the latest, to decide its changes again."""
    return {**{key: scored[key] for key in ("report_id", "version", "covenant_year", "submitted_at", "calendar",
                                              "company", "ordinal")},
            "assessment": {key: scored["assessment"][key] for key in ("outcome", "score", "requirements")}}


def on_scored(scored, now: datetime, extension: date | None, secretariat_language: str,
              standing: Standing = Standing()) -> list[Notice]:
    """What an assessment causes: its outcome to the company; for `needs_more_time` an alert to the
    secretariat. The notices that say the company's standing changed are decided from `standing`, never
    from what the event says of the assessment before it (scoring instances assessing two versions at once
    cannot know which came first): while the reporting round is open, an extension (to `extension`, the
    company's own date, or the catch-up date) when the latest assessment needs more time; and "now
    compliant" when the latest turns a standing of `needs_more_time` to compliant. An assessment that is not
    the latest (an older version arriving late, a correction of a version that is no longer the latest)
    changes no standing and causes neither. `scored`: the event's typed payload, or its data as kept."""
    scored = typed_scored(scored)
    company, year, version, report_id = events.data_of(scored.company), scored.covenant_year, scored.version, \
        scored.report_id
    outcome, score, ordinal = scored.assessment.outcome, scored.assessment.score, Ordinal.of(scored.ordinal)
    # one notice per assessment: a correction on appeal is another assessment of the same version
    assessed = f"{version}:{ordinal.framework_version}" + (f":c{ordinal.correction}" if ordinal.correction else "")
    about = {"report_id": report_id, "version": version, "outcome": outcome, "score": score}
    failed = [each["code"] for each in scored.assessment.requirements if each["applicable"] and not each["met"]]
    notices = [_to_company("outcome", f"outcome:{report_id}:{assessed}", company, year,
                           now, about, version=version, score=_number(score),
                           outcome=_word(vocabulary.OUTCOMES, outcome),
                           to_fix=said(TO_FIX, requirements=lambda language: ", ".join(
                               vocabulary.REQUIREMENTS.label(code, language) for code in failed)) if failed else "")]
    if outcome == "needs_more_time":
        notices.append(_to_secretariat(
            "alert_needs_more_time", f"alert_needs_more_time:{report_id}:{assessed}",
            secretariat_language, year, now, {**about, "company_id": company["id"]},
            company=company["name"], version=version, score=_number(score),
            failed=lambda language: ", ".join(vocabulary.REQUIREMENTS.label(code, language) for code in failed)))
        submitted_on = datetime.fromisoformat(scored.submitted_at).date()
        if standing.latest and submitted_on <= date.fromisoformat(scored.calendar.due_date):
            until = extension or date.fromisoformat(scored.calendar.catch_up_date)
            notices.append(_to_company("extension", f"extension:{company['id']}:{year}:{until.isoformat()}",
                                       company, year, now, {"date": until.isoformat()}, date=until))
    if standing.latest and outcome == "compliant" and standing.replaced == "needs_more_time":
        notices.append(_to_company("now_compliant", f"now_compliant:{report_id}:{assessed}",
                                   company, year, now, about, version=version))
    return notices


def typed_scored(scored):
    """A report_scored payload as handlers read it: typed as it arrives, or typed from its data as this
    service kept it (an ordinal kept before version 5 named its parts is a list: named here)."""
    if not isinstance(scored, dict):
        return scored
    return events.typed("report_scored", {**scored, "ordinal": Ordinal.of(scored["ordinal"]).to_data()})


def extension_granted(company: dict, year: int, until: date, now: datetime) -> Notice:
    return _to_company("extension_granted", f"extension_granted:{company['id']}:{year}:{until.isoformat()}",
                       company, year, now, {"date": until.isoformat()}, date=until)


def supplier_question(company: dict, authority: dict, question_id: str, now: datetime) -> Notice:
    """The company is told which authority asked about it, and what it was told."""
    return _to_company("supplier_question", f"supplier_question:{question_id}", company, None, now,
                       {"authority_id": authority["id"], "question_id": question_id},
                       authority=authority["name"], date=now.date())


def report_sampled(sampled: dict, now: datetime) -> Notice:
    year = sampled["covenant_year"]
    return _to_company("report_sampled", f"report_sampled:{sampled['company']['id']}:{year}", sampled["company"],
                       year, now, {"report_id": sampled["report_id"], "seed": sampled["seed"]})


# --- the complaints and disputes commission ---------------------------------------------------------

def case_received(received: dict, now: datetime, commission_language: str) -> Notice:
    """The commission's alert of a case filed."""
    number = received["number"]
    return _notice("case_received", f"case_received:{number}", COMMISSION, None, commission_language,
                   received["covenant_year"], now, {"number": number}, number=number,
                   case_kind=_word(vocabulary.CASE_KINDS, received["kind"]),
                   deadline=date.fromisoformat(received["deadline"]) if received["deadline"] else "-")


def acknowledgement_key(number: str) -> str:
    return f"case_acknowledged:{number}"


def case_acknowledged(received: dict, now: datetime, address: str | None) -> Notice:
    """The acknowledgement to a complainant that gave an e-mail address (`address`, which complaints keeps
    sealed and gives only to send this; None for a notice restored by a replay, never sent)."""
    number = received["number"]
    return _notice("case_acknowledged", acknowledgement_key(number), COMPLAINANT, number, received["language"],
                   received["covenant_year"], now, {"number": number, "email": address}, number=number)


def case_moved(moved: dict, company: dict | None, now: datetime) -> list[Notice]:
    """The company concerned hears of a case once it is found admissible, and of the decision."""
    if company is None:
        return []
    number, year = moved["number"], moved["covenant_year"]
    kind = _word(vocabulary.CASE_KINDS, moved["kind"])
    if moved["to_state"] == "admissibility_decided" and moved["admissible"]:
        return [_to_company("case_admissible", f"case_admissible:{number}", company, year, now, {"number": number},
                            number=number, case_kind=kind,
                            asked=said(ASKED) if moved["company_asked"] else "")]
    if moved["to_state"] == "decided" and (moved["admissible"] or moved["kind"] == "assessment_appeal"):
        decided = (moved.get("decision") or {}).get("outcome")
        outcome = said(APPEAL_OUTCOME, outcome=_word(vocabulary.APPEAL_DECISIONS, decided)) if decided else ""
        return [_to_company("case_decided", f"case_decided:{number}", company, year, now, {"number": number},
                            number=number, case_kind=kind, outcome=outcome)]
    return []


def case_message(sent: dict, company: dict, now: datetime) -> Notice:
    """The company hears that the commission wrote to it in a case (each message once)."""
    number = sent["number"]
    return _to_company("case_message", f"case_message:{number}:{sent['at']}", company, sent["covenant_year"], now,
                       {"number": number}, number=number, case_kind=_word(vocabulary.CASE_KINDS, sent["kind"]))


def case_time_limit(approaching: dict, now: datetime, commission_language: str) -> Notice:
    number = approaching["number"]
    return _notice("case_time_limit", f"case_time_limit:{number}:{approaching['state']}", COMMISSION, None,
                   commission_language, approaching["covenant_year"], now, {"number": number},
                   number=number, case_kind=_word(vocabulary.CASE_KINDS, approaching["kind"]),
                   state=_word(vocabulary.CASE_STATES, approaching["state"]),
                   deadline=date.fromisoformat(approaching["deadline"]))


def unknown_region(reported: dict, now: datetime, secretariat_language: str) -> Notice:
    """The secretariat hears of a quarry region name nobody knew, once per name."""

    def place(language: str) -> str:
        return ", ".join(part for part in (places.state_label(reported["state"], language),
                                           places.country_name(reported["country"], language)) if part)
    return _to_secretariat("alert_unknown_region",
                           f"unknown_region:{reported['country']}:{reported['state'] or ''}:"
                           f"{places.comparison_form(reported['region'])}",
                           secretariat_language, reported["covenant_year"], now, {"region": reported["region"]},
                           region=reported["region"], place=place)


def unknown_state(reported: dict, now: datetime, secretariat_language: str) -> Notice:
    """The secretariat hears of a state spelling nobody knew, once per spelling."""
    return _to_secretariat("alert_unknown_state",
                           f"unknown_state:{reported['country']}:{places.comparison_form(reported['state'])}",
                           secretariat_language, reported["covenant_year"], now,
                           {"state": reported["state"], "country": reported["country"]},
                           state=reported["state"], region=reported["region"],
                           country=functools.partial(places.country_name, reported["country"]))


# --- members' sign-in codes and the commission's seats ------------------------------------------------

def token_replaced(replaced: dict, now: datetime) -> Notice:
    """A member is told its sign-in code was replaced, by whom, and whom to tell if it did not ask: in its
    language, in its own inbox and at its own address (a commission member's, not the commission's)."""
    member, by = replaced["member"], replaced["replaced_by"]
    if by["role"] == SECRETARIAT:
        who = "secretariat"
    else:
        who = "self" if by["id"] == member["id"] else "chair"
    if member["role"] != COMMISSION:
        whom = "secretariat"
    else:  # the chair's own code: nobody on the platform is above the chair
        whom = "operators" if by["seat"] == "chair" and who == "self" else "chair"
    on = datetime.fromisoformat(replaced["replaced_at"]).date()
    return _notice("token_replaced", f"token_replaced:{replaced['replacement_id']}", member["role"], member["id"],
                   member["language"], None, now, {"email": member["email"], "replaced_by": by["role"]},
                   date=on, name=member["name"], by=said(REPLACED_BY[who]), whom=said(TO_CONTACT[whom]))


def commission_seat_awaiting(member: dict, now: datetime, commission_language: str) -> Notice:
    """The commission hears of a seat the secretariat registered, which the chair confirms (or not)."""
    return _notice("commission_seat_awaiting", f"commission_seat_awaiting:{member['id']}", COMMISSION, None,
                   commission_language, None, now, {"member_id": member["id"]}, name=member["name"],
                   seat=_word(vocabulary.COMMISSION_SEATS, member["seat"]))


# --- a company's standing per covenant year: this service is its one owner --------------------------------

# Where a year stands for a company: it need not report, its date is still to come, its date passed
# without a report, its latest version is being assessed, or the latest assessment's outcome.
STATUSES = ("not_obliged", "due", "missing", "received", "needs_more_time", "compliant")


@dataclass(frozen=True)
class Known:
    """What this service heard of a company's year: when its first version was received, its latest
    version, the latest assessment (version, outcome, score) and the secretariat's own date for it."""
    first_submitted_at: datetime | None = None
    latest_version: int | None = None
    assessed_version: int | None = None
    outcome: str | None = None
    score: float | None = None
    own_date: date | None = None


def year_standing(company: dict, calendar: covenant.YearCalendar, known: Known, today: date) -> dict:
    """A company's standing for a year, as plain JSON: whether it must report, when it first reported and
    how that counts against its dates (`reported`), the date that counts now (`deadline`, its kind and the
    days left), its latest version and the latest assessment's outcome and score (`status`: the outcome
    once the latest version is assessed)."""
    year = calendar.covenant_year
    obliged = covenant.obliged(company, year)
    latest = max(filter(None, (known.latest_version, known.assessed_version)), default=None)
    dates = covenant.dates_of(calendar, latest is not None, known.own_date)
    deadline = next((each for each in dates if each >= today), dates[-1])
    kind = "own_date" if known.own_date else "due_date" if deadline == calendar.due_date else "catch_up_date"
    reported_on = known.first_submitted_at.date() if known.first_submitted_at else None
    if latest is None:
        status = "not_obliged" if not obliged else "missing" if deadline < today else "due"
    elif known.assessed_version != latest:
        status = "received"
    else:
        status = known.outcome
    return {"covenant_year": year, "obliged": obliged, "status": status,
            "reported_on": reported_on.isoformat() if reported_on else None,
            "reported": _reported(calendar, reported_on, known.own_date, today),
            "deadline": deadline.isoformat(), "deadline_kind": kind, "days_left": covenant.days_left(deadline, today),
            "own_date": known.own_date.isoformat() if known.own_date else None,
            "latest_version": latest, "assessed_version": known.assessed_version, "outcome": known.outcome,
            "score": known.score}


def _reported(calendar: covenant.YearCalendar, reported_on: date | None, own_date: date | None, today: date) -> str:
    """When the first version came, against the year's dates (vocabulary.REPORTING_TIMES)."""
    if reported_on is None:
        return "not_yet_due" if today <= calendar.due_date else "not_reported"
    if reported_on <= calendar.due_date:
        return "on_time"
    if own_date and reported_on <= own_date:
        return "by_own_date"
    if reported_on <= calendar.catch_up_date:
        return "by_catch_up_date"
    return "late"


def member_shown(company: dict) -> dict:
    """What a standing says of the member itself."""
    return {"id": company.get("id", company.get("_id")),
            **{name: company.get(name) for name in ("name", "country", "role", "imports_directly", "joined_on")}}


def standing(company: dict, calendars: list[covenant.YearCalendar], years: dict[int, Known], today: date) -> dict:
    """A member's standing in every covenant year with a framework, and the days to come that change it
    without anything else happening (a date of a year not yet met passes)."""
    shown = [year_standing(company, calendar, years.get(calendar.covenant_year, Known()), today)
             for calendar in calendars]
    upcoming = sorted({each["deadline"] for each in shown
                       if each["days_left"] >= 0 and each["status"] not in ("compliant", "not_obliged")})
    return {"member": member_shown(company), "years": shown, "upcoming": upcoming}


def supplier_years(standing_: dict) -> list[dict]:
    """What a contracting authority learns of a member: for each covenant year it was obliged to report,
    whether and when it did, and its outcome; never its score. A company that needs more time has a date
    of its own to deliver by (`more_time_until`): the secretariat's own date for it (`more_time_by`
    "own_date"), else the year's catch-up date."""
    return [{"covenant_year": each["covenant_year"], "reported": each["reported"], "outcome": each["outcome"],
             **({"more_time_until": each["deadline"], "more_time_by": each["deadline_kind"]}
                if each["outcome"] == "needs_more_time" else {"more_time_until": None, "more_time_by": None})}
            for each in standing_["years"] if each["obliged"]]


def first_year_to_report(company: dict) -> int | None:
    """The first covenant year a member must report for (the first whose third quarter it joined by); None
    for one that does not import itself, which the covenant asks no report of."""
    if not company["imports_directly"]:
        return None
    return next(year for year in range(1, covenant.LAST_YEAR + 1) if covenant.obliged(company, year))


# --- finding a member by name ----------------------------------------------------------------------------

# How alike a name must be (rapidfuzz's weighted ratio, 0-100, after case and punctuation are set aside) to
# be offered as what was meant: "Kastelsteen" finds "Kasteelsteen B.V." (81), not "Kalksteen Import" (72).
NEAR_NAME_SCORE = 75


def near_names(text: str, companies: list[dict], limit: int = 5) -> list[dict]:
    """The members whose names are like `text` without holding it (a typo, a word missing), best first."""
    wanted = utils.default_process(text)
    others = {company["id"]: company for company in companies
              if wanted not in utils.default_process(company["name"])}  # those the search itself finds
    found = process.extract(text, {key: company["name"] for key, company in others.items()}, scorer=fuzz.WRatio,
                            processor=utils.default_process, score_cutoff=NEAR_NAME_SCORE, limit=limit)
    return [others[key] for _, _, key in found]


# --- notices on time -------------------------------------------------------------------------------

def scheduled(today: date, now: datetime, calendars: list[covenant.YearCalendar], companies: list[dict],
              outcomes: dict[tuple[str, int], str], extensions: dict[tuple[str, int], date],
              secretariat_language: str) -> list[Notice]:
    """Reminders and alerts due on `today`.

    Reminders go to every obliged company without a compliant report, 30, 7 and 1 days before its next
    date (only the latest one due, so a service that was down sends one, not three). The day after a date
    passes (or up to ALERT_WINDOW_DAYS later, after a restart), one alert to the secretariat names every
    obliged company still missing for that date. Keys make a second run, a restart or a second instance
    harmless.
    """
    notices: list[Notice] = []
    for calendar in calendars:
        year = calendar.covenant_year
        missing: dict[date, list[dict]] = {}
        for company in sorted(companies, key=lambda each: each["name"]):
            outcome = outcomes.get((company["id"], year))
            if not covenant.obliged(company, year) or outcome == "compliant":
                continue
            dates = covenant.dates_of(calendar, outcome is not None, extensions.get((company["id"], year)))
            for passed in dates:
                if passed < today <= passed + timedelta(days=ALERT_WINDOW_DAYS):
                    missing.setdefault(passed, []).append(company)
            upcoming = next((each for each in dates if each > today), None)
            due = [days for days, on in calendar.reminders(upcoming).items() if on <= today] if upcoming else []
            if due:
                days = min(due)  # the reminder (30, 7 or 1 days before); it says the days actually left
                notices.append(_to_company(
                    "reminder", f"reminder:{company['id']}:{year}:{upcoming.isoformat()}:{days}", company, year,
                    now, {"date": upcoming.isoformat(), "days_before": days}, date=upcoming,
                    days_left=in_days(covenant.days_left(upcoming, today))))
        for passed, named in sorted(missing.items()):
            notices.append(_to_secretariat(
                "alert_missing", f"alert_missing:{year}:{passed.isoformat()}", secretariat_language, year, now,
                {"date": passed.isoformat(), "company_ids": [company["id"] for company in named]},
                companies_count=company_count(len(named)), date=passed,
                companies=", ".join(company["name"] for company in named)))
    return notices


def due_since(notice: Notice) -> date:
    """The day a notice of the timer first became due: a reminder `days_before` its date, an alert the day
    after the date it is about."""
    day = date.fromisoformat(notice.about["date"])
    return day - timedelta(days=notice.about["days_before"]) if notice.kind == "reminder" else day + timedelta(days=1)


def sent_before_a_rebuild(notice: Notice, rebuilt: datetime | None) -> bool:
    """Whether a notice of the timer was due on or before the day this service was last rebuilt from a
    replay: it was sent before the loss (or, as a notice restored by a replay, is not sent now)."""
    return rebuilt is not None and due_since(notice) <= rebuilt.date()


# --- channels --------------------------------------------------------------------------------------

SIGNATURE_HEADER = "X-TruStone-Signature"


def signature(secret: str, body: bytes) -> str:
    """The webhook signature header value: HMAC-SHA256 of the exact body, hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def message_id(key: str, sender: str) -> str:
    """The Message-ID of a notice's e-mail, RFC 5322's `<id-left@id-right>` as `email.utils.make_msgid`
    makes it, but the same every time the notice is sent (a mail system drops a second copy as the
    duplicate it is) and different for every notice: the left part is a hash of the notice's key (which
    may hold spaces, colons and any letter), the right part the sender's domain."""
    domain = sender.rpartition("@")[2].strip(" <>") or "trustone.invalid"
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", domain):
        domain = "trustone.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()}.notice@{domain}>"


def shown(document: dict, language: str | None = None) -> dict:
    """A stored notice as its recipient sees it: in `language` when asked (and the notice was written in it;
    notices stored before they were written in every language are in their recipient's only)."""
    written = document.get("texts", {})
    language = language if language in written else document["language"]
    text = written.get(language, document)
    return {"key": document["_id"], "kind": document["kind"], "language": language,
            "subject": text["subject"], "body": text["body"],
            **{name: document[name] for name in ("covenant_year", "created_at", "about")},
        "deliveries": {channel: {"state": state["state"], "attempts": state["attempts"]}
                       for channel, state in document.get("deliveries", {}).items()}}


# --- webhook targets: never inside the network ------------------------------------------------------

class RefusedTarget(ValueError):
    """A webhook URL that may not be called; `problem` says why (common.problems)."""

    def __init__(self, problem: problems.Problem):
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class WebhookTarget:
    """Where a webhook URL points: the host as named (for the Host header and TLS's SNI), the port and the
    path; `trusted` when the operator allows the host (WEBHOOK_TRUSTED_HOSTS: plain http, any address)."""
    scheme: str
    host: str
    port: int
    path: str
    trusted: bool

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == {"https": 443, "http": 80}[self.scheme] else f"{host}:{self.port}"


# A host whose last label is a number is an IP address in some notation (0x7f000001, 2130706433,
# 017700000001, 127.1): libc reads them all, people cannot. Only the plain forms are taken.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def webhook_target(url: str, trusted_hosts: frozenset[str] = frozenset()) -> WebhookTarget:
    """The target of a webhook URL, or RefusedTarget: https only (plain http for trusted hosts), no user
    name or password, a host named by DNS or by a plain IP address that is public."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    trusted = host in trusted_hosts
    if scheme != "https" and not (scheme == "http" and trusted):
        raise RefusedTarget(problems.HTTPS_URL())
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget(problems.URL_CREDENTIALS())
    if not host:
        raise RefusedTarget(problems.URL_NO_HOST())
    try:
        port = {"https": 443, "http": 80}[scheme] if parts.port is None else parts.port
    except ValueError:
        port = 0
    if not port:
        raise RefusedTarget(problems.URL_PORT())
    if not trusted:
        try:
            literal = ip_address(host)
        except ValueError:  # not an IP address as written: a DNS name, unless it is a number in disguise
            if _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
                raise RefusedTarget(problems.URL_NUMERIC_HOST()) from None
        else:
            check_addresses([literal])
    return WebhookTarget(scheme, host, port, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                         trusted)


def check_addresses(addresses: list) -> None:
    """RefusedTarget unless every address (what a host resolves to) is public."""
    if not addresses:
        raise RefusedTarget(problems.HOST_UNRESOLVED())
    for address in addresses:
        if not outward(ip_address(address)):
            raise RefusedTarget(problems.HOST_NOT_PUBLIC())


def outward(address: IPv4Address | IPv6Address) -> bool:
    """A public address: globally routable, and none of loopback, private, link-local, multicast, reserved
    or unspecified; an IPv6 address that carries an IPv4 one (mapped, 6to4, Teredo, NAT64) only when that
    one is public too."""
    if not address.is_global or any((address.is_loopback, address.is_private, address.is_link_local,
                                     address.is_multicast, address.is_reserved, address.is_unspecified)):
        return False
    return all(outward(inner) for inner in _carried(address))


def _carried(address: IPv4Address | IPv6Address) -> list[IPv4Address]:
    if address.version == 4:
        return []
    carried = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if int(address) >> 32 == 0x0064FF9B << 64:  # NAT64, 64:ff9b::/96
        carried.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return [each for each in carried if each is not None]


def webhook_shown(webhook: dict) -> dict:
    """A webhook as its owner sees it: never its secret."""
    return {"id": webhook["_id"], "url": webhook["url"], "created_at": webhook["created_at"]}


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: base, 2 x base, 4 x base, ..."""
    return timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0))
