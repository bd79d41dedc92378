"""The portal's pages: Jinja2 templates in Dutch and English (Babel: the translations, country names and
dates), the headers every page is sent with, and the entrypoint that answers with pages, errors included.
"""
from __future__ import annotations

import contextvars
import functools
import io
import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path
from urllib.parse import quote

import jinja2
import pycountry
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from nameko.extensions import DependencyProvider
from werkzeug.exceptions import NotFound as NoRoute, RequestEntityTooLarge
from werkzeug.wrappers import Response

from common import errors, places, vocabulary
from common.logging import get_logger
from common.web import DEPENDENCY_FAILURES, JsonHttpHandler
from services.portal import domain

log = get_logger(__name__)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "trustone_session"
LANGUAGE_COOKIE = "trustone_lang"
DEVICE_COOKIE = "trustone_device"  # a browser a member signed in with (domain.new_device)
DEVICE_COOKIE_DAYS = 365
DEFAULT_LANGUAGE = "nl"
# Nothing but the portal's own files: no inline script, no other site, no framing.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin"}
TIME_ZONE = ZoneInfo("Europe/Amsterdam")  # the covenant's members are in the Netherlands and Flanders
DATE_LOCALES = {"nl": "nl_NL", "en": "en_GB"}  # 1 April 2021, as Europe writes it
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

# The request being answered, in the server's greenthread: its error page is made there, after the worker ended
_request = contextvars.ContextVar("portal_request", default=None)
VISITOR = "portal.visitor"  # the request's environ key for the visitor its page worked out


def remember(request, visitor):
    """Keeps the visitor with its request, so that an error page shows a signed-in visitor their menu."""
    request.environ[VISITOR] = visitor
    return visitor


