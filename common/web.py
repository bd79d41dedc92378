"""HTTP for every service: a web server per service on its own port, JSON in and out, errors mapped once."""
from __future__ import annotations

import json
import logging
import re

import eventlet
import uuid
from datetime import date, datetime

from eventlet import wsgi
from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Request, Response

from common import covenant, errors, network, settings
from common.events import CORRELATION_ID
from common.logging import CORRELATION_HEADER, get_logger
from common.schema import shared
from common.problems import TYPE_OBJECT

MAX_BODY_BYTES = 1024 * 1024
# The deepest JSON any endpoint takes has 4 levels (a report's supply_chain.factories.known); a body nested
# deeper than this is refused (400) before any schema reads it, so nothing recurses on a hostile one.
MAX_JSON_DEPTH = 16
log = get_logger(__name__)

STATUS = {
    errors.Malformed: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.Invalid: 422,
    errors.TooMany: 429,
    errors.Unavailable: 503,
}
# Failures of a dependency, not of the request: the client may retry.
DEPENDENCY_FAILURES = (ConnectionFailure, RpcTimeout, UnknownService, OperationalError, ConnectionError)


# eventlet's access line without the client's address (nor what it wrote in X-Forwarded-For): a line
# written the moment a case is filed must not say from where (README, "Complaints and disputes").
ACCESS_LOG_FORMAT = '"%(request_line)s" %(status_code)s %(body_length)s %(wall_seconds).6f'


class _AccessLog:
    """The logger eventlet's server writes to, without clients' addresses: its access lines leave them out
    (ACCESS_LOG_FORMAT), and the values in their query strings; its debug lines (connections accepted, reset,
    timed out: each names an address) are dropped, and its error lines lose the `client=` they carry."""

    def __init__(self, logger):
        self._log = logger

    def info(self, message, *args, **kwargs):
        self._log.info(_QUERY_VALUE.sub(r"\1-", str(message)), *args, **kwargs)

    def error(self, message, *args, **kwargs):
        self._log.error(_QUERY_VALUE.sub(r"\1-", _CLIENT_IN_ERROR.sub("client=-", str(message))), *args, **kwargs)

    def debug(self, message, *args, **kwargs):
        pass

    def write(self, message):  # eventlet's old interface
        self.info(message.rstrip())


_CLIENT_IN_ERROR = re.compile(r"client=\S+")
# What a query says, kept out of every access line (its parameters' names stay): an attestation its QR code
# carries (a member's name and standing), the supplier name an authority looks up, a company's id asked about.
_QUERY_VALUE = re.compile(r"([?&][^=&\s\"]+=)[^&\s\"]*")


def client_address(request, configured) -> str:
    """Who is asking: the address the portal vouched for (PORTAL_SERVICE_KEY of the `configured` Settings),
    else the connection's, or behind an operator's proxy (TRUSTED_PROXIES) the address it names in
    X-Forwarded-For."""
    vouched = network.vouched_address(configured.portal_service_key, request.headers)
    return vouched or network.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                             configured.trusted_proxies)


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

    def get_wsgi_app(self):
        return _App(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=HttpOnlyProtocol, debug=False):
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=_AccessLog(logging.getLogger("nameko.web.server")), log_x_forwarded_for=False,
                           log_format=ACCESS_LOG_FORMAT)


    def make_url_map(self):
        url_map = Map(converters={"int": _PathInteger})
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map

    def unmatched(self, exc: HTTPException, request):
        """The answer to a request no entrypoint takes, as the service answers its errors: a JSON 404 or 405,
        or, in a service of pages (an entrypoint without `json_errors`), its own error page. A redirect to an
        address's canonical form stays werkzeug's."""
        answering = [each for each in self._providers if hasattr(each, "answer_unmatched")]
        provider = next((each for each in answering if not each.json_errors), answering[0] if answering else None)
        return provider.answer_unmatched(request, exc) if provider else exc

    def context_data_from_headers(self, request):
        given = request.headers.get(CORRELATION_HEADER)
        # one that every message it causes could not carry (control characters, too long) is replaced
        correlation_id = given if given and CORRELATION_ID.fullmatch(given) else uuid.uuid4().hex
        request.environ["trustone.correlation_id"] = correlation_id
        return {"correlation_id": correlation_id}


class _PathInteger(IntegerConverter):
    """`<int:...>` in a path is a covenant year, 1 to covenant.LAST_YEAR; anything else matches no route (404),
    so no store meets a number it cannot hold."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, **{"min": 1, "max": covenant.LAST_YEAR, **kwargs})


class _App(WsgiApp):
    """nameko's WSGI app, answering an address or method no entrypoint takes as the service answers its
    errors (ServiceWebServer.unmatched)."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                # werkzeug says 405 when another method's rule matched the path's shape, even if its
                # converter then refused the value (a year out of range): the path names nothing, a 404
                try:
                    adapter.match(method=exc.valid_methods[0])
                except NotFound as not_found:
                    exc = not_found
                except HTTPException:
                    pass
            return self.server.unmatched(exc, request)(environ, start_response)
        request.path_values = values
        try:
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = exc
        return response(environ, start_response)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, default=_plain, ensure_ascii=False), status=status,
                    headers=headers, mimetype="application/json")


