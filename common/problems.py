"""Every refusal the services give, with a stable code and the parameters that say it, beside its message.

A field error of a 422 is `{"code": "max_length", "max": 200, "message": "Longer than maximum length 200."}`
under `problems` (README, "API"; docs/contract.md §5); another refusal (403, 404, 429) carries one as
`error.problem`. The message is English, for whoever reads the API; the code and its parameters are what a
program (the portal) words a refusal from, in any language, without reading the message. Codes are never
renamed: a client may rely on them. Every code is declared here, once (`KINDS`), with an example of its
parameters; the OpenAPI documents list them and `tests/unit/test_portal_pages.py` checks the portal has
words for each, in Dutch and English.

A `Problem` is a str (its message), so marshmallow and everything that passes messages along carries it
unchanged; marshmallow's own messages are made Problems in `common.schema`.
"""
from __future__ import annotations

from typing import Callable

from common import vocabulary


class Problem(str):
    """A refusal's message (English) with its `code` and `params`: `as_dict()` is its wire form."""

    code: str
    params: dict

    def __new__(cls, message: str, code: str, **params):
        made = super().__new__(cls, message)
        made.code, made.params = code, params
        return made

    def format(self, *args, **kwargs) -> "Problem":
        """The message with its fields filled in (as marshmallow fills in its own), code kept; a parameter
        given as a template (`expected="{obj_type}"`) is filled in with it."""
        params = {name: value.format(*args, **kwargs) if isinstance(value, str) and "{" in value else value
                  for name, value in self.params.items()}
        return Problem(str.format(self, *args, **kwargs), self.code, **params)

    def __reduce__(self):  # copied and pickled whole (marshmallow deep-copies its fields' messages)
        return _problem, (str(self), self.code, self.params)

    def as_dict(self) -> dict:
        return {"code": self.code, **self.params, "message": str(self)}

    @classmethod
    def of(cls, given) -> "Problem":
        """A Problem from its wire form (a dict), itself, or a message without a code (code `invalid`)."""
        if isinstance(given, Problem):
            return given
        if isinstance(given, dict):
            params = {name: value for name, value in given.items() if name not in ("code", "message")}
            return cls(str(given.get("message", "")), str(given.get("code") or INVALID.code), **params)
        return cls(str(given), INVALID.code)


def _problem(message: str, code: str, params: dict) -> Problem:
    return Problem(message, code, **params)


class Kind:
    """One code a service can refuse with: its message (English, a template of its parameters), how the
    parameters are written in it where not as they are (`written(params)`: a list joined, a code's name), and
    an example of its parameters. `kind(**params)` is a Problem of this kind."""

    def __init__(self, code: str, message: str, written: Callable[[dict], dict] | None = None, **example):
        self.code, self.message, self.written, self.example = code, message, written, example
        KINDS.setdefault(code, []).append(self)

    def __call__(self, **params) -> Problem:
        values = {**params, **(self.written(params) if self.written else {})}
        return Problem(self.message.format(**values), self.code, **params)

    def template(self, **params) -> Problem:
        """The message unformatted, for marshmallow to fill in (`Problem.format`)."""
        return Problem(self.message, self.code, **params)


def _listed(values) -> str:
    return ", ".join(str(each) for each in values)


def _country(code: str) -> str:
    from common.places import country_name
    return country_name(code)


def _state(code: str | None) -> str | None:
    from common.places import state_label
    return state_label(code)


KINDS: dict[str, list[Kind]] = {}  # code -> the kinds with that code (one message each)