def catalog(language: str):
    """The messages of a language as written in its .po file (English is the source text)."""
    with open(HERE / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


@functools.cache
def translations(language: str) -> Translations:
    """The compiled catalog of a language (compiled here, so there is no build step)."""
    if language == "en":
        return Translations()
    catalog_ = catalog(language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog_)
    compiled.seek(0)
    return Translations(compiled)


@functools.cache
def countries(language: str) -> list[tuple[str, str]]:
    """(code, name) of every ISO 3166 country, named and sorted in the language."""
    names = Locale.parse(language).territories
    return sorted(((each.alpha_2, names.get(each.alpha_2, each.name)) for each in pycountry.countries),
                  key=lambda item: _sort_key(item[1]))


def _sort_key(name: str) -> str:
    """Åland sorts with the A's, as people look for it."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def country_name(code: str, language: str) -> str:
    return Locale.parse(language).territories.get(code, code)


# An attachment's type (as complaints read it from its bytes) in words.
ATTACHMENT_KINDS = {"image/png": {"nl": "afbeelding (PNG)", "en": "image (PNG)"},
                    "image/jpeg": {"nl": "foto (JPEG)", "en": "photo (JPEG)"},
                    "application/pdf": {"nl": "pdf-document", "en": "PDF document"}}


@functools.cache
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)
    env.globals.update(
        lang=language, vocabulary=vocabulary, field_id=domain.field_id, countries=countries(language),
        country_name=lambda code: country_name(code, language), state_code=places.state_code,
        state_name=lambda state: places.state_label(state, language),
        words=lambda terms, code: terms.label(code, language) if code else "",
        options_of=lambda terms: [(term.code, term.label(language)) for term in terms],
        STANDING_WORDS=domain.STANDING_WORDS, errors_by_anchor=domain.errors_by_anchor,
        message=lambda text: message(text, language),
        attachment_kind=lambda content_type: ATTACHMENT_KINDS.get(content_type, {}).get(language, content_type),
        prefixed=lambda placed, prefix: {prefix + key: value for key, value in placed.items()},
        languages=vocabulary.LANGUAGES.codes, language_name=lambda code: Locale.parse(code).get_display_name(code))
    locale = DATE_LOCALES[language]
    env.globals["counter_words"] = lambda counter, regions=None: domain.counter_words(
        counter, language, day=lambda value: format_date(value, format="long", locale=locale), regions=regions)
    env.filters["day"] = lambda value: format_date(_as_date(value), format="long", locale=locale)
    env.filters["moment"] = lambda value: format_datetime(_as_date(value), format="d MMMM y HH:mm",
                                                          tzinfo=TIME_ZONE, locale=locale)
    env.filters["number"] = lambda value: vocabulary.number(value, language)
    env.filters["keep_percent"] = lambda text: text.replace(" %", "\u00a0%")  # "47,8 %" never split at the line's end
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    return env


def _as_date(value):
    """A date or moment as the API gives it (ISO text) or as Python has it."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return value


# The API's messages in the words of a page: the API speaks to programs ("Field may not be null."), the page
# to people ("Fill this in."), and never names a code a person did not see. A message whose English already
# speaks to people is only translated, by the catalog (messages.po), not listed here.
PLAIN = {
    "Missing data for required field.": {"en": "Fill this in.", "nl": "Vul dit in."},
    "Field may not be null.": {"en": "Fill this in.", "nl": "Vul dit in."},
    "Must be an integer.": {"en": "Enter a whole number.", "nl": "Vul een heel getal in."},
    "Not a valid integer.": {"en": "Enter a whole number.", "nl": "Vul een heel getal in."},
    "Must not exceed total.": {"en": "Cannot be more than the total.", "nl": "Mag niet meer zijn dan het totaal."},
    "Must not contain control characters.": {"en": "Use letters, digits and spaces only.",
                                             "nl": "Gebruik alleen letters, cijfers en spaties."},
    "Must not contain control characters other than line breaks and tabs.": {
        "en": "Use letters, digits, spaces and line breaks only.",
        "nl": "Gebruik alleen letters, cijfers, spaties en regeleinden."},
    "Must not contain characters that change the direction of text.": {
        "en": "Remove the invisible characters that change the direction of the text.",
        "nl": "Verwijder de onzichtbare tekens die de richting van de tekst veranderen."},
    "Must be a place name, without markup.": {"en": "Write only the name of the place, without < or >.",
                                              "nl": "Vul alleen de naam van de plaats in, zonder < of >."},
    "Must start with a letter or digit, not with =, +, - or @.": {
        "en": "Start with a letter or digit, not with =, +, - or @.",
        "nl": "Begin met een letter of cijfer, niet met =, +, - of @."},
    "Must be a place name: it has no letters.": {"en": "Write the name of a place.", "nl": "Vul de naam van een plaats in."},
    "Must be a place name: this word is what the published figures print for hidden values.": {
        "en": "This word cannot be a place name: the published figures use it for hidden values.",
        "nl": "Dit woord kan geen plaatsnaam zijn: de gepubliceerde cijfers gebruiken het voor afgeschermde waarden."},
    "Must be an https URL.": {"en": "Enter a web address starting with https://.",
                              "nl": "Vul een webadres in dat begint met https://."},
    "Not a valid date.": {"en": "Enter a real date.", "nl": "Vul een bestaande datum in."},
    "Not a valid email address.": {"en": "Enter an e-mail address like name@example.nl.",
                                   "nl": "Vul een e-mailadres in zoals naam@voorbeeld.nl."},
    "Must be true or false.": {"en": "Choose yes or no.", "nl": "Kies ja of nee."},
    "No such member company.": {"en": "This company is not a member.", "nl": "Deze onderneming is geen lid."},
    "An inadmissible case can only be closed.": {"en": "A case that is not admissible can only be closed.",
                                                 "nl": "Een zaak die niet ontvankelijk is, kan alleen worden gesloten."},
    "Name each corrected criterion, whether it is met, and why.": {
        "en": "Tick each corrected criterion, say whether it is met, and why.",
        "nl": "Vink elk gecorrigeerd criterium aan, zeg of eraan is voldaan, en waarom."},
    "No assessment of this report version is yours.": {
        "en": "This version of your report has no assessment to contest.",
        "nl": "Deze versie van uw rapportage heeft geen beoordeling om te betwisten."},
    "Not a valid boolean.": {"en": "Choose yes or no.", "nl": "Kies ja of nee."},
    "Not a valid number.": {"en": "Enter a number.", "nl": "Vul een getal in."},
    "Not a valid string.": {"en": "Enter text.", "nl": "Vul tekst in."},
    "Not a valid utf-8 string.": {"en": "Enter text.", "nl": "Vul tekst in."},
    "Not a valid URL.": {"en": "Enter a web address.", "nl": "Vul een webadres in."},
    "Shorter than minimum length 1.": {"en": "Fill this in.", "nl": "Vul dit in."},
    "Give either company_id or name.": {"en": "Choose a member, or give its name.",
                                        "nl": "Kies een lid, of geef zijn naam."},
    "This member already sits on the commission.": {"en": "This member already sits on the commission.",
                                                    "nl": "Dit lid zit al in de commissie."},
    "This seat waits for the chair's confirmation, which gives the member its code.": {
        "en": "This seat waits for the chair's confirmation, which gives the member its code.",
        "nl": "Deze zetel wacht op de bevestiging van de voorzitter; daarmee krijgt het lid zijn code."},
    "Only the commission's chair may do this.": {"en": "Only the commission's chair may do this.",
                                                 "nl": "Alleen de voorzitter van de commissie mag dit doen."},
    "Only the chair or the member itself may replace a member's code.": {
        "en": "Only the chair or the member itself may give a member a new code.",
        "nl": "Alleen de voorzitter of het lid zelf kan een lid een nieuwe code geven."},
    "The secretariat cannot replace the code of a member of the commission: the chair or the member itself can.": {
        "en": "The secretariat cannot give a member of the commission a new code: the chair or the member "
              "itself can.",
        "nl": "Het secretariaat kan een lid van de commissie geen nieuwe code geven: de voorzitter of het lid "
              "zelf kan dat."},
    "The commission has a chair already: a new chair is registered by the secretariat and confirmed by the chair.": {
        "en": "The commission has a chair already: a new chair is registered by the secretariat and confirmed by "
              "the chair.",
        "nl": "De commissie heeft al een voorzitter: een nieuwe voorzitter wordt door het secretariaat "
              "ingeschreven en door de voorzitter bevestigd."},
}


def _terms(terms, separator: str):
    """A replacement that names each code of a list in the page's words."""
    def words(found, language):
        return separator.join(terms.label(code.strip(), language) for code in found.split(","))
    return words


# Messages that name codes: each group is replaced by a function of (text, language), or by a template.
_CASE_MOVES = {"en": "A case that is {0} can move to: {1}.", "nl": "Een zaak die {0} is, kan naar: {1}."}
_CASE_SEATS = {"en": "Only the {0} may move a case that is {1}.",
               "nl": "Alleen de {0} mag een zaak die {1} is verder zetten."}
_APPEAL_STRAYS = {"en": "Not criteria of the appeal: {0}.", "nl": "Geen criteria van het bezwaar: {0}."}
_ASSESSMENT_STRAYS = {"en": "Not criteria of this assessment: {0}.", "nl": "Geen criteria van deze beoordeling: {0}."}
WORDED = [
    (re.compile(r"^Must be one of: .*\.$"), {"en": "Choose one of the options.", "nl": "Kies een van de mogelijkheden."}),
    (re.compile(r"^Not an ISO 3166-1 alpha-2 country code: .*\.$"), {"en": "Choose a country.", "nl": "Kies een land."}),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     {"en": r"Use between \1 and \2 characters.", "nl": r"Gebruik tussen \1 en \2 tekens."}),
    (re.compile(r"^Duplicate country: .*\.$"), {"en": "This country is listed twice.", "nl": "Dit land staat er twee keer."}),
    (re.compile(r"^Duplicate quarry region: .*\.$"),
     {"en": "This quarry region is listed twice.", "nl": "Dit groevegebied staat er twee keer."}),
    (re.compile(r"^\S+ is a subdivision of .+, not of .+\.$"),
     {"en": "This state or province is not in the country chosen.",
      "nl": "Deze staat of provincie ligt niet in het gekozen land."}),
    (re.compile(r"^(\S+ is not an ISO 3166-2 code of .+|Not a known subdivision of .+)\.$"),
     {"en": "Write the name of a state or province of the country chosen.",
      "nl": "Vul de naam in van een staat of provincie van het gekozen land."}),
    (re.compile(r"^Already a name of (.+)\.$"),
     {"en": r"This is already a name of \1.", "nl": r"Dit is al een naam van \1."}),
    (re.compile(r"^Covenant year (\d+) has no edition (\d+)\.$"),
     {"en": r"Covenant year \1 has no edition \2.", "nl": r"Convenantjaar \1 heeft geen editie \2."}),
    (re.compile(r"^(\d+) more \S+: an edition is released only when .*$"),
     {"en": r"\1 more companies' contributions must change before a new edition can be released.",
      "nl": r"Eerst moeten de bijdragen van nog \1 ondernemingen veranderen voordat er een nieuwe editie kan "
            r"verschijnen."}),
    (re.compile(r"^No assessment framework for covenant year (\d+).*$"),
     {"en": r"Covenant year \1 has no assessment framework.", "nl": r"Convenantjaar \1 heeft geen beoordelingskader."}),
    (re.compile(r"^Must be between (\S+) and (\S+)\.$"),
     {"en": r"Enter a value from \1 to \2.", "nl": r"Vul een waarde in van \1 tot en met \2."}),
    (re.compile(r"^Must be no later than (\S+), a year after the due date\.$"),
     {"en": r"Must be no later than \1, a year after the due date.",
      "nl": r"Mag niet later zijn dan \1, een jaar na de uiterste datum."}),
    (re.compile(r"^Must be after the due date, (.*)\.$"),
     {"en": r"Must be after the due date (\1).", "nl": r"Moet na de uiterste datum liggen (\1)."}),
    (re.compile(r"^Year (\d+)'s sample was drawn on (\S+) with seed (.+)\.$"),
     {"en": r"Year \1's sample was drawn on \2 with seed \3.",
      "nl": r"De steekproef van jaar \1 is getrokken op \2 met startgetal \3."}),
    (re.compile(r"^No report of covenant year (\d+) has been assessed yet: there is nothing to draw from\.$"),
     {"en": r"No report of covenant year \1 has been assessed yet: there is nothing to draw from.",
      "nl": r"Er is nog geen rapportage over convenantjaar \1 beoordeeld: er valt niets te trekken."}),
    (re.compile(r"^Not in covenant year (\d+)'s sample\.$"),
     {"en": r"Not in covenant year \1's sample.", "nl": r"Niet in de steekproef van convenantjaar \1."}),
    (re.compile(r"^Too many cases from your address in 24 hours\. Please try again in (\d+) hour\(s\)\.$"),
     {"en": r"Too many cases from your address in 24 hours. Please try again in \1 hour(s).",
      "nl": r"Te veel meldingen vanaf uw adres in 24 uur. Probeer het over \1 uur opnieuw."}),
    (re.compile(r"^File (\d+) is not a photo \(JPEG or PNG\) or a PDF\.$"),
     {"en": r"File \1 is not a photo (JPEG or PNG) or a PDF.", "nl": r"Bestand \1 is geen foto (JPEG of PNG) of pdf."}),
    (re.compile(r"^The file is not a photo \(JPEG or PNG\) or a PDF\.$"),
     {"en": "The file is not a photo (JPEG or PNG) or a PDF.", "nl": "Het bestand is geen foto (JPEG of PNG) of pdf."}),
    (re.compile(r"^File (\d+) is larger than 5 MB\.$"),
     {"en": r"File \1 is larger than 5 MB.", "nl": r"Bestand \1 is groter dan 5 MB."}),
    (re.compile(r"^The file is larger than 5 MB\.$"),
     {"en": "The file is larger than 5 MB.", "nl": "Het bestand is groter dan 5 MB."}),
    (re.compile(r"^Together the files are larger than 20 MB\.$"),
     {"en": "Together the files are larger than 20 MB.", "nl": "Samen zijn de bestanden groter dan 20 MB."}),
    (re.compile(r"^A case holds (\d+) attachments at most\.$"),
     {"en": r"Add \1 files at most.", "nl": r"Voeg hoogstens \1 bestanden toe."}),
    (re.compile(r"^Name the member or party the complaint is about\.$"),
     {"en": "Name the member or party the complaint is about.",
      "nl": "Noem het lid of de partij waarover de klacht gaat."}),
    (re.compile(r"^Too many wrong follow-up codes for this case\. Please try again in (\d+) minute\(s\)\.$"),
     {"en": r"Too many wrong follow-up codes for this case. Please try again in \1 minute(s).",
      "nl": r"Te veel verkeerde volgcodes voor deze zaak. Probeer het over \1 minuut/minuten opnieuw."}),
    (re.compile(r"^Looks the same as the name of a member already registered, (.+), but is written with other "
                r"characters\.$"),
     {"en": r"Looks the same as the name of a member already registered, \1, but is written with other characters. "
            r"Write the name as the member writes it.",
      "nl": r"Lijkt op de naam van een lid dat al is ingeschreven, \1, maar is met andere tekens geschreven. "
            r"Schrijf de naam zoals het lid die schrijft."}),
    (re.compile(r"^Too many attempts\. Try again in (\d+) minute\(s\)\.$"),
     {"en": r"Too many attempts. Try again in \1 minute(s).",
      "nl": r"Te veel pogingen. Probeer het over \1 minuut/minuten opnieuw."}),
    # The services' other refusals, each with what it names (a number, a year) kept.
    (re.compile(r"^Duplicate .+: .*\.$"), {"en": "This is listed twice.", "nl": "Dit staat er twee keer."}),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     {"en": r"Too short: use at least \1 characters.", "nl": r"Te kort: gebruik minstens \1 tekens."}),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     {"en": r"Too long: use at most \1 characters.", "nl": r"Te lang: gebruik hoogstens \1 tekens."}),
    (re.compile(r"^Length must be (\d+)\.$"),
     {"en": r"Use exactly \1 characters.", "nl": r"Gebruik precies \1 tekens."}),
    (re.compile(r"^Must list every state: .*\.$"),
     {"en": "Name every stage a case can be at.", "nl": "Noem elke fase waarin een zaak kan zijn."}),
    (re.compile(r"^No figures for covenant year (\d+)\.$"),
     {"en": r"Covenant year \1 has no figures yet.", "nl": r"Convenantjaar \1 heeft nog geen cijfers."}),
    (re.compile(r"^No member with id .*\.$"), {"en": "This member is not known.", "nl": "Dit lid is niet bekend."}),
    (re.compile(r"^No member of the commission with id .*\.$"),
     {"en": "This member of the commission is not known.", "nl": "Dit lid van de commissie is niet bekend."}),
    (re.compile(r"^No sample has been drawn for covenant year (\d+)\.$"),
     {"en": r"No sample has been drawn for covenant year \1.",
      "nl": r"Voor convenantjaar \1 is nog geen steekproef getrokken."}),
    (re.compile(r"^(\d+) or more members match this name; name one by its id\.$"),
     {"en": r"\1 or more members match this name; choose one of them.",
      "nl": r"\1 of meer leden passen bij deze naam; kies er een."}),
    (re.compile(r"^Not a valid .+\.$"), {"en": "This is not a valid value.", "nl": "Dit is geen geldige waarde."}),
]


