"""HTTP for every service: a web server per service on its own port, JSON in and out, errors mapped once."""
from __future__ import annotations

import json

import eventlet
import uuid
from datetime import date, datetime

from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from common import errors, settings
from common.logging import CORRELATION_HEADER, get_logger

MAX_BODY_BYTES = 1024 * 1024
log = get_logger(__name__)

STATUS = {
    errors.Malformed: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.TooLarge: 413,
    errors.Invalid: 422,
    errors.Unavailable: 503,
}
# Failures of a dependency, not of the request: the client may retry.
DEPENDENCY_FAILURES = (ConnectionFailure, RpcTimeout, UnknownService, OperationalError, ConnectionError)


class ServiceWebServer(WebServer):
    """Listens on the port configured for this service (HTTP_PORTS), so four services share a process."""

    @property
    def bind_addr(self):
        return settings.of(self.container).http_address(self.container.service_name)

    def start(self):
        # eventlet.listen shares a port between processes (SO_REUSEPORT) by default: a second platform
        # would silently split the traffic with the first. A port in use is an error here.
        if not self._starting:
            self._sock = eventlet.listen(self.bind_addr, reuse_port=False)
            self._sock.settimeout(None)
            self._starting = True
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    def context_data_from_headers(self, request):
        correlation_id = request.headers.get(CORRELATION_HEADER) or uuid.uuid4().hex
        request.environ["trustone.correlation_id"] = correlation_id
        return {"correlation_id": correlation_id}


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, default=_plain, ensure_ascii=False), status=status,
                    headers=headers, mimetype="application/json")


def error_response(exc: Exception) -> Response:
    if isinstance(exc, errors.Invalid):
        log.info("request rejected", status=422, code=exc.code, fields=sorted(exc.errors))
        return json_response({"errors": exc.errors}, 422)
    for error_type, status in STATUS.items():
        if isinstance(exc, error_type):
            log.info("request rejected", status=status, code=exc.code, reason=exc.message)
            return json_response({"error": {"code": exc.code, "message": exc.message}}, status)
    if isinstance(exc, DEPENDENCY_FAILURES):
        return error_response(errors.Unavailable())
    if isinstance(exc, RequestEntityTooLarge):  # raised by werkzeug while it parses a form
        return error_response(errors.TooLarge())
    log.error("request failed", exc_info=exc)
    return json_response({"error": {"code": "INTERNAL", "message": "Internal error."}}, 500)


class JsonHttpHandler(HttpRequestHandler):
    """An HTTP entrypoint whose method returns data (or (status, data), or a Response).

    `doc` carries what the OpenAPI document says about the endpoint.
    """

    server = ServiceWebServer()

    def __init__(self, method, url, doc=None, max_body: int = MAX_BODY_BYTES, **kwargs):
        kwargs.setdefault("expected_exceptions", (errors.DomainError,))
        self.doc = doc
        self.max_body = max_body  # a few endpoints take files
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        request.max_content_length = self.max_body
        response = super().handle_request(request)
        response.headers[CORRELATION_HEADER] = request.environ.get("trustone.correlation_id", "")
        return response

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, payload = result if isinstance(result, tuple) else (200, result)
        return json_response(payload, status)

    def response_from_exception(self, exc):
        return error_response(exc)


http = JsonHttpHandler.decorator


def read_json(request, schema=None):
    """The request body as JSON (400 when malformed, 413 when too large).

    With a `schema`, the body validated by it (422 naming every bad field) and dumped back to plain JSON
    types, ready to store and to send on.
    """
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise errors.TooLarge() from None
    if len(raw) > MAX_BODY_BYTES:
        raise errors.TooLarge() from None
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise errors.Malformed(f"The body is not valid JSON: {exc}.") from None
    if schema is None:
        return body
    return schema.dump(load(schema, body))


def load(schema, data):
    """`schema.load(data)`, marshmallow's errors as errors.Invalid with dotted field paths."""
    from marshmallow import ValidationError
    if not isinstance(data, dict) and not getattr(schema, "many", False):
        raise errors.Invalid({"body": ["Expected a JSON object."]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise errors.Invalid(errors.flatten(exc.messages)) from None


def query_int(request, name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.Invalid({name: ["Must be an integer."]}) from None
    if value < minimum or (maximum is not None and value > maximum):
        raise errors.Invalid({name: [f"Must be between {minimum} and {maximum}." if maximum
                                     else f"Must be at least {minimum}."]})
    return value
