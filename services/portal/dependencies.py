"""What the portal keeps and whom it talks to: its own collections (sessions, drafts, failed sign-ins) and
the five services' public HTTP API, called with the signed-in user's own token.

The portal has no other way into the platform's data: every rule of access stays with the services.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import eventlet
import requests
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from common import errors, network, problems, settings
from common.context import correlation_id
from common.logging import CORRELATION_HEADER, get_logger
from common.mongo import Index, Repository
from common.sealing import Sealer
from common.web import client_address

API_TIMEOUT_SECONDS = 30
log = get_logger(__name__)
# A session that ended by idling is removed this much later: a report form left open over lunch and then
# posted is still known as that session's, and kept as its draft (usecases.keep_typed_report).
ENDED_SESSION_KEPT = timedelta(hours=4)


def _digest(session_id: str) -> str:
    # Only a hash of the session id is stored: the database alone opens no session.
    return hashlib.sha256(session_id.encode()).hexdigest()


class PortalStore(Repository):
    """Sessions (keyed by a hash of the cookie's id), drafts of reports, and failed sign-ins."""

    def __init__(self, db):
        super().__init__(db)
        self.sessions = db.sessions
        self.drafts = db.drafts
        self.failures = db.sign_in_failures

    # MongoDB removes what has expired by itself (TTL); the portal ends a session idle too long when it
    # reads it, and until then can still keep the report its form carried (ENDED_SESSION_KEPT).
    INDEXES = {
        "sessions": (Index.on("expires_at", expire_after_seconds=0),),
        "sign_in_failures": (Index.on("mark", "at"), Index.on("at"), Index.on("device", "at"),
                             Index.on("expires_at", expire_after_seconds=0)),
    }

    # --- sessions -----------------------------------------------------------------------------------

    def open_session(self, fields: dict, now: datetime, idle_minutes: float) -> str:
        """Stores a new session; returns its id (for the cookie; only its hash is kept)."""
        session_id = secrets.token_urlsafe(32)
        self.sessions.insert_one({"_id": _digest(session_id), **fields, "created_at": now, "last_seen": now,
                                  "expires_at": now + timedelta(minutes=idle_minutes) + ENDED_SESSION_KEPT})
        return session_id

    def session(self, session_id: str) -> dict | None:
        return self.sessions.find_one({"_id": _digest(session_id)})

    def touch_session(self, session_id: str, now: datetime, idle_minutes: float, **changes) -> None:
        self.sessions.update_one({"_id": _digest(session_id)}, {"$set": {
            "last_seen": now, "expires_at": now + timedelta(minutes=idle_minutes) + ENDED_SESSION_KEPT, **changes}})

    def close_session(self, session_id: str) -> None:
        self.sessions.delete_one({"_id": _digest(session_id)})

    # --- drafts -------------------------------------------------------------------------------------

    @staticmethod
    def _draft_id(company_id: str, covenant_year: int) -> str:
        return f"{company_id}:{covenant_year}"

    def save_draft(self, company_id: str, covenant_year: int, state: dict, now: datetime) -> None:
        self.drafts.replace_one({"_id": self._draft_id(company_id, covenant_year)},
                                {"company_id": company_id, "covenant_year": covenant_year, "state": state,
                                 "saved_at": now}, upsert=True)

    def draft(self, company_id: str, covenant_year: int) -> dict | None:
        return self.drafts.find_one({"_id": self._draft_id(company_id, covenant_year)})

    def drop_draft(self, company_id: str, covenant_year: int) -> None:
        self.drafts.delete_one({"_id": self._draft_id(company_id, covenant_year)})

    # --- failed sign-ins: an address only as its keyed mark (network.address_marks), a device cookie as
    # its keyed hash ---------------------------------------------------------------------------------

    def record_failure(self, mark: str, now: datetime, keep: timedelta, device: str | None = None) -> str:
        """Records a failed (or not yet successful) sign-in; returns its id."""
        failure_id = uuid.uuid4().hex
        self.failures.insert_one({"_id": failure_id, "mark": mark, "device": device, "at": now,
                                  "expires_at": now + keep})
        return failure_id

    def forget_failure(self, failure_id: str) -> None:
        self.failures.delete_one({"_id": failure_id})

    def failures_since(self, marks: list[str], since: datetime, besides: str | None = None) -> list[datetime]:
        """When an address (any of its marks) failed since `since`."""
        return [each["at"] for each in self.failures.find({"mark": {"$in": marks}, "at": {"$gte": since}})
                if each["_id"] != besides]

    def device_failures_since(self, device: str, since: datetime, besides: str | None = None) -> list[datetime]:
        return [each["at"] for each in self.failures.find({"device": device, "at": {"$gte": since}})
                if each["_id"] != besides]

    def recent_failures(self, since: datetime, most: int, besides: str | None = None) -> list[datetime]:
        """The latest `most` failures from any address since `since` (the overall limit needs no more)."""
        return [each["at"] for each in self.failures.find({"at": {"$gte": since}}, sort=[("at", -1)], limit=most)
                if each["_id"] != besides]


class Cipher(DependencyProvider):
    def setup(self):
        # the bearer token each session holds, sealed: the sessions collection alone reveals none
        self.cipher = Sealer(settings.of(self.container).portal_secret_key, setting="PORTAL_SECRET_KEY",
                             without_key="a restart signs everyone out")

    def get_dependency(self, worker_ctx):
        return self.cipher


UNCODED = "uncoded"  # no code the portal words: shown as the service said it
_STATUS_ERRORS = {400: errors.Malformed, 401: errors.Unauthenticated, 403: errors.Forbidden,
                  404: errors.NotFound, 413: errors.TooLarge, 429: errors.TooMany}


class ApiClient:
    """The services' public HTTP API, as one caller (a token, or nobody) sees it. Answers come back as
    JSON; refusals as the platform's own errors (422 as Invalid with its field messages)."""

    def __init__(self, session: requests.Session, urls: dict[str, str], token: str | None, correlation: str,
                 vouched: dict[str, str] | None = None):
        self._session = session
        self._urls = urls
        # the services count what they limit (filed cases) per person, not per portal: the portal vouches
        # for the address it saw (network.vouch)
        self._vouched = vouched or {}
        self._headers = {CORRELATION_HEADER: correlation, **self._vouched}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def as_(self, token: str | None) -> "ApiClient":
        """The same API as another caller (signing in checks a token before a session holds it). A token of
        characters no token has (beyond printable ASCII) is no one's, and could not travel in a header."""
        if token and not (token.isascii() and token.isprintable()):
            raise errors.Unauthenticated()
        return ApiClient(self._session, self._urls, token, self._headers[CORRELATION_HEADER], self._vouched)

    def get(self, service: str, path: str, **params):
        return self._call("GET", service, path, params=params or None).json()

    @staticmethod
    def together(*calls):
        """The answers of `calls` (functions of nothing, each asking the services something), asked at once:
        a page that needs five services waits for the slowest of them, not for all of them one after the
        other. The first refusal raised is raised here."""
        return list(eventlet.GreenPool(len(calls) or 1).imap(lambda call: call(), calls))

    def post(self, service: str, path: str, body=None, *, headers: dict | None = None):
        return self._call("POST", service, path, json=body, headers=headers).json()

    def post_form(self, service: str, path: str, fields: dict[str, str], files: list[tuple[str, bytes]]):
        """A multipart form: its fields, and each file under its part's name (its type is for the service
        to read from its bytes)."""
        return self._call("POST", service, path, data=fields, files=[
            (name, (f"file-{place}", content, "application/octet-stream"))
            for place, (name, content) in enumerate(files, 1)]).json()

    def post_file(self, service: str, path: str, content: bytes, *, headers: dict | None = None):
        """A file as the body (its type is for the service to read from its bytes)."""
        return self._call("POST", service, path, data=content,
                          headers={"Content-Type": "application/octet-stream", **(headers or {})}).json()

    def get_with(self, service: str, path: str, *, headers: dict):
        return self._call("GET", service, path, headers=headers).json()

    def fetch(self, service: str, path: str, **params) -> requests.Response:
        """The raw answer (a page or a file the portal passes on as it is)."""
        return self._call("GET", service, path, params=params or None)

    def _call(self, method: str, service: str, path: str, headers: dict | None = None,
              **kwargs) -> requests.Response:
        try:
            answer = self._session.request(method, self._urls[service] + path,
                                           headers={**self._headers, **(headers or {})},
                                           timeout=API_TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException:
            raise errors.Unavailable(f"The {service} service does not answer.") from None
        if answer.status_code < 400:
            return answer
        if answer.status_code == 422:  # its coded problems (a service from before them: its messages, as said)
            body = answer.json()
            raise errors.Invalid(body.get("problems") or {path: [problems.Problem(text, UNCODED) for text in texts]
                                                          for path, texts in body.get("errors", {}).items()})
        error = _STATUS_ERRORS.get(answer.status_code)
        if error is None:
            raise errors.Unavailable(f"The {service} service answered {answer.status_code}.")
        said = (answer.json().get("error") or {}) \
            if answer.headers.get("Content-Type", "").startswith("application/json") else {}
        message = said.get("problem") or said.get("message", "")
        if error is errors.TooMany:
            retry_after = answer.headers.get("Retry-After", "")
            raise error(message, retry_after=int(retry_after) if retry_after.isdigit() else None)
        raise error(message)


class Api(DependencyProvider):
    """Hands each worker an ApiClient that speaks for nobody yet (`as_(token)` speaks for a user), with the
    worker's correlation id, so one request can be followed through every service it touches."""

    def setup(self):
        self.settings = settings.of(self.container)
        self.urls = self.settings.service_urls
        self.http = requests.Session()
        if not self.settings.portal_service_key:
            log.warning("PORTAL_SERVICE_KEY is not set: the services count every case filed, and every follow-up "
                        "code tried, in the portal as coming from the portal's own address (one guesser then "
                        "holds up every filer of that case)")

    def stop(self):
        self.http.close()

    def get_dependency(self, worker_ctx):
        request = next((each for each in worker_ctx.args if isinstance(each, Request)), None)
        vouched = network.vouch(self.settings.portal_service_key, client_address(request, self.settings)) \
            if request else None
        return ApiClient(self.http, self.urls, None, correlation_id(worker_ctx), vouched)
