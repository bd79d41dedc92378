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
from urllib.parse import quote, urlsplit
from datetime import date, datetime, timedelta

from common import covenant, places, vocabulary
from common.i18n import N_

LINKS = vocabulary.SUPPLY_CHAIN_LINKS.codes
# The repeating groups of the report and a blank row of each (production countries are plain codes).
GROUPS = {
    "production_countries": "",
    "quarry_regions": {"country": "", "region": "", "state": ""},
    "risks": {"theme": "", "country": "", "severity": "", "likelihood": "", "actual": "", "source": ""},
    "mitigation": {"kind": "", "country": "", "description": ""},
    "evidence": {"kind": "", "title": "", "issued_on": {"day": "", "month": "", "year": ""}, "file": ""},
}
# A file chosen in the form is uploaded when the form is posted (whatever its button): the form then holds
# its id, as the report names it, so a file chosen before an error is not chosen again. Each file input's
# name, and the report path of the id it gives.
UPLOAD_SUFFIX = ".upload"
_UPLOAD = re.compile(r"^(evidence\.\d{1,3}\.file|plan_of_approach_file)\.upload$")
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
        "mitigation": [], "plan_of_approach": False, "plan_of_approach_file": "",
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
    state["evidence"] = [{**each, "issued_on": _date_parts(each["issued_on"]), "file": each.get("file") or ""}
                         for each in report["evidence"]]
    state["plan_of_approach_file"] = report.get("plan_of_approach_file") or ""
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
    state["plan_of_approach_file"] = one("plan_of_approach_file")
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


def upload_path(name: str) -> str | None:
    """The report path a file input gives an id to (`evidence.0.file` of `evidence.0.file.upload`), else
    None."""
    found = _UPLOAD.match(name)
    return found.group(1) if found else None


def with_file(fields: dict[str, list[str]], path: str, file_id: str) -> dict[str, list[str]]:
    """The posted form with an uploaded file's id as the answer at `path`."""
    return {**fields, path: [file_id]}


def apply(state: dict, action: str) -> dict:
    """A form action that changes the form itself: `add:<group>` adds a blank row, `remove:<group>:<n>`
    removes row n, `unfile:evidence:<n>` and `unfile:plan_of_approach` take a file off the report (it stays
    with any version sent with it). Anything else leaves the form as it is."""
    kind, _, rest = action.partition(":")
    group, _, index = rest.partition(":")
    if kind == "unfile":
        return _unfile(state, group, index)
    if group not in GROUPS:
        return state
    state = copy.deepcopy(state)
    if kind == "add" and len(state[group]) < MAX_ROWS:
        state[group].append(copy.deepcopy(GROUPS[group]))
    elif kind == "remove" and index.isdigit() and int(index) < len(state[group]):
        del state[group][int(index)]
    return state


def _unfile(state: dict, group: str, index: str) -> dict:
    state = copy.deepcopy(state)
    if group == "plan_of_approach":
        state["plan_of_approach_file"] = ""
    elif group == "evidence" and index.isdigit() and int(index) < len(state["evidence"]):
        state["evidence"][int(index)]["file"] = ""
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
        "evidence": [_evidence(each) for each in state["evidence"]],
    }
    if state.get("plan_of_approach_file"):
        report["plan_of_approach_file"] = state["plan_of_approach_file"]
    return report


def _evidence(item: dict) -> dict:
    """A piece of evidence as the report names it: its file only when one was chosen."""
    shown = {key: value for key, value in item.items() if key != "file"}
    shown["issued_on"] = iso_date(item["issued_on"])
    if item.get("file"):
        shown["file"] = item["file"]
    return shown


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

# Where a year stands for a member, as the notification service (its owner) says it, and what each is
# called (English source text; the pages translate it).
STANDINGS = ("not_obliged", "due", "missing", "received", "needs_more_time", "compliant")
STANDING_WORDS = {
    "not_obliged": N_("Need not report"), "due": N_("Not yet received"), "missing": N_("Missing"),
    "received": N_("Received, being assessed"), "needs_more_time": N_("Needs more time"),
    "compliant": N_("Meets the requirements"),
}


CONFIRM_NEW_CODE = N_("Tick the box to confirm: the company's current code stops working at once, and it signs in "
                      "only with the new code you give it.")
CONFIRM_NEW_AUTHORITY_CODE = N_("Tick the box to confirm: the authority's current code stops working at once, and it "
                                "signs in only with the new code you give it.")

# A year whose company still has something to do for it: report, report again, or report late.
TO_ACT_ON = ("due", "missing", "needs_more_time")


def last_values(fields: dict[str, list[str]]) -> dict[str, str]:
    """A form's fields, each as its last value without surrounding spaces ("" for one sent empty)."""
    return {name: (values[-1].strip() if values else "") for name, values in fields.items()}