# --- any field (marshmallow's own messages, web.load) --------------------------------------------------------
REQUIRED = Kind("required", "Missing data for required field.")
NULL = Kind("null", "Field may not be null.")
UNKNOWN_FIELD = Kind("unknown_field", "Unknown field.")
INVALID = Kind("invalid", "Invalid value.")  # any other refusal a validator gives without a code of its own
# `expected`: object, list, text, integer, number, boolean, date, datetime
TYPE_OBJECT = Kind("type", "Expected a JSON object.", expected="object")
TYPE_INPUT = Kind("type", "Invalid input type.", expected="object")
TYPE_NESTED = Kind("type", "Invalid type.", expected="object")
TYPE_MAPPING = Kind("type", "Not a valid mapping type.", expected="object")
TYPE_LIST = Kind("type", "Not a valid list.", expected="list")
TYPE_TEXT = Kind("type", "Not a valid string.", expected="text")
TYPE_UTF8 = Kind("type", "Not a valid utf-8 string.", expected="text")
TYPE_NUMBER = Kind("type", "Not a valid number.", expected="number")
TYPE_INTEGER = Kind("type", "Not a valid integer.", expected="integer")
TYPE_STRICT_INTEGER = Kind("type", "Must be an integer.", expected="integer")
TYPE_BOOLEAN = Kind("type", "Not a valid boolean.", expected="boolean")
TYPE_STRICT_BOOLEAN = Kind("type", "Must be true or false.", expected="boolean")
TYPE_DATE = Kind("type", "Not a valid date.", expected="date")
TYPE_TEMPORAL = Kind("type", "Not a valid {obj_type}.", expected="datetime")  # expected: marshmallow's obj_type
TYPE_AWARE = Kind("type", "Not a valid {awareness} {obj_type}.", expected="datetime")
TOO_LARGE = Kind("too_large", "Number too large.")
NOT_FINITE = Kind("not_finite", "Special numeric values (nan or infinity) are not permitted.")
MIN_LENGTH = Kind("min_length", "Shorter than minimum length {min}.", min=1)
MAX_LENGTH = Kind("max_length", "Longer than maximum length {max}.", max=200)
LENGTH_BETWEEN_SHORT = Kind("min_length", "Length must be between {min} and {max}.", min=1, max=200)
LENGTH_BETWEEN_LONG = Kind("max_length", "Length must be between {min} and {max}.", min=1, max=200)
LENGTH = Kind("length", "Length must be {equal}.", equal=2)
# `min`, `max`: the bounds (either may be absent); `min_inclusive`, `max_inclusive` only when false
RANGE = Kind("range", "Must be between {min} and {max}.", min=0, max=1_000_000)
RANGE_MIN = Kind("range", "Must be greater than or equal to {min}.", min=1)
RANGE_MAX = Kind("range", "Must be less than or equal to {max}.", max=100)
RANGE_BOTH = Kind("range", "Must be greater than or equal to {min} and less than or equal to {max}.",
                  min=0, max=100)
ONE_OF = Kind("one_of", "Must be one of: {choices}.", lambda p: {"choices": _listed(p["choices"])},
              choices=["nl", "en"])
PATTERN = Kind("pattern", "String does not match expected pattern.")
EMAIL = Kind("email", "Not a valid email address.")
URL = Kind("url", "Not a valid URL.")
HTTPS_URL = Kind("https_url", "Must be an https URL.")
COUNTRY = Kind("country", "Not an ISO 3166-1 alpha-2 country code: {value!r}.", value="XX")
DUPLICATE = Kind("duplicate", "Duplicate {what}: {value}.", lambda p: {"what": p["what"].replace("_", " ")},
                 what="country", value="IN")  # what: country, quarry_region, material
# What people type is text (common.text); `line_breaks`: whether the text may hold line breaks and tabs
BIDI_CONTROLS = Kind("bidi_controls", "Must not contain characters that change the direction of text.")
CONTROL_CHARACTERS = Kind("control_characters", "Must not contain control characters.", line_breaks=False)
CONTROL_CHARACTERS_BUT_BREAKS = Kind(
    "control_characters", "Must not contain control characters other than line breaks and tabs.", line_breaks=True)
NAME_TAKEN = Kind("name_taken", "A member with this name is already registered: add what sets this one apart "
                  "(its place or legal form).")
LOOKS_LIKE_MEMBER = Kind("looks_like_member", "Looks the same as the name of a member already registered, "
                         "{member}, but is written with other characters.", member="Alpha Steen B.V.")

