"""What the portal does for the people who use it, as plain functions taking their ports (no nameko).

Ports: `api` (the services' public HTTP API: `as_(token)`, `get`, `post`, `fetch`), `store` (PortalStore:
sessions, drafts, failed sign-ins), `cipher` (seals the token a session holds), `clock` (`now()`),
`rules` (SessionRules: idle minutes, sign-ins allowed). Every page about a member's data asks the API
with the signed-in user's own token, so the services decide what each user may see and do.
"""
from __future__ import annotations

import hmac
import json
import math
import re
import secrets
from urllib.parse import quote
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from common import covenant, errors, network, places, problems, vocabulary
from common.i18n import N_
from common.logging import get_logger
from common.vocabulary import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT
from services.portal import domain

log = get_logger(__name__)
TOUCH_AFTER = timedelta(minutes=1)  # a busy session is written at most once a minute


@dataclass(frozen=True)
class SessionRules:
    idle_minutes: float
    sign_in_attempts: int
    sign_in_attempts_overall: int = 100
    max_hours: float = 12


@dataclass
class Visitor:
    """Who is looking at a page: signed in or not, in which language, with the session's form token."""
    language: str
    session_id: str | None = None
    role: str | None = None
    member: dict | None = None
    token: str | None = None
    csrf: str | None = None
    expired: bool = False            # a session ended by idling: say so on the sign-in page
    ended: dict | None = None        # that session's member and form token, to keep what its form carried
    new_session_id: str | None = None  # the cookie to set, when this visit opened a session
    device: str | None = None          # the device cookie to set, when this visit signed in

    @property
    def signed_in(self) -> bool:
        return self.role is not None


@dataclass
class FormOutcome:
    """What a form post came to: a state to show again with its errors, or a place to go next."""
    state: dict | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    assessment: dict | None = None
    done: dict | None = None          # what was stored (an accepted report, a registered member, ...)
    message: str | None = None        # a short confirmation to show
    page: dict = field(default_factory=dict)  # what the page shows besides the form
    status: int = 422                 # the page's status when there are errors (429: asked too often)
    retry_after: int | None = None    # with a 429: in how many seconds to try again


# --- sessions ---------------------------------------------------------------------------------------------

def visit(session_id: str | None, language: str, *, store, cipher, clock, rules: SessionRules) -> Visitor:
    """The visitor a request's session cookie belongs to; an expired or unknown session is none."""
    if not session_id:
        return Visitor(language)
    session = store.session(session_id)
    now = clock.now()
    if session is None:
        return Visitor(language)
    if domain.expired(session["last_seen"], now, rules.idle_minutes) or \
            now - session["created_at"] > timedelta(hours=rules.max_hours):  # idle, or open too long however busy
        store.close_session(session_id)
        return Visitor(language, expired=session.get("role") is not None,
                       ended={"member": session.get("member"), "role": session.get("role"), "csrf": session["csrf"]})
    if now - session["last_seen"] > min(TOUCH_AFTER, timedelta(minutes=rules.idle_minutes) / 2):
        store.touch_session(session_id, now, rules.idle_minutes)
    token = cipher.open(session["token"]) if session.get("token") else None
    role = session.get("role") if token or not session.get("role") else None
    return Visitor(session.get("language") or language, session_id, role, session.get("member") if role else None,
                   token, session["csrf"])


def with_form_session(visitor: Visitor, *, store, clock, rules: SessionRules) -> Visitor:
    """A visitor that can post a form: one without a session gets one (holding only a form token)."""
    if visitor.session_id:
        return visitor
    csrf = secrets.token_urlsafe(32)
    session_id = store.open_session({"role": None, "csrf": csrf, "language": visitor.language}, clock.now(),
                                    rules.idle_minutes)
    return Visitor(visitor.language, session_id, csrf=csrf, new_session_id=session_id)


def require_form_token(visitor: Visitor, submitted: str | None) -> None:
    """Every form carries the session's token: a post without it (another site's, or an old page's) is
    refused before anything is done."""
    if not visitor.csrf or not submitted or not hmac.compare_digest(visitor.csrf, submitted):
        raise errors.Forbidden(problems.FORM_EXPIRED())


def require_role(visitor: Visitor, *roles: str) -> None:
    if not visitor.signed_in:
        raise errors.Unauthenticated()
    if visitor.role not in roles:
        raise errors.Forbidden()


def sign_in(visitor: Visitor, token: str, address: str, *, api, store, cipher, clock,
            rules: SessionRules, device: str | None = None) -> Visitor:
    """Opens a session for the holder of `token` (a new session id: the one before is closed).

    Guessing is slowed, without locking out whoever has the right code: failed attempts are counted per
    address (a keyed mark of it, never the address) and over all addresses; past either limit in 15
    minutes, a code is checked only when the browser holds a device cookie of the member it is the code of
    (`device`: given at each sign-in, network-independent), and such a browser has a limit of its own. So
    anyone behind the same gateway can hold up only browsers that never signed in with that code."""
    now = clock.now()
    since = now - domain.SIGN_IN_WINDOW
    marks = network.address_marks(cipher.digest, address, now, domain.SIGN_IN_WINDOW)
    trusted = domain.device_member(device, cipher.digest)
    device_mark = cipher.digest(f"device|{device}") if trusted else None
    # The attempt counts as failed until it succeeds: recorded before the check, so that attempts made at
    # the same moment cannot all pass it.
    attempt = store.record_failure(marks[0], now, domain.SIGN_IN_WINDOW, device=device_mark)
    waits = [wait for wait in (
        network.wait_to_ask_again(store.failures_since(marks, since, besides=attempt), now, rules.sign_in_attempts,
                                  domain.SIGN_IN_WINDOW),
        network.wait_to_ask_again(store.recent_failures(since, rules.sign_in_attempts_overall + 1, besides=attempt),
                                  now, rules.sign_in_attempts_overall, domain.SIGN_IN_WINDOW)) if wait is not None]
    held, checked_for = (max(waits) if waits else None), None
    if held is not None and trusted is not None:  # a browser this member signed in with: its own limit only
        checked_for = trusted
        held = network.wait_to_ask_again(store.device_failures_since(device_mark, since, besides=attempt), now,
                                         rules.sign_in_attempts, domain.SIGN_IN_WINDOW)
    if held is not None:
        store.forget_failure(attempt)  # no code was tried: waiting as told must be enough
        raise _wait(held)
    token = token.strip()
    try:
        me = api.as_(token).get("submission", "/v1/me") if token else None
    except errors.Unauthenticated:
        me = None
    if me is None:
        log.info("sign-in refused")
        if checked_for is not None:  # past the limit, a wrong code learns no more than a 429 says
            raise _wait(max(waits))
        raise errors.Invalid.at("token", problems.UNKNOWN_CODE())
    if checked_for is not None and checked_for != domain.member_key(me, cipher.digest):
        store.forget_failure(attempt)  # the right code of someone this browser never signed in as
        raise _wait(max(waits))
    store.forget_failure(attempt)
    member = me.get("member")
    language = member["language"] if member and member.get("language") in vocabulary.LANGUAGES else \
        visitor.language
    if visitor.session_id:
        store.close_session(visitor.session_id)
    shown, csrf = _member_shown(member), secrets.token_urlsafe(32)
    session_id = store.open_session({"role": me["role"], "member": shown, "token": cipher.seal(token),
                                     "csrf": csrf, "language": language}, now, rules.idle_minutes)
    log.info("signed in", role=me["role"], member_id=member["id"] if member else None)
    return Visitor(language, session_id, me["role"], shown, token, csrf, new_session_id=session_id,
                   device=domain.new_device(me, cipher.digest, secrets.token_urlsafe(16)))