def _named(pattern: str, template: dict[str, str], *terms) -> tuple:
    """A message whose groups are codes, each named in the page's words by its vocabulary."""
    def worded(found, language):
        return template[language].format(*(terms[place](group, language) for place, group in enumerate(found.groups())))
    return re.compile(pattern), worded


_BOUNDS = {"greater than or equal to": {"en": "{0} or more", "nl": "{0} of meer"},
           "greater than": {"en": "more than {0}", "nl": "meer dan {0}"},
           "less than or equal to": {"en": "{0} or less", "nl": "{0} of minder"},
           "less than": {"en": "less than {0}", "nl": "minder dan {0}"}}
_BOUNDED = {"en": "Enter {0}.", "nl": "Vul {0} in."}
_AND = {"en": " and ", "nl": " en "}
_NEEDS_ROLE = {"en": "This needs the role {0}.", "nl": "Hiervoor is de rol {0} nodig."}
_ROLES_BY_LABEL = {term.en: term.code for term in vocabulary.CALLER_ROLES}
_ONE_FILE = {"en": "The file", "nl": "Het bestand"}
_FILE = {"en": "File {0}", "nl": "Bestand {0}"}
_FILE_TOO_LARGE = {"en": "{0} is larger than 5 MB.", "nl": "{0} is groter dan 5 MB."}
_FILE_NOT_TAKEN = {"en": "{0} is not a photo (JPEG or PNG) or a PDF.", "nl": "{0} is geen foto (JPEG of PNG) of pdf."}