# --- places (common.places) -----------------------------------------------------------------------------------
PLACE_MARKUP = Kind("place_markup", "Must be a place name, without markup.")
PLACE_FORMULA = Kind("place_formula", "Must start with a letter or digit, not with =, +, - or @.")
PLACE_NO_LETTERS = Kind("place_no_letters", "Must be a place name: it has no letters.")
PLACE_RESERVED = Kind("place_reserved", "Must be a place name: this word is what the published figures print "
                      "for hidden values.")
STATE_OF_ANOTHER_COUNTRY = Kind("state_of_another_country", "{state} is a subdivision of {state_country}, not of "
                                "{country}.", lambda p: {"state_country": _country(p["state_country"]),
                                                         "country": _country(p["country"])},
                                state="IN-RJ", state_country="IN", country="PK")
UNKNOWN_STATE_CODE = Kind("unknown_state_code", "{state} is not an ISO 3166-2 code of {country}.",
                          lambda p: {"country": _country(p["country"])}, state="IN-XX", country="IN")
UNKNOWN_SUBDIVISION = Kind("unknown_subdivision", "Not a known subdivision of {country}: give its ISO 3166-2 code.",
                           lambda p: {"country": _country(p["country"])}, country="IN")

# --- who may do what ------------------------------------------------------------------------------------------
ROLE_NEEDED = Kind("role_needed", "This needs the role {roles}.", lambda p: {"roles": " or ".join(
    vocabulary.CALLER_ROLES.label(role, "en") for role in p["roles"])}, roles=["secretariat", "company"])
CHAIR_ONLY = Kind("chair_only", "Only the commission's chair may do this.")
CHAIR_EXISTS = Kind("chair_exists", "The commission has a chair already: a new chair is registered by the "
                    "secretariat and confirmed by the chair.")
SECRETARIAT_NOT_FOR_COMMISSION_CODES = Kind(
    "secretariat_not_for_commission_codes", "The secretariat cannot replace the code of a member of the "
    "commission: the chair or the member itself can.")
CHAIR_OR_MEMBER_ONLY = Kind("chair_or_member_only",
                            "Only the chair or the member itself may replace a member's code.")

# --- the files sent with a report ------------------------------------------------------------------------------
UNKNOWN_FILE = Kind("unknown_file", "No file of yours has this id: upload the file again.")
UNSENT_FILES = Kind("unsent_files", "{max} files of yours are in no sent report yet: send the report that names "
                    "them, or upload this file a day after the oldest.", max=50)
FILES_KEPT_FULL = Kind("files_kept_full", "Your files together would be larger than {max_mb} MB, the most the "
                       "platform keeps for one company: ask the secretariat.", max_mb=1000)

# --- attestations: why a check finds one not genuine, or no longer holding ------------------------------------
NOT_AN_ATTESTATION = Kind("not_an_attestation", "This is not an attestation of the platform.")
UNKNOWN_KEY = Kind("unknown_key", "It is signed with a key the platform never published.")
WITHDRAWN_KEY = Kind("withdrawn_key", "The key was withdrawn: nothing signed with it is believed.")
FORGED = Kind("forged", "The signature is not the platform's: it was forged.")
ALTERED = Kind("altered", "Its content does not match what the platform issued under its id.")
EXPIRED = Kind("expired", "It was genuine, but it held only until {expires_on}.", expires_on="2021-04-01")

# --- members --------------------------------------------------------------------------------------------------
NO_MEMBER = Kind("no_member", "No member with id {id}.", id="c-1")
NO_COMMISSION_MEMBER = Kind("no_commission_member", "No member of the commission with id {id}.", id="m-1")
ALREADY_SEATED = Kind("already_seated", "This member already sits on the commission.")
AWAITING_CONFIRMATION = Kind("awaiting_confirmation",
                             "This seat waits for the chair's confirmation, which gives the member its code.")