def _wait(wait: timedelta) -> errors.TooMany:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return errors.TooMany(problems.TOO_MANY_ATTEMPTS(minutes=math.ceil(seconds / 60)), retry_after=seconds)


def _member_shown(member: dict | None) -> dict | None:
    return None if member is None else {key: member.get(key) for key in (
        "id", "name", "country", "role", "imports_directly", "joined_on", "language", "email", "seat")}


def sign_out(visitor: Visitor, *, store) -> None:
    if visitor.session_id:
        store.close_session(visitor.session_id)


def choose_language(visitor: Visitor, language: str, *, store, clock, rules: SessionRules) -> str:
    """Switches the visitor's language (kept in its session, if it has one); returns the language."""
    if language not in vocabulary.LANGUAGES:
        raise errors.NotFound()
    if visitor.session_id:
        store.touch_session(visitor.session_id, clock.now(), rules.idle_minutes, language=language)
    return language


# --- the public --------------------------------------------------------------------------------------------

def covenant_years(*, api) -> list[dict]:
    """Every covenant year with its framework dates, and its latest released edition of the sector figures
    (`edition`, None before the first) with the date the next is due."""
    years = []
    for framework in api.get("scoring", "/v1/frameworks"):
        released = api.get("reporting", f"/v1/sector/{framework['covenant_year']}/editions")
        years.append({**framework, "edition": released["editions"][-1] if released["editions"] else None,
                      "next_edition_due": released["next_edition_due"]})
    return years


def sector_file(covenant_year: int, kind: str, language: str, edition: str | None, *, api):
    """The year's sector report (HTML) or figures (CSV, in words) in `language` as the reporting service
    publishes them: its latest edition, or the one asked for."""
    chosen = {"edition": edition} if edition else {}
    if kind == "report":
        return api.fetch("reporting", f"/v1/sector/{covenant_year}/report", lang=language, **chosen)
    return api.fetch("reporting", f"/v1/sector/{covenant_year}/export.csv", language=language, **chosen)


# --- a member company -------------------------------------------------------------------------------------

def company_home(visitor: Visitor, *, api, store) -> dict:
    """What a company's own page shows: its years (company_years), the drafts it saved, its latest notices,
    the questions authorities asked about it, the cases about it and the proofs of membership it printed,
    asked of the services at once."""
    require_role(visitor, COMPANY)
    years, inbox, asked, about, attestations = api.together(
        lambda: company_years(visitor, api=api), lambda: notices(visitor, 1, api=api),
        lambda: supplier_questions(visitor, api=api), lambda: cases(visitor, api=api),
        lambda: attestations_issued(visitor, api=api))
    return {"years": years, "drafts": drafts_saved(visitor, [each["covenant_year"] for each in years], store=store),
            "notices": inbox["items"][:5], "total_notices": inbox["total"], "asked": asked, "cases": about,
            "attestations": attestations}


def company_years(visitor: Visitor, *, api) -> list[dict]:
    """Per covenant year: where the company stands (whether it must report, the date that counts and the
    days left, as the notification service, its owner, says), and each version with its state."""
    require_role(visitor, COMPANY)
    client = api.as_(visitor.token)
    return member_years(client, visitor.member["id"])


def drafts_saved(visitor: Visitor, covenant_years: list[int], *, store) -> dict[int, object]:
    """When the company last saved a draft of each year's report (the years without one left out)."""
    require_role(visitor, COMPANY)
    found = {year: store.draft(visitor.member["id"], year) for year in covenant_years}
    return {year: draft["saved_at"] for year, draft in found.items() if draft}


def year_to_open(*, api, clock) -> int:
    """The covenant year the secretariat's pages open on (see `domain.year_to_open`)."""
    return domain.year_to_open(covenant.calendars(frameworks(api=api)), clock.now().date())


def member_years(client, member_id: str, **reports_of) -> list[dict]:
    """A company's years, as the caller of `client` may see them (`reports_of`: whose reports to list,
    `company_id=`, when the caller is not the company itself), in the order the company acts on them
    (domain.pressing_first: the year it must still report for first, the nearest date first)."""
    reports, standing = client.together(lambda: client.get("submission", "/v1/reports", **reports_of),
                                        lambda: _standing(client, member_id))
    reports_by_year = {each["covenant_year"]: each for each in reports}
    sent = [each for each in standing["years"] if each["covenant_year"] in reports_by_year]
    versions = dict(zip([each["covenant_year"] for each in sent], client.together(*[
        lambda report_id=reports_by_year[each["covenant_year"]]["id"]: report_versions(client, report_id)
        for each in sent])))
    return [{"covenant_year": each["covenant_year"], "report": reports_by_year.get(each["covenant_year"]),
             "versions": versions.get(each["covenant_year"], []), "standing": each}
            for each in domain.pressing_first(standing["years"])]


def _standing(client, company_id: str) -> dict:
    """A member's standing in every year, from the notification service (its one owner)."""
    found = client.get("notification", "/v1/standings", company_id=company_id)
    if not found:  # its registration has not reached the notification service yet
        raise errors.Unavailable("Your registration is still on its way; try again in a minute.")
    return found[0]


