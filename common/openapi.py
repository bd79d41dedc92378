"""OpenAPI 3 documents generated (apispec) from the entrypoints and the marshmallow schemas that validate."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import INCLUDE, Schema, fields

from common import covenant, problems

VERSION = "1.0.0"


@dataclass(frozen=True)
class Doc:
    """What the OpenAPI document says of one HTTP endpoint."""
    summary: str
    roles: tuple[str, ...] = ()          # who may call it; empty: public
    body: Optional[type[Schema]] = None  # request body schema
    query: Optional[type[Schema]] = None  # query parameters
    responses: dict[int, Any] = field(default_factory=lambda: {200: None})  # schema class or description
    not_found: bool = False               # may answer 404
    limited: bool = False                 # callers are limited (per address, or per case): may answer 429
    signed_in_optional: bool = False      # public, but a bearer token, if sent, is resolved (unknown: 401)
    refusable: bool = False               # may refuse for a domain reason without a body (422)
    content_type: str = "application/json"
    description: str = ""


class ProblemBody(Schema):
    """A refusal with its stable code and the parameters that say it (common.problems), beside its message."""

    class Meta:
        unknown = INCLUDE  # the parameters of its code, e.g. {"code": "max_length", "max": 200, ...}

    code = fields.String(required=True, metadata={
        "enum": problems.codes(), "description": "Stable: never renamed. Its parameters are beside it."})
    message = fields.String(required=True, metadata={"description": "The same in English, for people."})


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"example": "NOT_FOUND"})
    message = fields.String(required=True)
    problem = fields.Nested(ProblemBody, metadata={
        "description": "Why, with a code, where the refusal has a reason of its own (a 403 only the chair may "
                       "pass, a 429 saying when to try again)."})
    next_edition_due = fields.Date(allow_none=True, metadata={
        "description": "With NOT_PUBLISHED (figures not published yet): when the next edition is scheduled."})


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


class ValidationErrors(Schema):
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                         metadata={"example": {"supply_chain.factories.known": ["Must not exceed total."]}})
    problems = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(ProblemBody)), required=True,
                           metadata={"description": "The same refusals, each with its code and parameters.",
                                     "example": {"name": [{"code": "max_length", "max": 200,
                                                           "message": "Longer than maximum length 200."}]}})


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_STATUS_TEXT = {
    400: ("Malformed JSON.", Error), 401: ("No or unknown bearer token.", Error),
    403: ("The caller's role may not do this.", Error), 404: ("Unknown, or not the caller's.", Error),
    413: ("Body over 1 MiB.", Error), 415: ("The body is not sent as application/json.", Error),
    422: ("Invalid fields.", ValidationErrors),
    429: ("Too many requests from this address; the header Retry-After says in how many seconds to try again.",
          Error),
    503: ("A dependency is down; retry later.", Error),
}


def _path(url: str):
    parameters = [  # an <int:...> is a covenant year (common.web)
        {"in": "path", "name": name, "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": covenant.LAST_YEAR} if converter == "int"
         else {"type": "string"}}
        for converter, name in _CONVERTER.findall(url)
    ]
    return _CONVERTER.sub(r"{\2}", url), parameters


def _content(schema, content_type="application/json"):
    if schema is None:
        return {}
    return {"content": {content_type: {"schema": schema}}}


def _operation(doc: Doc, path_parameters: list) -> dict:
    operation: dict = {"summary": doc.summary, "responses": {}}
    if doc.description:
        operation["description"] = doc.description
    parameters = list(path_parameters)
    if doc.query is not None:
        parameters.append({"in": "query", "schema": doc.query})
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        operation["requestBody"] = {"required": True, **_content(doc.body)}
    for status, response in doc.responses.items():
        if isinstance(response, str):
            operation["responses"][str(status)] = {"description": response}
        else:
            operation["responses"][str(status)] = {"description": "OK", **_content(response, doc.content_type)}
    errors = {503}
    if doc.roles:
        operation["security"] = [{"bearer": []}]
        operation["x-roles"] = list(doc.roles)  # for clients and tests: who may call it
        errors |= {401, 403}
        operation["description"] = (doc.description + " " if doc.description else "") + \
            "Roles: " + ", ".join(doc.roles) + "."
    elif doc.signed_in_optional:
        operation["security"] = [{}, {"bearer": []}]  # without a token, or with one (then it must be known)
        errors |= {401}
    if doc.body is not None:
        errors |= {400, 413, 415, 422}
    if doc.query is not None or doc.refusable:
        errors |= {422}
    if doc.limited:
        errors |= {429}
    if doc.not_found or path_parameters:  # a path segment that names nothing, or is no number, too
        errors |= {404}
    for status in sorted(errors):
        text, schema = _STATUS_TEXT[status]
        operation["responses"][str(status)] = {"description": text, **_content(schema)}
    return operation


def document(service_name: str, endpoints) -> dict:
    """The OpenAPI document of a service; `endpoints` are (method, url, Doc) triples."""
    spec = APISpec(title=f"TruStone {service_name} service", version=VERSION, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict] = {}
    for method, url, doc in sorted(endpoints, key=lambda each: (each[1], each[0])):
        path, parameters = _path(url)
        for each in method.split(","):
            paths.setdefault(path, {})[each.strip().lower()] = _operation(doc, parameters)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
