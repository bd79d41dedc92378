"""What the portal decides on its own: the annual report as a form, where a year stands for a member, and
the rules of sessions and sign-ins. Pure: no nameko, no HTTP.

The form's fields are named by the report's own paths (`supply_chain.factories.known`, `risks.1.theme`),
so an error the API gives for a path is shown beside the field of that name, with nothing to translate.
"""
from __future__ import annotations

import copy
import csv
import hmac
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from datetime import date, datetime, timedelta

from common import covenant, places, vocabulary
from common.i18n import N_
from services.portal.words import WORDS

LINKS = vocabulary.SUPPLY_CHAIN_LINKS.codes
# The repeating groups of the report and a blank row of each (production countries are plain codes).
GROUPS = {
    "production_countries": "",
    "quarry_regions": {"country": "", "region": "", "state": ""},
    "risks": {"theme": "", "country": "", "severity": "", "likelihood": "", "actual": "", "source": ""},
    "mitigation": {"kind": "", "country": "", "description": ""},
    "evidence": {"kind": "", "title": "", "issued_on": {"day": "", "month": "", "year": ""}},
}
BOOLEANS = {"policy": ("statement_adopted", "embedded_in_management", "shared_with_suppliers"),
            "monitoring": ("systematic", "effectiveness_evaluated"),
            "remediation": ("grievance_mechanism",)}
MAX_ROWS = 50  # per group: a form cannot grow without bound (each row of a page costs its rendering)
_INDEXED = re.compile(r"^(\w+)\.(\d{1,3})(?:\.(\w+))?(?:\.(day|month|year))?$")


# --- the report as a form -----------------------------------------------------------------------------

def blank_report(covenant_year: int) -> dict:
    """An empty form: nothing answered yet (the API names everything still missing)."""
    return {
        "covenant_year": covenant_year, "chains": "",
        "supply_chain": {link: {"known": "", "total": ""} for link in LINKS},
        "production_countries": [], "quarry_regions": [], "materials": [], "risks": [],
        "risk_prioritisation": "",
        "policy": {name: False for name in BOOLEANS["policy"]},
        "mitigation": [], "plan_of_approach": False,
        "monitoring": {name: False for name in BOOLEANS["monitoring"]},
        "communication": {"public_report_url": ""},
        "remediation": {"grievance_mechanism": False},
        "evidence": [],
    }


def from_report(report: dict, covenant_year: int, language: str = "en") -> dict:
    """A stored report (the API's JSON) as the form shows it, for `covenant_year` (last year's report is
    the start of this year's); a state by its name in `language`, not its code."""
    state = blank_report(covenant_year)
    state.update(copy.deepcopy({key: value for key, value in report.items() if key in state}))
    state["covenant_year"] = covenant_year
    state["chains"] = "" if report.get("chains") is None else str(report["chains"])
    state["supply_chain"] = {link: {part: str(report["supply_chain"][link][part]) for part in ("known", "total")}
                             for link in LINKS}
    state["quarry_regions"] = [{**each, "state": places.state_label(each.get("state"), language) or ""}
                               for each in report["quarry_regions"]]
    state["risks"] = [{**each, "actual": "yes" if each["actual"] else "no"} for each in report["risks"]]
    state["communication"] = {"public_report_url": report["communication"]["public_report_url"] or ""}
    state["evidence"] = [{**each, "issued_on": _date_parts(each["issued_on"])} for each in report["evidence"]]
    return state