def report_versions(client, report_id: str) -> list[dict]:
    """Each version of a report with its assessment (None while it is being scored), oldest first."""
    report_id = quote(report_id, safe="")  # an id is one path segment, whatever it holds

    def assessed():
        try:
            return {each["version"]: each for each in client.get("scoring", f"/v1/reports/{report_id}/assessments")}
        except errors.NotFound:  # none scored yet
            return {}
    detail, assessments = client.together(lambda: client.get("submission", f"/v1/reports/{report_id}"), assessed)
    return [{**each, "assessment": assessments.get(each["version"])} for each in detail["versions"]]


def report_form(visitor: Visitor, covenant_year: int, *, api, store) -> tuple[dict, str, dict]:
    """The form of a year's report, where it came from (the draft saved on the portal, else the latest
    version sent for the year, else last year's report, else empty), and what it suggests."""
    state, source = _report_form(visitor, covenant_year, api=api, store=store)
    return state, source, place_suggestions(visitor, state, api=api)


def _report_form(visitor: Visitor, covenant_year: int, *, api, store) -> tuple[dict, str]:
    require_role(visitor, COMPANY)
    client = api.as_(visitor.token)
    client.get("scoring", f"/v1/frameworks/{covenant_year}")  # NotFound for a year without a framework
    draft = store.draft(visitor.member["id"], covenant_year)
    if draft:
        return draft["state"], "draft"
    for year, source in ((covenant_year, "latest"), (covenant_year - 1, "last_year")):
        found = client.get("submission", "/v1/reports", covenant_year=year) if year >= 1 else []
        if found:
            report = client.get("submission", f"/v1/reports/{found[0]['id']}")["report"]
            return domain.from_report(report, covenant_year, visitor.language), source
    return domain.blank_report(covenant_year), "blank"


def place_suggestions(visitor: Visitor, state: dict, *, api) -> dict:
    """What the report form suggests as a company types a quarry region: the known regions of each country
    (and, by state, of each subdivision), and the subdivisions of each country in the form. Nothing when
    the reporting service does not answer: suggestions are a convenience, the form works without them."""
    try:
        known = api.as_(visitor.token).get("reporting", "/v1/regions")
    except errors.Unavailable:
        known = []
    regions: dict[str, list[dict]] = {}
    for each in known:
        regions.setdefault(each["country"], []).append(each)
    countries = sorted({each["country"] for each in state["quarry_regions"] if each["country"]} | set(regions))
    return {"regions": regions,
            "states": {country: [(each.code, each.label(visitor.language)) for each in places.subdivisions(country)]
                       for country in countries},
            "lists": {f"regions-{key}" for key in regions.keys() | {each["state"] for each in known if each["state"]}}}


def report_action(visitor: Visitor, covenant_year: int, fields: dict[str, list[str]], action: str, *, api, store,
                  clock, uploads: dict[str, bytes] | None = None) -> FormOutcome:
    """What a post of the report form does (`action`, as schemas.ReportAction reads it): add or remove a
    row, take a file off, save the draft, check (the assessment the report would get, nothing sent), or
    submit. The files chosen (`uploads`: the report path each is for, `evidence.0.file`, and its content)
    are uploaded first, whatever the action, and the form holds their ids from then on; a file refused is
    named beside its input, and the action waits (no row moves, nothing is checked or sent). The draft is saved on every post but a
    successful submission, so nothing typed or chosen is lost, whatever happens next. The form shown again
    comes with its suggestions (`page["suggested"]`)."""
    fields, refused = _upload(visitor, fields, uploads or {}, api=api)
    outcome = _report_action(visitor, covenant_year, fields, action, api=api, store=store, clock=clock,
                             refused=refused)
    if outcome.done:
        return outcome
    return replace(outcome, page={"suggested": place_suggestions(visitor, outcome.state, api=api)})


def _upload(visitor: Visitor, fields: dict[str, list[str]], uploads: dict[str, bytes], *,
            api) -> tuple[dict[str, list[str]], dict[str, list]]:
    """The form with the id of each file uploaded as the answer it was chosen for, and the refusals of
    those refused (by that answer's path)."""
    require_role(visitor, COMPANY)
    client, refused = api.as_(visitor.token), {}
    for path, content in uploads.items():
        try:
            fields = domain.with_file(fields, path, client.post_file("submission", "/v1/reports/files", content)["id"])
        except errors.Invalid as problem:
            refused[path] = [each for listed in problem.problems.values() for each in listed]
    return fields, refused


def _report_action(visitor: Visitor, covenant_year: int, fields: dict[str, list[str]], action: str, *, api, store,
                   clock, refused: dict[str, list]) -> FormOutcome:
    require_role(visitor, COMPANY)
    client = api.as_(visitor.token)
    company_id = visitor.member["id"]
    state = domain.from_form(fields, covenant_year)
    if refused:  # named beside the row it was chosen in: the rows stay as posted (no row added, removed or
        # compacted away under the error), and nothing is checked or sent without the file meant to go with it
        store.save_draft(company_id, covenant_year, state, clock.now())
        return FormOutcome(state, errors=refused)
    if action.startswith(("add:", "remove:", "unfile:")):
        state = domain.apply(state, action)
        store.save_draft(company_id, covenant_year, state, clock.now())
        return FormOutcome(state)
    if action == "save":
        store.save_draft(company_id, covenant_year, state, clock.now())
        return FormOutcome(state, message="draft_saved")
    state = domain.compact(state)
    store.save_draft(company_id, covenant_year, state, clock.now())
    report = domain.to_report(state)
    try:
        if action == "check":
            return FormOutcome(state, assessment=client.post("submission", "/v1/reports/preview", report))
        accepted = client.post("submission", "/v1/reports", report)
    except errors.Invalid as refused:
        return FormOutcome(state, errors=refused.problems)
    store.drop_draft(company_id, covenant_year)
    log.info("report submitted through the portal", report_id=accepted["id"], version=accepted["version"])
    return FormOutcome(state, done=accepted)