NO_SUCH_COMPANY = Kind("no_such_company", "No such member company.")
AMBIGUOUS_NAME = Kind("ambiguous_name", "{count} or more members match this name; name one by its id.", count=3)
COMPANY_OR_NAME = Kind("company_or_name", "Give either company_id or name.")

# --- reports, frameworks, verification ------------------------------------------------------------------------
EXCEEDS_TOTAL = Kind("exceeds_total", "Must not exceed total.")
NO_FRAMEWORK = Kind("no_framework", "No assessment framework for covenant year {covenant_year} (frameworks exist "
                    "for year {known}).", lambda p: {"known": _listed(p["known"])}, covenant_year=9, known=[1, 2])
FRAMEWORK_FILE = Kind("framework_file", "{fault}", fault="year-1.yaml: maximum: The criteria's points add up to "
                      "95, not 90.")  # for whoever corrects the file: said as scoring found it
SAMPLE_DRAWN = Kind("sample_drawn", "Year {covenant_year}'s sample was drawn on {drawn_on} with seed {seed}.",
                    covenant_year=1, drawn_on="2021-02-01", seed="a1b2")
NOTHING_TO_SAMPLE = Kind("nothing_to_sample", "No report of covenant year {covenant_year} has been assessed yet: "
                         "there is nothing to draw from.", covenant_year=1)
NO_SAMPLE = Kind("no_sample", "No sample has been drawn for covenant year {covenant_year}.", covenant_year=1)
NOT_SAMPLED = Kind("not_sampled", "Not in covenant year {covenant_year}'s sample.", covenant_year=1)
IN_THE_FUTURE = Kind("in_the_future", "Must not be later than today ({today}).", today="2021-03-01")
CORRECTIONS_NEEDED = Kind("corrections_needed", "Say what was corrected and why.")

# --- notices, dates, webhooks ---------------------------------------------------------------------------------
AFTER_DUE_DATE = Kind("after_due_date", "Must be after the due date, {due_date}.", due_date="2020-12-31")
WITHIN_A_YEAR = Kind("within_a_year", "Must be no later than {latest}, a year after the due date.",
                     latest="2021-12-31")
URL_CREDENTIALS = Kind("url_credentials", "Must not carry a user name or password.")
URL_NO_HOST = Kind("url_no_host", "Must name a host.")
URL_PORT = Kind("url_port", "The port is not a number from 1 to 65535.")
URL_NUMERIC_HOST = Kind("url_numeric_host", "Name the host by its DNS name or a plain IP address.")
HOST_UNRESOLVED = Kind("host_unresolved", "The host does not resolve.")
HOST_NOT_PUBLIC = Kind("host_not_public", "The host resolves to an address that is not public.")

# --- sector figures and places ----------------------------------------------------------------------------------
NAME_NOT_CODE = Kind("name_not_code", "Give the name as companies wrote it, not a code.")
# of a state (`state`: its code), or of a region (`region`: the gazetteer's name, its `state` or null, `country`)
ALREADY_A_STATE_NAME = Kind("already_a_name", "Already a name of {state}.",
                            lambda p: {"state": _state(p["state"])}, state="IN-RJ")
ALREADY_A_REGION_NAME = Kind("already_a_name", "Already a name of {region} ({where}).",
                             lambda p: {"where": _state(p["state"]) or _country(p["country"])},
                             region="Bundi", state="IN-RJ", country="IN")
NO_EDITION = Kind("no_edition", "Covenant year {covenant_year} has no edition {edition}.", covenant_year=1,
                  edition=4)
NOT_PUBLISHED = Kind("not_published", "The figures of covenant year {covenant_year} are not published yet.",
                     covenant_year=1)
# since: the number of the latest edition, or null before the first
TOO_FEW_CHANGED = Kind("too_few_changed", "{needed} more {companies}: an edition is released only when the "
                       "contributions of at least {min_companies} companies changed since {since} ({changed} "
                       "changed).", lambda p: {"companies": "company" if p["needed"] == 1 else "companies",
                                               "since": f"edition {p['since']}" if p["since"]
                                               else "nothing was published"},
                       needed=2, min_companies=3, since=1, changed=1)