def from_form(fields: dict[str, list[str]], covenant_year: int) -> dict:
    """The form as posted (name -> values), in the report's shape. Values are kept as typed, so that
    nothing the user typed is lost; `to_report` makes JSON of it."""
    def one(name):
        values = fields.get(name) or [""]
        return values[-1].strip()

    state = blank_report(covenant_year)
    state["chains"] = one("chains")
    for link in LINKS:
        for part in ("known", "total"):
            state["supply_chain"][link][part] = one(f"supply_chain.{link}.{part}")
    state["materials"] = [code for code in vocabulary.MATERIALS.codes if code in fields.get("materials", [])]
    state["risk_prioritisation"] = one("risk_prioritisation")
    for group, names in BOOLEANS.items():
        for name in names:
            state[group][name] = one(f"{group}.{name}") == "yes"
    state["plan_of_approach"] = one("plan_of_approach") == "yes"
    state["communication"]["public_report_url"] = one("communication.public_report_url")
    rows: dict[str, dict[int, object]] = {group: {} for group in GROUPS}
    for name, values in fields.items():
        found = _INDEXED.match(name)
        if not found or found.group(1) not in GROUPS or int(found.group(2)) >= MAX_ROWS:
            continue
        group, index, field, part = found.group(1), int(found.group(2)), found.group(3), found.group(4)
        value = values[-1].strip() if values else ""
        if group == "production_countries":
            rows[group][index] = value
            continue
        row = rows[group].setdefault(index, copy.deepcopy(GROUPS[group]))
        if field not in row:
            continue
        if part:
            row[field][part] = value
        elif not isinstance(row[field], dict):
            row[field] = value
    for group, found_rows in rows.items():
        state[group] = [found_rows[index] for index in sorted(found_rows)]
    return state


def apply(state: dict, action: str) -> dict:
    """A form action that changes the form itself: `add:<group>` adds a blank row, `remove:<group>:<n>`
    removes row n. Anything else leaves the form as it is."""
    kind, _, rest = action.partition(":")
    group, _, index = rest.partition(":")
    if group not in GROUPS:
        return state
    state = copy.deepcopy(state)
    if kind == "add" and len(state[group]) < MAX_ROWS:
        state[group].append(copy.deepcopy(GROUPS[group]))
    elif kind == "remove" and index.isdigit() and int(index) < len(state[group]):
        del state[group][int(index)]
    return state


def compact(state: dict) -> dict:
    """The form without the rows left wholly blank: they are no answer. (What is sent is what is shown, so
    that an error the API names by row number points at the row the user sees.)"""
    state = copy.deepcopy(state)
    for group in GROUPS:
        state[group] = [row for row in state[group] if (_answered(row) if isinstance(row, dict) else row)]
    return state


def to_report(state: dict) -> dict:
    """The (compacted) form as the API's JSON: numbers as numbers where they read as numbers, yes/no as
    booleans, blanks as null where the report allows it; anything else goes as typed, so that the API, the
    one judge of a report, names what is wrong."""
    report = {
        "covenant_year": state["covenant_year"],
        "chains": None if state["chains"] == "" else number(state["chains"]),
        "supply_chain": {link: {part: number(state["supply_chain"][link][part]) for part in ("known", "total")}
                         for link in LINKS},
        "production_countries": list(state["production_countries"]),
        "quarry_regions": [{"country": each["country"], "region": each["region"],
                            "state": places.state_code(each["country"], each["state"]) or each["state"] or None}
                           for each in state["quarry_regions"]],
        "materials": list(state["materials"]),
        "risks": [{**each, "actual": {"yes": True, "no": False}.get(each["actual"], each["actual"])}
                  for each in state["risks"]],
        "risk_prioritisation": state["risk_prioritisation"],
        "policy": dict(state["policy"]),
        "mitigation": [dict(each) for each in state["mitigation"]],
        "plan_of_approach": state["plan_of_approach"],
        "monitoring": dict(state["monitoring"]),
        "communication": {"public_report_url": state["communication"]["public_report_url"] or None},
        "remediation": dict(state["remediation"]),
        "evidence": [{**each, "issued_on": iso_date(each["issued_on"])} for each in state["evidence"]],
    }
    return report


def _answered(row: dict) -> bool:
    return any((_answered(value) if isinstance(value, dict) else value) for value in row.values())


def number(text: str):
    """An integer where the text is one; nothing (null) where it is blank; otherwise the text itself, for
    the API to refuse by name."""
    if text == "":
        return None
    try:
        return int(text)
    except (TypeError, ValueError):
        return text