def _bounds(found, language):
    """marshmallow's Range: "Must be greater than or equal to 0 and less than 5." as a value to enter."""
    low, low_value, high, high_value = found.groups()
    said = _BOUNDS[low][language].format(low_value)
    if high:
        said += _AND[language] + _BOUNDS[high][language].format(high_value)
    return _BOUNDED[language].format(said)


def _file(which: str, language: str) -> str:
    numbered = re.match(r"^File (\d+)$", which)
    return _FILE[language].format(numbered.group(1)) if numbered else _ONE_FILE[language] if which == "The file" \
        else which


WORDED += [
    (re.compile(r"^Must be (greater than or equal to|greater than|less than or equal to|less than) (\S+?)"
                r"(?: and (less than or equal to|less than) (\S+?))?\.$"), _bounds),
    _named(r"^This needs the role (.+)\.$", _NEEDS_ROLE,
           lambda roles, language: {"en": " or ", "nl": " of "}[language].join(
               vocabulary.CALLER_ROLES.label(_ROLES_BY_LABEL.get(each, each), language) for each in roles.split(" or "))),
    _named(r"^(.+) is larger than 5 MB\.$", _FILE_TOO_LARGE, _file),
    _named(r"^(.+) is not a photo \(JPEG or PNG\) or a PDF\.$", _FILE_NOT_TAKEN, _file),
    _named(r"^A case (\w+) can move to: (.*)\.$", _CASE_MOVES,
           _terms(vocabulary.CASE_STATES, ", "), _terms(vocabulary.CASE_STATES, ", ")),
    _named(r"^Only the (.+) may move a case that is (\w+)\.$", _CASE_SEATS,
           lambda seats, language: {"en": " or ", "nl": " of "}[language].join(
               vocabulary.COMMISSION_SEATS.label(each, language) for each in seats.split(" or ")),
           _terms(vocabulary.CASE_STATES, ", ")),
    _named(r"^Not criteria of the appeal: (.*)\.$", _APPEAL_STRAYS, _terms(vocabulary.CRITERIA, ", ")),
    _named(r"^Not criteria of this assessment: (.*)\.$", _ASSESSMENT_STRAYS, _terms(vocabulary.CRITERIA, ", ")),
]