def keep_typed_report(visitor: Visitor, covenant_year: int, fields: dict[str, list[str]], submitted_token: str | None,
                      *, store, clock) -> bool:
    """A report form posted after its session ended: what it carries is kept as the company's draft (nothing
    is sent), so that signing in again loses nothing. Only the form of that very session is kept (its
    token must match): another site's post changes nothing."""
    ended = visitor.ended or {}
    if ended.get("role") != COMPANY or not submitted_token or \
            not hmac.compare_digest(ended.get("csrf") or "", submitted_token):
        return False
    store.save_draft(ended["member"]["id"], covenant_year, domain.from_form(fields, covenant_year), clock.now())
    log.info("a report form kept as a draft after its session ended", company_id=ended["member"]["id"])
    return True


def report_detail(visitor: Visitor, report_id: str, *, api) -> dict:
    """A report with every version and its assessment, for its owner or the secretariat."""
    require_role(visitor, COMPANY, SECRETARIAT)
    client = api.as_(visitor.token)
    detail = client.get("submission", f"/v1/reports/{quote(report_id, safe='')}")
    return {**detail, "versions": report_versions(client, report_id)}


def report_version(visitor: Visitor, report_id: str, version: int, *, api) -> dict:
    """Every answer of one sent version, read only: for the company that sent it and the secretariat."""
    require_role(visitor, COMPANY, SECRETARIAT)
    client = api.as_(visitor.token)
    detail = client.get("submission", f"/v1/reports/{quote(report_id, safe='')}")
    found = next((each for each in detail["versions"] if each["version"] == version), None)
    if found is None:
        raise errors.NotFound()
    company_id = detail.get("company_id")
    # the secretariat reads many companies' reports: whose this is, by name (the company knows its own)
    name = _names_of(client, [company_id]).get(company_id) if visitor.role == SECRETARIAT and company_id else None
    return {"report_id": report_id, "company_id": company_id, "company_name": name,
            "covenant_year": detail["covenant_year"], "version": version, "submitted_at": found["submitted_at"],
            "report": found["report"], "files": found.get("files", [])}


def report_file(visitor: Visitor, report_id: str, version: int, file_id: str, *, api):
    """A file a sent version names, for the company that sent it and the secretariat (the service's answer,
    to pass on)."""
    require_role(visitor, COMPANY, SECRETARIAT)
    return api.as_(visitor.token).fetch("submission", f"/v1/reports/{quote(report_id, safe='')}/versions/{version}"
                                                      f"/files/{quote(file_id, safe='')}")


def appealed_report_file(visitor: Visitor, number: str, file_id: str, *, api):
    """A file of the version an appeal contests, for the commission deciding it."""
    require_role(visitor, COMMISSION)
    return api.as_(visitor.token).fetch("complaints", f"/v1/cases/{quote(number, safe='')}/report/files/"
                                                      f"{quote(file_id, safe='')}")


def appealed_report(visitor: Visitor, number: str, *, api) -> dict:
    """Every answer of the version an appeal contests, read only: for the commission deciding it."""
    require_role(visitor, COMMISSION)
    return api.as_(visitor.token).get("complaints", f"/v1/cases/{quote(number, safe='')}/report")


def notices(visitor: Visitor, page: int, *, api) -> dict:
    require_role(visitor, COMPANY, AUTHORITY, SECRETARIAT, COMMISSION)
    return api.as_(visitor.token).get("notification", "/v1/notices", page=page, per_page=20,
                                      language=visitor.language)


# --- the secretariat ----------------------------------------------------------------------------------------

OVERVIEW_PAGE = 50  # members per page of the secretariat's overview
LARGEST_STANDINGS_PAGE = 10_000  # the most notification gives in one answer (its YearStandingsQuery)