NO_FIGURES = Kind("no_figures", "No figures for covenant year {covenant_year}.", covenant_year=9)

# --- complaints and disputes ------------------------------------------------------------------------------------
TOO_MANY_CASES = Kind("too_many_cases", "Too many cases from your address in 24 hours. Please try again in "
                      "{hours} hour(s).", hours=3)
TOO_MANY_CODES = Kind("too_many_codes", "Too many wrong follow-up codes for this case. Please try again in "
                      "{minutes} minute(s).", minutes=20)
PARTY_NEEDED = Kind("party_needed", "Name the member or party the complaint is about.")
# `file`: the file's place among those sent (1, 2, ...), null when one file was sent
FILE_TYPE = Kind("file_type", "{file} is not a photo (JPEG or PNG) or a PDF.", lambda p: {"file": _file(p)}, file=2)
FILE_TOO_LARGE = Kind("file_too_large", "{file} is larger than {max_mb} MB.", lambda p: {"file": _file(p)},
                      file=2, max_mb=5)
FILES_TOO_LARGE = Kind("files_too_large", "Together the files are larger than {max_mb} MB.", max_mb=20)
TOO_MANY_FILES = Kind("too_many_files", "A case holds {max} attachments at most.", max=10)
NO_ASSESSMENT_TO_CONTEST = Kind("no_assessment_to_contest", "No assessment of this report version is yours.")
NOT_CRITERIA_OF_ASSESSMENT = Kind("not_criteria_of_assessment", "Not criteria of this assessment: {criteria}.",
                                  lambda p: {"criteria": _listed(p["criteria"])}, criteria=["grievance_mechanism"])
MOVE_NOT_ALLOWED = Kind("move_not_allowed", "A case {state} can move to: {allowed}.",
                        lambda p: {"allowed": _listed(p["allowed"]) or "none: the case is closed"},
                        state="received", allowed=["acknowledged"])
SEAT_NOT_ALLOWED = Kind("seat_not_allowed", "Only the {seats} may move a case that is {state}.",
                        lambda p: {"seats": " or ".join(p["seats"])}, seats=["chair"], state="acknowledged")
ADMISSIBLE_NEEDED = Kind("admissible_needed", "Say whether the case is admissible.")
ONLY_WITH_STEP = Kind("only_with_step", "Only with the step to {step}.",
                      lambda p: {"step": p["step"].replace("_", " ")}, step="admissibility_decided")
INADMISSIBLE_ONLY_CLOSED = Kind("inadmissible_only_closed", "An inadmissible case can only be closed.")
OUTCOME_NEEDED = Kind("outcome_needed", "Say whether the appeal is upheld, upheld in part or rejected.")
CORRECTIONS_NAMED = Kind("corrections_named", "Name each corrected criterion, whether it is met, and why.")
NOT_CRITERIA_OF_APPEAL = Kind("not_criteria_of_appeal", "Not criteria of the appeal: {criteria}.",
                              lambda p: {"criteria": _listed(p["criteria"])}, criteria=["grievance_mechanism"])
NOT_YET_ADMISSIBLE = Kind("not_yet_admissible", "The company learns of a case only once it is found admissible.")
NOT_ASKED = Kind("not_asked", "The commission has not asked your company to answer this case.")

# --- the portal's own (its forms and sign-in) -------------------------------------------------------------------
FORM_EXPIRED = Kind("form_expired", "This form has expired. Please try again.")
UNKNOWN_CODE = Kind("unknown_code", "This sign-in code is not known. Check it and try again.")
TOO_MANY_ATTEMPTS = Kind("too_many_attempts", "Too many attempts. Try again in {minutes} minute(s).", minutes=15)


def _file(params: dict) -> str:
    return f"File {params['file']}" if params.get("file") else "The file"


def codes() -> list[str]:
    return sorted(KINDS)