def message(text: str, language: str) -> str:
    """A message (an API's field error, say) in the page's words and language."""
    if text in PLAIN:
        return PLAIN[text][language]
    translated = translations(language).gettext(text)
    if translated != text:  # the catalog's own words for this very text come before any pattern
        return translated
    for pattern, worded in WORDED:
        found = pattern.match(text)
        if found:
            return worded(found, language) if callable(worded) else pattern.sub(worded[language], text)
    return translated


def render(template: str, language: str, *, status: int = 200, **context) -> Response:
    page = environment(language).get_template(template).render(**context)
    return Response(page, status=status, mimetype="text/html", headers=page_headers())


def page_headers() -> dict:
    return {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store", **SECURITY_HEADERS}


def redirect(location: str) -> Response:
    return Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


def set_cookies(response: Response, request, *, session_id: str | None = None, language: str | None = None,
                clear_session: bool = False, device: str | None = None) -> Response:
    """The session cookie holds only a random id: HttpOnly, SameSite, Secure behind HTTPS. The device cookie
    (kept a year, across sessions) only a keyed hash of the member and a signature."""
    secure = request.scheme == "https" or request.headers.get("X-Forwarded-Proto") == "https"
    if device:
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_COOKIE_DAYS * 24 * 3600, httponly=True,
                            samesite="Lax", secure=secure, path="/sign-in")
    if session_id:
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Lax", secure=secure, path="/")
    if clear_session:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=secure)
    if language:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", secure=secure,
                            path="/")
    return response