def year_overview(visitor: Visitor, covenant_year: int, status: str | None, page: int = 1, *, api,
                  per_page: int = OVERVIEW_PAGE) -> dict:
    """One page of the members, by name, with where each stands for the year (what it owes, its date, its
    latest version: the notification service's word), how many stand in each state, and the years to
    choose from; `status` keeps only those in that state."""
    require_role(visitor, SECRETARIAT)
    client = api.as_(visitor.token)
    frameworks = client.get("scoring", "/v1/frameworks")
    framework = next((each for each in frameworks if each["covenant_year"] == covenant_year), None)
    if framework is None:
        raise errors.NotFound()
    found = client.get("notification", f"/v1/years/{covenant_year}/standings", page=page, per_page=per_page,
                       **({"status": status} if status else {}))
    pages = max(1, -(-found["total"] // per_page))
    return {"framework": framework, "frameworks": frameworks, "counts": found["counts"], "total": found["total"],
            "page": min(page, pages), "pages": pages,
            "rows": [{"company": each["member"], "standing": each["standing"]} for each in found["items"]]}


def year_overview_rows(visitor: Visitor, covenant_year: int, status: str | None, *, api) -> list[dict]:
    """Every member of the overview (for its spreadsheet), in as few answers as notification gives them
    (one up to 10,000 members: each answer more asked the frameworks and the counts again)."""
    rows, page = [], 1
    while True:
        found = year_overview(visitor, covenant_year, status, page, api=api, per_page=LARGEST_STANDINGS_PAGE)
        rows += found["rows"]
        if page >= found["pages"]:
            return rows
        page += 1


def authorities(visitor: Visitor, page: int = 1, *, api, per_page: int = OVERVIEW_PAGE) -> dict:
    """One page of the contracting authorities, by name, with the day each joined and how many questions it
    asked (the notification service's, which hears every registration and answers every question)."""
    require_role(visitor, SECRETARIAT)
    return _paged(api.as_(visitor.token), "notification", "/v1/supplier-questions/authorities", page, per_page)


def _paged(client, service: str, path: str, page: int, per_page: int) -> dict:
    """A page of a service's paged list (`total` and `items`), with how many pages there are; a page past the
    last is the last."""
    found = client.get(service, path, page=page, per_page=per_page)
    pages = max(1, -(-found["total"] // per_page))
    if page > pages:
        found = client.get(service, path, page=pages, per_page=per_page)
    return {**found, "page": min(page, pages), "pages": pages}


def register_member(visitor: Visitor, kind: str, fields: dict[str, list[str]], *, api) -> FormOutcome:
    """Registers a company or a contracting authority; the answer holds its token, shown once."""
    require_role(visitor, SECRETARIAT)
    form = domain.last_values(fields)
    body = {"name": form.get("name", ""), "country": form.get("country", ""),
            "joined_on": domain.iso_date({part: form.get(f"joined_on.{part}", "")
                                           for part in ("day", "month", "year")})}
    if kind == COMPANY:
        body.update(role=form.get("role", ""), imports_directly={"yes": True, "no": False}.get(
            form.get("imports_directly"), form.get("imports_directly", "")),
            language=form.get("language", ""), email=form.get("email", ""))
    path = "/v1/companies" if kind == COMPANY else "/v1/authorities"
    try:
        return FormOutcome(form, done=api.as_(visitor.token).post("submission", path, body))
    except errors.Invalid as refused:
        return FormOutcome(form, errors=refused.problems)


def commission_seats(visitor: Visitor, *, api) -> list[dict]:
    """For the secretariat: the commission's members, the seats still awaiting the chair's confirmation
    first (the secretariat registers a seat; only the chair seats it and gives it its code)."""
    require_role(visitor, SECRETARIAT)
    found = api.as_(visitor.token).get("submission", "/v1/commission-members")
    return sorted(found, key=lambda each: (each["status"] != "awaiting_confirmation", each["name"].casefold()))


def register_commission_member(visitor: Visitor, fields: dict[str, list[str]], *, api) -> FormOutcome:
    """The secretariat registers a seat of the commission. No code comes back: the seat waits for the
    chair's confirmation, which gives the member its code, to the chair (separation of duties)."""
    require_role(visitor, SECRETARIAT)
    form = domain.last_values(fields)
    body = {name: form.get(name, "") for name in ("name", "seat", "email", "language")}
    try:
        return FormOutcome({}, done=api.as_(visitor.token).post("submission", "/v1/commission-members", body))
    except errors.Invalid as refused:
        return FormOutcome(form, errors=refused.problems)


def replace_token(visitor: Visitor, member_id: str, *, api) -> dict:
    """The secretariat gives a member a new sign-in code, shown once; its old code stops working."""
    require_role(visitor, SECRETARIAT)
    return api.as_(visitor.token).post("submission", f"/v1/members/{quote(member_id, safe='')}/token")


def company_detail(visitor: Visitor, company_id: str, *, api) -> dict:
    """For the secretariat: one company, its years (as the company's own page orders them: the year it must
    still report for first, the nearest date first) and its reports with their assessments."""
    require_role(visitor, SECRETARIAT)
    client = api.as_(visitor.token)
    company = client.get("submission", f"/v1/companies/{quote(company_id, safe='')}")  # 404 for no such company
    return {"company": company, "years": member_years(client, company_id, company_id=company_id)}


def grant_extension(visitor: Visitor, fields: dict[str, list[str]], *, api) -> FormOutcome:
    """The secretariat gives a company its own date for a year."""
    require_role(visitor, SECRETARIAT)
    form = domain.last_values(fields)
    year = domain.number(form.get("covenant_year", ""))
    body = {"company_id": form.get("company_id", ""), "covenant_year": year,
            "date": domain.iso_date({part: form.get(f"date.{part}", "") for part in ("day", "month", "year")})}
    try:
        return FormOutcome(form, done=api.as_(visitor.token).post("notification", "/v1/extensions", body),
                           message="extension_granted")
    except errors.Invalid as refused:
        return FormOutcome(form, errors=refused.problems)


def regions(visitor: Visitor, *, api) -> dict:
    """The quarry regions the gazetteer knows, the region names companies used that it does not place yet,
    and the states nobody knows (with the subdivisions of each one's country to choose from)."""
    require_role(visitor, SECRETARIAT)
    client = api.as_(visitor.token)
    unknown = client.get("reporting", "/v1/regions/unknown")
    states = [each for each in unknown if each.get("kind") == "state"]
    return {"unknown": [each for each in unknown if each.get("kind", "region") == "region"], "states": states,
            "subdivisions": {country: sorted(((each.code, each.label(visitor.language))
                                              for each in places.subdivisions(country)), key=lambda pair: pair[1])
                             for country in {each["country"] for each in states}},
            "known": client.get("reporting", "/v1/regions")}


def place_state_name(visitor: Visitor, fields: dict[str, list[str]], *, api) -> FormOutcome:
    """The secretariat says which subdivision a state nobody knew is (`state`, its code); the figures then
    count the regions written with it there."""
    require_role(visitor, SECRETARIAT)
    form = domain.last_values(fields)
    where = f"state.{form.get('row', '')}"
    if not form.get("state"):
        outcome = FormOutcome(form, errors={where: [problems.REQUIRED()]})
    else:
        try:
            outcome = FormOutcome(form, done=api.as_(visitor.token).post("reporting", "/v1/state-names", {
                "country": form.get("country", ""), "name": form.get("name", ""), "state": form["state"]}))
        except errors.Invalid as refused:
            outcome = FormOutcome(form, errors={where: [problem for listed in refused.problems.values()
                                                        for problem in listed]})
    return replace(outcome, page={"found": regions(visitor, api=api)})


def place_region(visitor: Visitor, fields: dict[str, list[str]], *, api) -> FormOutcome:
    """The secretariat places a name nobody knew: as a new region, or as a spelling of a known one
    (`as`: "new", or "country|state|name" of the known region). The figures then count it there."""
    require_role(visitor, SECRETARIAT)
    form = domain.last_values(fields)
    outcome = _place(visitor, form, api=api)
    return replace(outcome, page={"found": regions(visitor, api=api)})  # the page as it now stands


def _place(visitor: Visitor, form: dict[str, str], *, api) -> FormOutcome:
    where = f"as.{form.get('row', '')}"
    choice = form.get("as", "")
    if not choice:
        return FormOutcome(form, errors={where: [problems.REQUIRED()]})
    if choice == "new":  # a state nobody knows stays out of the gazetteer; the name then counts countrywide
        state = form.get("state", "")
        body = {"country": form.get("country", ""), "name": form.get("region", ""), "variants": [],
                "state": state if places.CODE.match(state) else None}
    else:
        country, state, name = (choice.split("|", 2) + ["", ""])[:3]
        body = {"country": country, "state": state or None, "name": name, "variants": [form.get("region", "")]}
    try:
        return FormOutcome(form, done=api.as_(visitor.token).post("reporting", "/v1/regions", body),
                           message="region_placed")
    except errors.Invalid as refused:
        return FormOutcome(form, errors={where: [problem for listed in refused.problems.values()
                                                 for problem in listed]})


def latest_proof(visitor: Visitor, covenant_year: int, *, api) -> dict | None:
    """The year's latest check of its figures (run in the background): waiting, running (how far) or done,
    its result with each difference in the visitor's words (reporting's); None before the first."""
    require_role(visitor, SECRETARIAT)
    try:
        return api.as_(visitor.token).get("reporting", f"/v1/sector/{covenant_year}/proofs/latest",
                                          language=visitor.language)
    except errors.NotFound:
        return None


def request_proof(visitor: Visitor, covenant_year: int, *, api) -> dict:
    """Asks for a check of the year's figures (a check already waiting or running is not asked twice)."""
    require_role(visitor, SECRETARIAT)
    return api.as_(visitor.token).post("reporting", f"/v1/sector/{covenant_year}/proofs")


def figures_to_release(visitor: Visitor, covenant_year: int, *, api) -> dict:
    """The year's live figures as the secretariat sees them: the latest edition, what an edition released now
    would change (in the visitor's words), and whether one may be released."""
    require_role(visitor, SECRETARIAT)
    return api.as_(visitor.token).get("reporting", f"/v1/sector/{covenant_year}/live", language=visitor.language)


def release_edition(visitor: Visitor, covenant_year: int, *, api) -> FormOutcome:
    """Releases a new edition of the year's figures; refused (the page says how many more companies) while
    too few companies' contributions changed."""
    require_role(visitor, SECRETARIAT)
    client = api.as_(visitor.token)
    try:
        done = client.post("reporting", f"/v1/sector/{covenant_year}/editions")
    except errors.Invalid as refused:
        return FormOutcome(errors=refused.problems, page=figures_to_release(visitor, covenant_year, api=api))
    return FormOutcome(done=done, message="edition_released", page=figures_to_release(visitor, covenant_year, api=api))


def rescore(visitor: Visitor, covenant_year: int, *, api) -> FormOutcome:
    require_role(visitor, SECRETARIAT)
    try:
        return FormOutcome(done=api.as_(visitor.token).post("scoring", f"/v1/frameworks/{covenant_year}/rescore"))
    except errors.Invalid as refused:
        return FormOutcome(errors=refused.problems)


def frameworks(*, api) -> list[dict]:
    return api.get("scoring", "/v1/frameworks")


# --- a contracting authority ----------------------------------------------------------------------------

def find_suppliers(visitor: Visitor, name: str, *, api) -> list[dict]:
    """Members whose name holds `name`, to ask about."""
    require_role(visitor, AUTHORITY, SECRETARIAT)
    if len(name.strip()) < 2:
        return []
    return api.as_(visitor.token).get("notification", "/v1/suppliers", name=name.strip())


def near_suppliers(visitor: Visitor, name: str, *, api) -> list[dict]:
    """Members whose names are near `name` though none holds it (a typo), to offer instead."""
    require_role(visitor, AUTHORITY, SECRETARIAT)
    if len(name.strip()) < 2:
        return []
    return api.as_(visitor.token).get("notification", "/v1/suppliers/near", name=name.strip())


def ask_about_supplier(visitor: Visitor, company_id: str, *, api) -> dict:
    """The authority's question about one member, answered (whether and when it reported, its outcome)."""
    require_role(visitor, AUTHORITY)
    return api.as_(visitor.token).post("notification", "/v1/supplier-questions", {"company_id": company_id})


def supplier_questions(visitor: Visitor, *, api) -> list[dict]:
    """Questions asked about suppliers: an authority its own, a company those about it, the secretariat all."""
    require_role(visitor, AUTHORITY, COMPANY, SECRETARIAT)
    return api.as_(visitor.token).get("notification", "/v1/supplier-questions")


def supplier_questions_page(visitor: Visitor, page: int = 1, *, api, per_page: int = OVERVIEW_PAGE) -> dict:
    """One page of the questions authorities asked about suppliers, newest first (for the secretariat)."""
    require_role(visitor, SECRETARIAT)
    return _paged(api.as_(visitor.token), "notification", "/v1/supplier-questions/page", page, per_page)


# --- proofs of membership (attestations) ----------------------------------------------------------------------

def issue_attestation(visitor: Visitor, *, api) -> dict:
    """A new signed attestation of the company's standing (the attestation service issues and records it)."""
    require_role(visitor, COMPANY)
    return api.as_(visitor.token).post("attestation", f"/v1/companies/{visitor.member['id']}/attestations")


def attestations_issued(visitor: Visitor, *, api) -> list[dict] | None:
    """The company's attestations with how often each was checked on the platform and its latest checks, each
    when and by whom; None while the attestation service does not answer (the rest of the company's page does
    not wait for it)."""
    require_role(visitor, COMPANY)
    try:
        return api.as_(visitor.token).get("attestation", f"/v1/companies/{visitor.member['id']}/attestations")
    except errors.Unavailable:
        return None


def check_attestation(typed: str | None, uploaded: bytes | None = None, *, api, visitor: Visitor | None = None,
                      checked_by: str | None = None) -> tuple[dict | None, dict]:
    """Anyone's check of a proof, its text typed (or opened from its QR code) or in a file chosen: the answer
    (genuine or not and why, whether it holds, whether the standing changed), or what to say beside the field
    the text came from. The member reads who checked: a signed-in visitor as who it is (the service is asked
    with the visitor's own token), anyone else as the organisation it says it checks for (`checked_by`, left
    out when blank), else as someone not signed in."""
    text, refused = domain.attestation_text(typed, uploaded)
    if refused:
        return None, refused
    said = (checked_by or "").strip()
    try:
        if visitor is not None and visitor.signed_in:
            answer = api.as_(visitor.token).post("attestation", "/v1/attestations/verification", {"attestation": text})
        else:
            answer = api.post("attestation", "/v1/attestations/verification",
                              {"attestation": text, **({"checked_by": said} if said else {})})
        return {**answer, "reason": answer.get("reason") and problems.Problem.of(answer["reason"])}, {}
    except errors.Invalid as invalid:  # said of the text: beside the field it came from; of the name: beside it
        of_text = {field: listed for field, listed in invalid.problems.items() if field != "checked_by"}
        of_name = {"checked_by": invalid.problems["checked_by"]} if "checked_by" in invalid.problems else {}
        return None, {**(of_text if uploaded is None or not of_text else {
            "attestation_file": [each for listed in of_text.values() for each in listed]}), **of_name}


# --- verifying what companies report ------------------------------------------------------------------------

SAMPLE_PAGE = 25  # sampled companies per page of the verification page, each with its own form


def verification(visitor: Visitor, covenant_year: int, *, api, clock, page: int = 1,
                 showing: str | None = None) -> dict:
    """The year's sample, a page of it (`page`, or the page that shows company `showing`: the one whose form
    was just posted) with each company's name and latest verification, and how many are verified; or None
    before it is drawn (with the year's due date while it is still to come: a sample drawn then leaves out
    every report sent later)."""
    require_role(visitor, SECRETARIAT)
    client = api.as_(visitor.token)
    try:
        found = client.get("scoring", f"/v1/verification/{covenant_year}")
    except errors.NotFound:
        calendar = next((each for each in covenant.calendars(frameworks(api=api))
                         if each.covenant_year == covenant_year), None)
        early = calendar.due_date if calendar and clock.now().date() <= calendar.due_date else None
        return {"covenant_year": covenant_year, "draw": None, "due_before_draw": early}
    sampled, results = found["sampled"], {each["company_id"]: each for each in found["results"]}
    pages = max(1, -(-len(sampled) // SAMPLE_PAGE))
    at = next((index for index, each in enumerate(sampled) if each["company_id"] == showing), None)
    page = min(at // SAMPLE_PAGE + 1 if at is not None else page, pages)
    shown = sampled[(page - 1) * SAMPLE_PAGE:page * SAMPLE_PAGE]
    names = _names_of(client, [each["company_id"] for each in shown])
    return {"covenant_year": covenant_year, "draw": found, "page": page, "pages": pages,
            "first": (page - 1) * SAMPLE_PAGE, "verified": sum(1 for each in sampled if each["company_id"] in results),
            "sampled": [{**each, "name": names.get(each["company_id"], each["company_id"]),
                         "result": results.get(each["company_id"])} for each in shown]}


def _names_of(client, company_ids: list[str]) -> dict[str, str]:
    """The names of these companies, in one answer of ids and names (never the whole member list)."""
    if not company_ids:
        return {}
    return {each["id"]: each["name"] for each in client.post("submission", "/v1/companies/names",
                                                              {"ids": company_ids})}


def draw_sample(visitor: Visitor, covenant_year: int, seed: str, *, api) -> FormOutcome:
    require_role(visitor, SECRETARIAT)
    body = {"seed": seed.strip()} if seed.strip() else {}
    try:
        return FormOutcome(done=api.as_(visitor.token).post("scoring", f"/v1/verification/{covenant_year}/sample",
                                                            body))
    except errors.Invalid as refused:  # nothing to draw from yet: said beside the form that draws
        return FormOutcome({"seed": seed}, errors={"seed" if path == "covenant_year" else path: listed
                                                   for path, listed in refused.problems.items()})


def record_verification(visitor: Visitor, covenant_year: int, fields: dict[str, list[str]], *, api) -> FormOutcome:
    require_role(visitor, SECRETARIAT)
    form = domain.last_values(fields)
    body = {"company_id": form.get("company_id", ""), "result": form.get("result", ""),
            "verified_on": domain.iso_date({part: form.get(f"verified_on.{part}", "")
                                            for part in ("day", "month", "year")})}
    if form.get("corrections"):
        body["corrections"] = form["corrections"]
    try:
        return FormOutcome(form, done=api.as_(visitor.token).post(
            "scoring", f"/v1/verification/{covenant_year}/results", body), message="verification_recorded")
    except errors.Invalid as refused:
        return FormOutcome(form, errors=refused.problems)


# --- complaints and disputes --------------------------------------------------------------------------------

FOLLOW_UP_HEADER = "X-Follow-Up-Code"


def member_list(*, api) -> list[dict]:
    """The public member list, to name the company a complaint is about."""
    return api.get("submission", "/v1/members")


def file_case(fields: dict[str, list[str]], attachments: list[bytes], *, api) -> FormOutcome:
    """Files a case for anyone (no account) with its files, in one call: all are kept, or none when one is
    refused. The answer holds the number and the follow-up code, shown once."""
    form = domain.last_values(fields)
    body = {key: form[key] for key in ("kind", "company_id", "party", "what_happened", "where", "when", "language",
                                       "name", "contact") if form.get(key)}
    body.setdefault("kind", "")
    body.setdefault("what_happened", "")
    body.setdefault("language", "")
    body["share_identity_with_secretariat"] = form.get("share_identity_with_secretariat") == "yes"
    try:
        filed = api.post_form("complaints", "/v1/cases", {"case": json.dumps(body)},
                              [("attachments", content) for content in attachments])
    except errors.Invalid as refused:
        return FormOutcome(form, errors=refused.problems)
    except errors.TooMany as refused:
        return FormOutcome(form, errors={"body": [refused.problem or refused.message]}, status=429,
                           retry_after=refused.retry_after)
    except errors.TooLarge:
        return FormOutcome(form, errors={"attachments": [problems.FILES_TOO_LARGE(max_mb=20)]})
    return FormOutcome(form, done=filed)


# What complaints hands out: groups of letters and digits with dashes (typed with spaces too), or, for a
# case filed before codes came in groups, 22 characters of secrets.token_urlsafe.
FOLLOW_UP_CODE = re.compile(r"[A-Za-z0-9_ -]+")


def _follow_up(code: str) -> dict:
    """The header that shows the follow-up code. A code of other characters names no case (and some, a
    line break or a letter outside Latin-1, could not travel in a header)."""
    if not FOLLOW_UP_CODE.fullmatch(code.strip()):
        raise errors.NotFound()
    return {FOLLOW_UP_HEADER: code.strip()}


def case_progress(number: str, code: str, *, api) -> dict:
    """A case's progress for whoever holds its follow-up code; NotFound for any other."""
    shown = _follow_up(code)
    return api.get_with("complaints", f"/v1/cases/{quote(number.strip(), safe='')}/progress", headers=shown)


def add_case_information(number: str, code: str, text: str, *, api) -> FormOutcome:
    shown = _follow_up(code)
    try:
        api.post("complaints", f"/v1/cases/{quote(number.strip(), safe='')}/information", {"text": text},
                 headers=shown)
    except errors.Invalid as refused:
        return FormOutcome({"text": text}, errors=refused.problems)
    return FormOutcome(done={"added": True})


CHOOSE_A_FILE = N_("Choose a photo or a PDF to add.")
MAX_ATTACHMENT_MB = 5  # each file of a case (complaints keeps to it)


def add_case_attachment(number: str, code: str, content: bytes | None, *, api) -> FormOutcome:
    """The filer adds one more photo or PDF to its case (complaints reads its type from its bytes and takes
    out what it says besides what it shows); what is wrong with it is said beside the field."""
    shown = _follow_up(code)
    if not content:
        return FormOutcome({}, errors={"attachment": [CHOOSE_A_FILE]})
    try:
        added = api.post_file("complaints", f"/v1/cases/{quote(number.strip(), safe='')}/attachments", content,
                               headers=shown)
    except errors.Invalid as refused:
        return FormOutcome({}, errors=refused.problems)
    except errors.TooLarge:
        return FormOutcome({}, errors={"attachment": [problems.FILE_TOO_LARGE(file=None,
                                                                              max_mb=MAX_ATTACHMENT_MB)]})
    return FormOutcome(done=added)


def cases(visitor: Visitor, *, api) -> list[dict]:
    """The cases the visitor may know of (commission, secretariat, company)."""
    require_role(visitor, COMMISSION, SECRETARIAT, COMPANY)
    return api.as_(visitor.token).get("complaints", "/v1/cases")


def case(visitor: Visitor, number: str, *, api) -> dict:
    require_role(visitor, COMMISSION, SECRETARIAT, COMPANY)
    client = api.as_(visitor.token)
    shown = client.get("complaints", f"/v1/cases/{quote(number, safe='')}")
    if shown.get("company_id"):  # whom the case is about, by name (the public member list)
        shown["company_name"] = next((each["name"] for each in member_list(api=api)
                                      if each["id"] == shown["company_id"]), shown["company_id"])
    if visitor.role == COMMISSION:
        procedure = client.get("complaints", "/v1/procedure")
        shown["next"] = next(each["next"] for each in procedure["states"] if each["state"] == shown["state"])
    return shown


def move_case(visitor: Visitor, number: str, fields: dict[str, list[str]], *, api) -> FormOutcome:
    """A commission member's step, from the case page's form; a decided appeal names its corrections."""
    require_role(visitor, COMMISSION)
    form = domain.last_values(fields)
    form["corrected"] = fields.get("corrected", [])
    body = {"to": form.get("to", ""), "reason": form.get("reason", "")}
    if form.get("admissible"):
        body["admissible"] = form["admissible"] == "yes"
        body["share_with_company"] = form.get("share_with_company") == "yes"
    if form.get("outcome"):
        corrections = [{"code": code, "met": form.get(f"met.{code}") == "yes", "why": form.get(f"why.{code}", "")}
                       for code in fields.get("corrected", [])]
        body["decision"] = {"outcome": form["outcome"], "corrections": corrections}
    try:
        return FormOutcome(form, done=api.as_(visitor.token).post(
            "complaints", f"/v1/cases/{quote(number, safe='')}/moves", body), message="case_moved")
    except errors.Invalid as refused:
        return FormOutcome(form, errors=domain.decision_errors_on_the_page(refused.problems, form["corrected"]))


def write_about_case(visitor: Visitor, number: str, to: str, text: str, *, api) -> FormOutcome:
    """The commission writes to the filer or the company; the company answers the commission."""
    require_role(visitor, COMMISSION, COMPANY)
    client = api.as_(visitor.token)
    try:
        if visitor.role == COMMISSION:
            client.post("complaints", f"/v1/cases/{quote(number, safe='')}/messages", {"to": to, "text": text})
        else:
            client.post("complaints", f"/v1/cases/{quote(number, safe='')}/answers", {"text": text})
    except errors.Invalid as refused:
        return FormOutcome({"text": text, "to": to}, errors=refused.problems)
    return FormOutcome(done={"sent": True}, message="message_sent")


def case_attachment(visitor: Visitor, number: str, attachment_id: str, *, api):
    require_role(visitor, COMMISSION)
    return api.as_(visitor.token).fetch("complaints", f"/v1/cases/{quote(number, safe='')}/attachments/"
                                                      f"{quote(attachment_id, safe='')}")


def appeal(visitor: Visitor, report_id: str, fields: dict[str, list[str]], *, api) -> FormOutcome:
    """A company contests the assessment of one version of its report."""
    require_role(visitor, COMPANY)
    form = domain.last_values(fields)
    form["criteria"] = fields.get("criteria", [])  # ticked boxes come back ticked
    body = {"report_id": report_id, "version": domain.number(form.get("version", "")),
            "criteria": fields.get("criteria", []), "reasons": form.get("reasons", "")}
    try:
        return FormOutcome(form, done=api.as_(visitor.token).post("complaints", "/v1/appeals", body))
    except errors.Invalid as refused:
        return FormOutcome(form, errors=refused.problems)


# --- the commission's chair: its seats and the trail of who read a filer's identity ---------------------------

def is_chair(visitor: Visitor) -> bool:
    return visitor.role == COMMISSION and (visitor.member or {}).get("seat") == "chair"


def _require_chair(visitor: Visitor) -> None:
    """The chair's pages. The services decide (they answer another member 403 too); this spares a page of
    calls that would be refused."""
    require_role(visitor, COMMISSION)
    if not is_chair(visitor):
        raise errors.Forbidden()


def commission_members(visitor: Visitor, *, api) -> list[dict]:
    """The commission's members, the seats awaiting the chair's confirmation first."""
    _require_chair(visitor)
    found = api.as_(visitor.token).get("submission", "/v1/commission-members")
    return sorted(found, key=lambda each: (each["status"] != "awaiting_confirmation", each["name"].casefold()))


def confirm_seat(visitor: Visitor, member_id: str, *, api) -> dict:
    """The chair confirms a seat: the member's code, shown once to the chair, who hands it over."""
    _require_chair(visitor)
    return api.as_(visitor.token).post("submission",
                                       f"/v1/commission-members/{quote(member_id, safe='')}/confirmation")


def replace_commission_code(visitor: Visitor, member_id: str, *, api) -> dict:
    """The chair gives a member of the commission a new sign-in code, shown once; its old one stops working
    and the member is told."""
    _require_chair(visitor)
    return api.as_(visitor.token).post("submission", f"/v1/members/{quote(member_id, safe='')}/token")


def identity_readings(visitor: Visitor, page: int, *, api) -> dict:
    """Who read a filer's identity, when, in which case: newest first."""
    _require_chair(visitor)
    return api.as_(visitor.token).get("complaints", "/v1/identity-readings", page=page, per_page=50)
