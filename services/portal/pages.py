"""The portal's pages: Jinja2 templates in Dutch and English (Babel: the translations, country names and
dates), the headers every page is sent with, and the entrypoint that answers with pages, errors included.
"""
from __future__ import annotations

import contextvars
import functools
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
from markupsafe import Markup, escape
from nameko.extensions import DependencyProvider
from werkzeug.exceptions import NotFound as NoRoute, RequestEntityTooLarge
from werkzeug.wrappers import Response

from common import errors, places, vocabulary
from common.i18n import DATE_LOCALES, N_
from common.logging import get_logger
from common.web import DEPENDENCY_FAILURES, JsonHttpHandler
from services.portal import domain
from services.portal import words
from services.portal.words import WORDS

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
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

# The request being answered, in the server's greenthread: its error page is made there, after the worker ended
_request = contextvars.ContextVar("portal_request", default=None)
VISITOR = "portal.visitor"  # the request's environ key for the visitor its page worked out


def remember(request, visitor):
    """Keeps the visitor with its request, so that an error page shows a signed-in visitor their menu."""
    request.environ[VISITOR] = visitor
    return visitor


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
ATTACHMENT_KINDS = {"image/png": N_("image (PNG)"), "image/jpeg": N_("photo (JPEG)"),
                    "application/pdf": N_("PDF document")}


@functools.cache
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(WORDS.translations(language), newstyle=True)
    env.globals.update(
        lang=language, vocabulary=vocabulary, field_id=domain.field_id, countries=countries(language),
        country_name=lambda code: country_name(code, language), state_code=places.state_code,
        state_name=lambda state: places.state_label(state, language),
        words=lambda terms, code: terms.label(code, language) if code else "",
        options_of=lambda terms: [(term.code, term.label(language)) for term in terms],
        STANDING_WORDS=domain.STANDING_WORDS, errors_by_anchor=domain.errors_by_anchor,
        notice_action=domain.notice_action,
        message=lambda said: words.message(said, language),
        attachment_kind=lambda content_type: WORDS.gettext(ATTACHMENT_KINDS[content_type], language)
        if content_type in ATTACHMENT_KINDS else content_type,
        prefixed=lambda placed, prefix: {prefix + key: value for key, value in placed.items()},
        languages=vocabulary.LANGUAGES.codes, language_name=lambda code: Locale.parse(code).get_display_name(code))
    locale = DATE_LOCALES[language]
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


# An error summary is written before the fields it names: each of its links holds a mark where the field's
# label goes, filled in once the whole page (and so every field's label) is written.
LABEL_MARK = re.compile(r"<!--label:([A-Za-z0-9_.-]+)-->")


def render(template: str, language: str, *, status: int = 200, **context) -> Response:
    labels: dict[str, str] = {}

    def labelled(field: str, label) -> str:
        labels.setdefault(field, label)
        return ""
    page = environment(language).get_template(template).render(
        **context, labelled=labelled, summary_label=lambda field: Markup(f"<!--label:{field}-->"))
    page = LABEL_MARK.sub(lambda found: str(escape(labels[found.group(1)])) + ": " if found.group(1) in labels
                          else "", page)
    return Response(page, status=status, mimetype="text/html", headers=page_headers())


WAY_BACK = N_("Back to the TruStone portal")


def with_way_back(report: bytes, language: str) -> bytes:
    """The reporting service's sector report, as the portal shows it, with a link back to the portal's start
    page above its text (the report itself, also served alone, knows no portal)."""
    link = f'<nav><p><a href="/">{escape(WORDS.gettext(WAY_BACK, language))}</a></p></nav>'.encode()
    return report.replace(b"<main>", link + b"<main>", 1)


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
    errors.Forbidden: (403, N_("You may not do this"), N_("This page is not for your account.")),
    errors.NotFound: (404, N_("Page not found"), N_("This page does not exist, or is not for your account.")),
    errors.MethodNotAllowed: (405, N_("This page cannot do that"),
                              N_("Please go back and use the page's own buttons.")),
    errors.TooLarge: (413, N_("Too much at once"),
                      N_("What you sent is larger than the platform takes. Send less at once, or smaller files.")),
    errors.Unavailable: (503, N_("Sorry, the platform does not answer right now"),
                         N_("A part of the platform does not answer. Please try again in a few minutes.")),
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
                detail = (exc.problem or exc.message) if isinstance(exc, errors.Forbidden) \
                    and exc.message != exc.__doc__.strip() else text
                return render("error.html.j2", language, status=status, title=title, text=detail, visitor=visitor,
                              path="/")
        if isinstance(exc, (errors.Invalid, errors.Malformed)):
            return render("error.html.j2", language, status=400 if isinstance(exc, errors.Malformed) else 422,
                          title=N_("Something in the address is not right"), text=N_("Please go back and try again."),
                          visitor=visitor, path="/")
        log.error("page failed", exc_info=exc)
        return render("error.html.j2", language, status=500, title=N_("Sorry, something went wrong"),
                      text=N_("The error is logged. Please try again later."), visitor=visitor, path="/")


page = PageHandler.decorator


class StaticFiles(DependencyProvider):
    """The portal's stylesheet and script, read once."""

    def setup(self):
        self.files = {path.name: (path.read_bytes(), STATIC_TYPES[path.suffix])
                      for path in (HERE / "static").iterdir() if path.suffix in STATIC_TYPES}

    def get_dependency(self, worker_ctx):
        return self.files