def request_language(request) -> str:
    """The language a visitor asked for before (a cookie), else the browser's first, else Dutch."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in vocabulary.LANGUAGES:
        return chosen
    return request.accept_languages.best_match(vocabulary.LANGUAGES.codes) or DEFAULT_LANGUAGE


ERROR_PAGES = {
    errors.Forbidden: (403, "You may not do this", "This page is not for your account."),
    errors.NotFound: (404, "Page not found", "This page does not exist, or is not for your account."),
    errors.MethodNotAllowed: (405, "This page cannot do that", "Please go back and use the page's own buttons."),
    errors.TooLarge: (413, "Too much at once", "What you sent is larger than the platform takes. Send less at once, or smaller files."),
    errors.Unavailable: (503, "Sorry, the platform does not answer right now",
                         "A part of the platform does not answer. Please try again in a few minutes."),
}


class PageHandler(JsonHttpHandler):
    """An HTTP entrypoint that answers with a page. Errors become pages too: no token, or a session that
    ended, sends the visitor to sign in; anything unexpected is a plain apology, never a trace."""

    json_errors = False  # an address no page takes is answered with the portal's own page

    def __init__(self, method, url, *, answers_unmatched: bool = False, **kwargs):
        self.answers_unmatched = answers_unmatched  # the page that answers an address no page takes
        super().__init__(method, url, **kwargs)

    def answer_unmatched(self, request, exc):
        _request.set(request)  # the error page in the visitor's language
        if isinstance(exc, NoRoute) and request.method in ("GET", "HEAD"):
            # A worker of the service's own not-found page answers, so that it knows who is signed in (their
            # menu and language); a method an address does not take stays a plain 405.
            answering = next((each for each in self.container.entrypoints
                              if getattr(each, "answers_unmatched", False)), None)
            if answering is not None:
                request.path_values = {}
                return answering.handle_request(request)
        return super().answer_unmatched(request, exc)

    def handle_request(self, request):
        request.max_form_parts = 5000  # more than the report form's largest, far fewer than would hurt
        _request.set(request)
        request.environ["portal.path"] = request.full_path.rstrip("?")
        return super().handle_request(request)

    def response_from_result(self, result):
        if isinstance(result, Response):
            for name, value in SECURITY_HEADERS.items():
                result.headers.setdefault(name, value)
            return result
        return super().response_from_result(result)

    def response_from_exception(self, exc):
        request = _request.get()
        visitor = request.environ.get(VISITOR) if request is not None else None
        language = visitor.language if visitor else request_language(request) if request is not None \
            else DEFAULT_LANGUAGE
        visitor = visitor if visitor and visitor.signed_in else None  # a signed-in visitor keeps their menu
        if isinstance(exc, errors.Unauthenticated):
            return redirect("/sign-in")
        if isinstance(exc, RequestEntityTooLarge):  # a form larger than the platform takes
            exc = errors.TooLarge()
        if isinstance(exc, DEPENDENCY_FAILURES):  # the portal's own database or the broker: "try again later"
            exc = errors.Unavailable()
        for error_type, (status, title, text) in ERROR_PAGES.items():
            if isinstance(exc, error_type):
                detail = exc.message if isinstance(exc, errors.Forbidden) and exc.message != exc.__doc__.strip() \
                    else text
                return render("error.html.j2", language, status=status, title=title, text=detail, visitor=visitor,
                              path="/")
        if isinstance(exc, (errors.Invalid, errors.Malformed)):
            return render("error.html.j2", language, status=400 if isinstance(exc, errors.Malformed) else 422,
                          title="Something in the address is not right", text="Please go back and try again.",
                          visitor=visitor, path="/")
        log.error("page failed", exc_info=exc)
        return render("error.html.j2", language, status=500, title="Sorry, something went wrong",
                      text="The error is logged. Please try again later.", visitor=visitor, path="/")


page = PageHandler.decorator


class StaticFiles(DependencyProvider):
    """The portal's stylesheet and script, read once."""

    def setup(self):
        self.files = {path.name: (path.read_bytes(), STATIC_TYPES[path.suffix])
                      for path in (HERE / "static").iterdir() if path.suffix in STATIC_TYPES}

    def get_dependency(self, worker_ctx):
        return self.files