def _date_parts(iso: str) -> dict:
    year, month, day = iso.split("-")
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def iso_date(parts: dict) -> str:
    """Day, month and year as typed into an ISO date; what does not read as one goes as typed."""
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])).isoformat()
    except (TypeError, ValueError):
        return f"{parts['year']}-{parts['month']}-{parts['day']}"


def field_id(path: str) -> str:
    """The HTML id of the field (or group) of a report path."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


def anchor(path: str, state: dict) -> str:
    """Where an error on `path` is shown: the field itself, else its nearest enclosing group (an error on
    `materials.1` belongs to the materials, one on `evidence.0.issued_on` to that date's fieldset)."""
    if path in ("body", "", None):
        return "f-report"
    parts = path.split(".")
    if parts[0] == "materials" or parts[0] in BOOLEANS or parts[0] == "plan_of_approach":
        return field_id(parts[0] if parts[0] == "materials" or len(parts) < 2 else ".".join(parts[:2]))
    return field_id(path)


def errors_by_anchor(found: dict[str, list[str]], state: dict | None) -> dict[str, list[str]]:
    """The API's messages by the place on the page each is shown."""
    placed: dict[str, list[str]] = {}
    for path, messages in found.items():
        placed.setdefault(anchor(path, state or {}), []).extend(messages)
    return placed


# --- where a year stands --------------------------------------------------------------------------------

STANDINGS = ("not_obliged", "due", "missing", "received", "needs_more_time", "compliant")
# What each standing is called (English source text; the pages translate it).
STANDING_WORDS = {
    "not_obliged": N_("Need not report"), "due": N_("Not yet received"), "missing": N_("Missing"),
    "received": N_("Received, being assessed"), "needs_more_time": N_("Needs more time"),
    "compliant": N_("Meets the requirements"),
}


@dataclass(frozen=True)
class YearStanding:
    covenant_year: int
    obliged: bool
    status: str               # one of STANDINGS
    date: date                # the date that counts now: due date, catch-up date or the company's own
    date_kind: str            # due_date, catch_up_date or own_date
    days_left: int            # negative once it has passed
    latest_version: int | None
    outcome: str | None
    score: float | None


def year_standing(company: dict, calendar: covenant.YearCalendar, today: date, *, latest_version: int | None,
                  assessed_version: int | None, outcome: str | None, score: float | None,
                  own_date: date | None) -> YearStanding:
    """Where a company stands for a year: whether it must report, the date that counts and the days left,
    and its latest version's state (received, or scored with its outcome)."""
    obliged = covenant.obliged(company, calendar.covenant_year)
    dates = covenant.dates_of(calendar, latest_version is not None, own_date)
    current = next((each for each in dates if each >= today), dates[-1])
    kind = "own_date" if own_date else "due_date" if current == calendar.due_date else "catch_up_date"
    if latest_version is None:
        status = "not_obliged" if not obliged else "missing" if current < today else "due"
    elif assessed_version != latest_version:
        status = "received"
    else:
        status = outcome
    return YearStanding(calendar.covenant_year, obliged, status, current, kind, covenant.days_left(current, today),
                        latest_version, outcome if assessed_version == latest_version else None,
                        score if assessed_version == latest_version else None)


CONFIRM_NEW_CODE = N_("Tick the box to confirm: the company's current code stops working at once, and it signs in "
                      "only with the new code you give it.")

# A year whose company still has something to do for it: report, report again, or report late.
TO_ACT_ON = ("due", "missing", "needs_more_time")


def pressing_first(standings: list[YearStanding]) -> list[YearStanding]:
    """A company's years in the order it acts on them: those it still has to report for (obliged), the
    nearest date first (one already passed before that); then the others, the newest first."""
    def order(standing: YearStanding):
        if standing.obliged and standing.status in TO_ACT_ON:
            return 0, standing.days_left, standing.covenant_year
        return 1, -standing.covenant_year, 0
    return sorted(standings, key=order)


def year_to_open(calendars: list[covenant.YearCalendar], today: date) -> int:
    """The year the secretariat follows first: the one whose next date (due date, else catch-up date) is the
    nearest still to come (year 1 during year 1's round, though year 2 has begun); when every date has
    passed, the latest year."""
    upcoming = [(day, calendar.covenant_year) for calendar in calendars
                for day in (calendar.due_date, calendar.catch_up_date) if day >= today]
    return min(upcoming)[1] if upcoming else max(calendar.covenant_year for calendar in calendars)


# The overview's columns as its readers name them (`say` gives each in the reader's language).
CSV_HEADERS = (N_("Member number"), N_("Name"), N_("Country"), N_("What it does"), N_("Must report"),
               N_("Where it stands"), N_("Its date"), N_("Days left"), N_("Latest version"), N_("Score"))


# Where the decimal sign is a comma, spreadsheets part a CSV's fields by semicolons (Excel set to Dutch).
CSV_DELIMITERS = {"nl": ";"}


def standings_csv(rows: list[dict], language: str, say) -> str:
    """The secretariat's overview as CSV in the reader's language: headers, countries, roles, yes and no and
    statuses in words (`say(text)` gives an English text in the reader's language). In Dutch it is written as
    a Dutch spreadsheet reads it: fields parted by semicolons and a decimal comma ("4,4", never "4.4")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITERS.get(language, ","))
    writer.writerow([say(header) for header in CSV_HEADERS])
    for row in rows:
        standing = row["standing"]
        writer.writerow([row["company"]["id"], spreadsheet_safe(row["company"]["name"]),
                         vocabulary.MEMBER_COUNTRIES.label(row["company"]["country"], language),
                         vocabulary.MEMBER_ROLES.label(row["company"]["role"], language),
                         say(N_("Yes")) if standing.obliged else say(N_("No")), say(STANDING_WORDS[standing.status]),
                         standing.date.isoformat(), standing.days_left, standing.latest_version or "",
                         "" if standing.score is None else vocabulary.number(standing.score, language)])
    return buffer.getvalue()


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- sessions and sign-ins --------------------------------------------------------------------------------

SIGN_IN_WINDOW = timedelta(minutes=15)


# A device cookie: a browser a member signed in with, so that it is not held up by others' failed sign-ins
# from the same address (OWASP's "device cookies"). It names the member only as a keyed hash, and is
# signed with the portal's key: `<member mark>.<nonce>.<signature>`.

def member_key(me: dict, digest) -> str:
    """Who a sign-in code is of (`me`, as GET /v1/me answers), as a keyed hash."""
    member = me.get("member") or {}
    return digest(f"member|{me['role']}|{member.get('id', '')}")


def new_device(me: dict, digest, nonce: str) -> str:
    mark = member_key(me, digest)
    return f"{mark}.{nonce}.{digest(f'device|{mark}|{nonce}')}"


def device_member(device: str | None, digest) -> str | None:
    """The member mark of a device cookie the portal signed; None for none or a forged one."""
    mark, _, rest = (device or "").partition(".")
    nonce, _, signature = rest.partition(".")
    if not (mark and nonce and signature):
        return None
    return mark if hmac.compare_digest(signature.encode(), digest(f"device|{mark}|{nonce}").encode()) else None


def expired(last_seen: datetime, now: datetime, idle_minutes: float) -> bool:
    return now - last_seen > timedelta(minutes=idle_minutes)


def decision_errors_on_the_page(found: dict[str, list[str]], corrected: list[str]) -> dict[str, list[str]]:
    """The API's errors on a decision, by the case page's fields: `decision.outcome` is the outcome's
    radios, `decision.corrections.1.why` the second ticked criterion's reason."""
    placed: dict[str, list[str]] = {}
    for path, messages in found.items():
        parts = path.split(".")
        if parts[:2] == ["decision", "outcome"]:
            path = "outcome"
        elif parts[:2] == ["decision", "corrections"] and len(parts) == 4 and parts[3] in ("met", "why") \
                and parts[2].isdigit() and int(parts[2]) < len(corrected):
            path = f"{parts[3]}.{corrected[int(parts[2])]}"
        elif parts[:2] == ["decision", "corrections"]:
            path = "decision.corrections"
        placed.setdefault(path, []).extend(messages)
    return placed


def safe_next(path: str | None) -> str:
    """A place on this site to go back to; anything else (another site, a scheme, a character a browser
    would drop or read as a line break) goes home."""
    if not path or not path.startswith("/") or any(char.isspace() or ord(char) < 32 or char == "\\"
                                                   for char in path):
        return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or path.startswith("//"):
        return "/"
    return path


# --- the proof's counters in words ------------------------------------------------------------------------

# Reporting's proof names each counter by its key's parts joined with spaces ("region IN IN-RJ bundi",
# "case_kind complaint"); each kind of key in the reader's words, its codes named by the vocabulary.
_CHAIN_BUCKETS = {"<5": N_("fewer than 5"), "5-10": N_("5 to 10"), "11-50": N_("11 to 50"),
                  ">50": N_("more than 50"), "unknown": N_("unknown")}
_STEP_CRITERIA = {"systematic_monitoring": "systematic_monitoring", "public_communication": "public_report"}
_BANDS_OF = {"all": N_("Score {band}, all reports"),
             "compliant": N_("Score {band}, reports that meet the requirements")}
_REQUIREMENT = {"applicable": N_("Requirement {requirement}: applies"), "met": N_("Requirement {requirement}: met")}
_VERIFICATION = {"verified": N_("Reports verified"), "corrected": N_("Verified reports corrected")}


def _said(language: str, text: str, **values) -> str:
    return WORDS.said(text, language, **values)


def _step_words(step: str, language: str) -> str:
    if step in vocabulary.PROGRESS:
        return vocabulary.PROGRESS.label(step, language)
    return vocabulary.CRITERIA.label(_STEP_CRITERIA.get(step, step), language)


def _member_country(code: str, language: str) -> str:
    return vocabulary.MEMBER_COUNTRIES.label(code, language) if code in vocabulary.MEMBER_COUNTRIES \
        else places.country_name(code, language)


def _titled(name: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in name.split())


def _region_words(parts: list[str], language: str, day, regions) -> str:
    country, state, name = parts[0], parts[1], " ".join(parts[2:])
    if len(parts) > 3 and state and not places.CODE.match(state):
        # one text with spaces in it: where a state nobody knows ends and the name begins is lost
        state, name = "", " ".join(parts[1:])
    known = (regions or {}).get((country, state, name))
    shown = known or _titled(name)
    state_words = "" if not state else places.state_label(state, language) if places.CODE.match(state) \
        else _titled(state)  # a state nobody knows, as written
    where = ", ".join(filter(None, (state_words, places.country_name(country, language))))
    return _said(language, N_("Quarry region {region} ({where})"), region=shown, where=where)


def _day(value: str, day) -> str:
    try:
        return day(date.fromisoformat(value))
    except ValueError:
        return value


# Each prefix of a counter key (services/reporting/domain.py) and its words: a function of (parts after the
# prefix, language, day, regions).
COUNTER_WORDS = {
    "assessed": lambda parts, lang, day, regions: _said(lang, N_("Reports assessed")),
    "outcome": lambda parts, lang, day, regions: _said(
        lang, N_("Outcome: {outcome}"), outcome=vocabulary.OUTCOMES.label(parts[0], lang)),
    "member_country_outcome": lambda parts, lang, day, regions: _said(
        lang, N_("Members from {country} with outcome: {outcome}"), country=_member_country(parts[0], lang),
        outcome=vocabulary.OUTCOMES.label(parts[1], lang)),
    "band": lambda parts, lang, day, regions: _said(lang, _BANDS_OF[parts[0]],
                                                    band=vocabulary.BANDS.label(parts[1], lang)),
    "requirement": lambda parts, lang, day, regions: _said(
        lang, _REQUIREMENT[parts[1]], requirement=vocabulary.REQUIREMENTS.label(parts[0], lang)),
    "known_sum": lambda parts, lang, day, regions: _said(
        lang, N_("Known {links}: sum of the percentages (in thousandths)"),
        links=vocabulary.SUPPLY_CHAIN_LINKS.label(parts[0], lang)),
    "chains": lambda parts, lang, day, regions: _said(lang, N_("Number of supply chains: {chains}"),
                                                      chains=_said(lang, _CHAIN_BUCKETS[parts[0]])),
    "country": lambda parts, lang, day, regions: _said(lang, N_("Production country {country}"),
                                                       country=places.country_name(parts[0], lang)),
    "region": _region_words,
    "material": lambda parts, lang, day, regions: _said(lang, N_("Material: {material}"),
                                                        material=vocabulary.MATERIALS.label(parts[0], lang)),
    "risk": lambda parts, lang, day, regions: _said(lang, N_("Reports naming a risk")) if parts == ["any"]
    else _said(lang, N_("Risk: {theme}"), theme=vocabulary.RISK_THEMES.label(parts[0], lang)),
    "mitigation": lambda parts, lang, day, regions: _said(lang, N_("Reports naming a measure")) if parts == ["any"]
    else _said(lang, N_("Measure: {kind}"), kind=vocabulary.MITIGATION_KINDS.label(parts[0], lang)),
    "step": lambda parts, lang, day, regions: _said(lang, N_("Progress: {step}"), step=_step_words(parts[0], lang)),
    "case_kind": lambda parts, lang, day, regions: _said(lang, N_("Cases: {kind}"),
                                                         kind=vocabulary.CASE_KINDS.label(parts[0], lang)),
    "case_state": lambda parts, lang, day, regions: _said(lang, N_("Cases at the stage: {state}"),
                                                          state=vocabulary.CASE_STATES.label(parts[0], lang)),
    "appeals_upheld": lambda parts, lang, day, regions: _said(lang, N_("Appeals upheld (in full or in part)")),
    "verification": lambda parts, lang, day, regions: _said(lang, _VERIFICATION[parts[0]]),
    "member": lambda parts, lang, day, regions: _said(
        lang, N_("Members: {role} from {country}, joined on {day}"),
        role=vocabulary.MEMBER_ROLES.label(parts[1], lang), country=_member_country(parts[0], lang),
        day=_day(parts[2], day)),
    "authority": lambda parts, lang, day, regions: _said(
        lang, N_("Contracting authorities from {country}, joined on {day}"),
        country=_member_country(parts[0], lang), day=_day(parts[1], day)),
}


def region_names(known: list[dict]) -> dict[tuple[str, str, str], str]:
    """The known regions' names (the API's `/v1/regions`) by how a counter key names them: country, state
    code and the name's comparison form."""
    return {(each["country"], each.get("state") or "", places.comparison_form(each["name"])): each["name"]
            for each in known}


def counter_words(counter: str | list[str], language: str, *, day=date.isoformat, regions=None) -> str:
    """A counter of reporting's proof, by its key's parts (["region", "IN", "IN-RJ", "bundi"]) or, from a
    reporting that does not give them, as one text ("region IN IN-RJ bundi"), in people's words in `language`
    ("Groevegebied Bundi (Rajasthan, India)"); `day` writes a date, `regions` (from `region_names`) names known
    regions as the secretariat wrote them. A counter of a kind not known here is still shown readably, never
    refused."""
    prefix, *parts = counter.split(" ") if isinstance(counter, str) else counter
    try:
        return COUNTER_WORDS[prefix](parts, language, day, regions)
    except Exception:  # a new or malformed key: its words as they are, without underscores
        named = prefix.replace("_", " ").capitalize()
        return f"{named}: {' '.join(parts).replace('_', ' ')}" if parts else named