FILE_POLICY = "default-src 'none'; sandbox"  # a kept file, if shown at all: no script, no request, no origin


def file_response(content: bytes, content_type: str, name: str | None = None) -> Response:
    """A kept file (a photo, a PDF) handed back as a download, never shown as part of the page that links
    it, its type as kept (not guessed again by the browser), kept in no cache; and should a browser show it
    after all (an old one, a plug-in), it runs nothing and loads nothing, in a sandbox of its own."""
    return Response(content, mimetype=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"' if name else "attachment",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Content-Security-Policy": FILE_POLICY})


def error_response(exc: Exception) -> Response:
    if isinstance(exc, errors.Invalid):
        log.info("request rejected", status=422, code=exc.code, fields=sorted(exc.problems),
                 problems=sorted({each.code for listed in exc.problems.values() for each in listed}))
        # `errors`, the messages, as clients have always read them; `problems`, the same with their codes
        return json_response({"errors": exc.errors, "problems": {
            path: [each.as_dict() for each in listed] for path, listed in exc.problems.items()}}, 422)
    for error_type, status in STATUS.items():
        if isinstance(exc, error_type):
            log.info("request rejected", status=status, code=exc.code, reason=exc.message,
                     **({"problem": exc.problem.code} if exc.problem else {}))
            retry_after = getattr(exc, "retry_after", None)
            return json_response({"error": {"code": exc.code, "message": exc.message,
                                            **({"problem": exc.problem.as_dict()} if exc.problem else {}),
                                            **getattr(exc, "details", {})}}, status,
                                 headers={"Retry-After": str(retry_after)} if retry_after else None)
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
    json_errors = True  # an address no entrypoint takes answers JSON too (see ServiceWebServer.unmatched)

    def __init__(self, method, url, doc=None, max_body: int = MAX_BODY_BYTES, **kwargs):
        kwargs.setdefault("expected_exceptions", (errors.DomainError,))
        self.doc = doc
        self.max_body = max_body  # a few endpoints take files
        super().__init__(method, url, **kwargs)

    def answer_unmatched(self, request, exc: HTTPException):
        """A request no entrypoint of this service takes (see ServiceWebServer.unmatched)."""
        if isinstance(exc, MethodNotAllowed):
            response = self.response_from_exception(errors.MethodNotAllowed())
            response.headers["Allow"] = ", ".join(exc.valid_methods or ())
            return response
        if isinstance(exc, NotFound):
            return self.response_from_exception(errors.NotFound())
        return exc

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
    """The request body as JSON (415 unless sent as application/json, 400 when malformed or nested too
    deep, 413 when too large).

    With a `schema` (an instance, or a class: its shared instance), the body validated by it (422 naming
    every bad field) and dumped back to plain JSON types, ready to store and to send on.
    """
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise errors.TooLarge() from None
    if len(raw) > MAX_BODY_BYTES:
        raise errors.TooLarge() from None
    if raw and request.mimetype != "application/json":
        raise errors.UnsupportedMediaType()
    body = parse_json(raw or b"null", "The body")
    return body if schema is None else validated(schema, body)


def validated(schema, data):
    """`data` loaded by `schema` (an instance, or a class: its shared instance; 422 naming every bad field)
    and dumped back to plain JSON types, ready to store and to send on."""
    schema = shared(schema) if isinstance(schema, type) else schema
    return schema.dump(load(schema, data))


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


def _deepest(raw: bytes) -> int:
    """How deep a JSON text's brackets nest, strings left out (a bracket in a string is text)."""
    depth = deepest = 0
    for bracket in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(raw: bytes | str, what: str):
    """JSON text as data; errors.Malformed (400) naming `what` when it is not JSON, is nested deeper than
    MAX_JSON_DEPTH or holds a string that is not text. Nesting is measured before the text is parsed: the
    parser recurses, and a body nested thousands deep took it to Python's recursion limit, where anything
    the collector finalised then failed too (seen once: an unraisable RecursionError in a test)."""
    if _deepest(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")) > MAX_JSON_DEPTH:
        raise errors.Malformed(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels.")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise errors.Malformed(f"{what} is not valid JSON: {exc}.") from None
    level, depth = [data], 0
    while level:  # level by level, not recursively: the depth of the deepest value
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise errors.Malformed(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels.")
        try:  # "\ud800" is valid JSON but no text: no database could store it
            for each in level:
                if isinstance(each, str):
                    each.encode("utf-8")
        except UnicodeEncodeError:
            raise errors.Malformed(f"{what} holds a lone UTF-16 surrogate, which is not text.") from None
        level = [child for each in level if isinstance(each, (dict, list))
                 for child in ([*each, *each.values()] if isinstance(each, dict) else each)]
    return data


def load(schema, data):
    """`schema.load(data)` (an instance, or a class: its shared instance), marshmallow's errors as
    errors.Invalid with dotted field paths."""
    from marshmallow import ValidationError
    schema = shared(schema) if isinstance(schema, type) else schema
    if not isinstance(data, dict) and not getattr(schema, "many", False):
        raise errors.Invalid.at("body", TYPE_OBJECT(expected="object"))
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise errors.Invalid(errors.flatten(exc.messages)) from None