def notice_action(notice: dict, role: str, seat: str | None = None) -> tuple[str, str, dict] | None:
    """Where a notice's reader acts on it, and what the link says (an English text of the catalog, with its
    values): the case or report it is about; for the secretariat the company, the year's missing reports or
    the names to place; for the commission's chair (`seat`) the seats to confirm. None: nothing to open."""
    about, kind = notice.get("about") or {}, notice.get("kind")
    if about.get("number") and role in (vocabulary.COMPANY, vocabulary.COMMISSION):
        return f"/cases/{quote(str(about['number']), safe='')}", N_("Open case %(number)s"), \
            {"number": about["number"]}
    if about.get("report_id") and role == vocabulary.COMPANY:
        return f"/reports/{quote(str(about['report_id']), safe='')}", N_("Open this report"), {}
    if role == vocabulary.SECRETARIAT:
        if kind == "alert_needs_more_time" and about.get("company_id"):
            return f"/secretariat/companies/{quote(str(about['company_id']), safe='')}", N_("Open this company"), {}
        if kind == "alert_missing" and notice.get("covenant_year"):
            # the year's members, unfiltered: those the alert names stand as "due" (the catch-up date still
            # to come), "missing" or "needs more time", so no one status lists them all
            return f"/secretariat?year={int(notice['covenant_year'])}", N_("See where each member stands"), {}
        if kind in ("alert_unknown_region", "alert_unknown_state"):
            return "/secretariat/regions", N_("Place the name"), {}
    if kind == "commission_seat_awaiting" and role == vocabulary.COMMISSION and seat == "chair":
        return "/commission/members", N_("Confirm the seat"), {}
    return None


def pressing_first(standings: list[dict]) -> list[dict]:
    """A company's years (its standings, as notification gives them) in the order it acts on them: those it
    still has to report for (obliged), the nearest date first (one already passed before that); then the
    others, the newest first."""
    def order(standing: dict):
        if standing["obliged"] and standing["status"] in TO_ACT_ON:
            return 0, standing["days_left"], standing["covenant_year"]
        return 1, -standing["covenant_year"], 0
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
                         say(N_("Yes")) if standing["obliged"] else say(N_("No")),
                         say(STANDING_WORDS[standing["status"]]), standing["deadline"], standing["days_left"],
                         standing["latest_version"] or "", _score_shown(standing, language)])
    return buffer.getvalue()


def _score_shown(standing: dict, language: str):
    """The score of the latest version, once it is assessed (not an earlier version's), as the reader's
    spreadsheet reads a number."""
    assessed = standing["status"] in ("compliant", "needs_more_time") and standing["score"] is not None
    return vocabulary.number(standing["score"], language) if assessed else ""


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


# --- proofs of membership (attestations) ------------------------------------------------------------------------

# Why an attestation is not believed, or no longer holds (the attestation service's reason codes), in words.
CHECK_PATH = "/attestations/check"


MAX_ATTESTATION_FILE_BYTES = 16 * 1024  # a proof's text is about 1 kB: its file, a few at most (the page says 16 KB)
ATTESTATION_FILE_TOO_LARGE = N_("This file is larger than the text of a proof can be (16 KB at most): choose the "
                                "proof's text file.")
ATTESTATION_FILE_NOT_TEXT = N_("This file does not hold the text of a proof: choose the proof's text file, not a "
                               "photo or a PDF of it.")
ATTESTATION_FILE_EMPTY = N_("This file is empty: choose the proof's text file.")


def attestation_text(typed: str | None, uploaded: bytes | None) -> tuple[str, dict[str, list[str]]]:
    """The text of a proof to check: the file's when one was chosen (UTF-8 text), else what was typed; without
    the spaces and line breaks a copy, a printed page or a file adds (a proof holds none). Or, for a file that
    cannot be one, what to say beside its field (`attestation_file`)."""
    if uploaded is None:
        return "".join((typed or "").split()), {}
    if len(uploaded) > MAX_ATTESTATION_FILE_BYTES:
        return "", {"attestation_file": [ATTESTATION_FILE_TOO_LARGE]}
    try:
        text = "".join(uploaded.decode("utf-8-sig").split())
    except UnicodeDecodeError:
        return "", {"attestation_file": [ATTESTATION_FILE_NOT_TEXT]}
    if not text:
        return "", {"attestation_file": [ATTESTATION_FILE_EMPTY]}
    if not text.isprintable():
        return "", {"attestation_file": [ATTESTATION_FILE_NOT_TEXT]}
    return text, {}


def attestation_check_url(base: str, attestation: str) -> str:
    """The public page that checks `attestation` (what its QR code opens)."""
    return f"{base.rstrip('/')}{CHECK_PATH}?attestation={quote(attestation, safe='')}"


def qr_code(text: str) -> str:
    """A QR code of `text` as an SVG data URI (segno), for an <img> the page's policy allows."""
    import segno
    return segno.make(text, error="l").svg_data_uri(scale=3, border=4)
