"""What can go wrong, in domain terms. The HTTP status of each is decided once, in `common.web`.

Each error has a stable code, and crosses RPC as itself (registered with nameko in `common.rpc`). A refusal
for a reason of its own carries it as a coded problem (common.problems): a 403 "only the chair", a 422's
field errors.
"""
from __future__ import annotations

import json
from contextlib import contextmanager

from common.problems import Problem


def _crossing(value) -> str:
    """What crosses RPC of a problem: nameko sends an error's arguments with every number turned into text,
    so the problem goes as JSON text, which arrives as it left."""
    return json.dumps(value, ensure_ascii=False)


def _arrived(value):
    return json.loads(value) if isinstance(value, str) and not isinstance(value, Problem) else value


class DomainError(Exception):
    """`message` is a text, or a Problem or its wire form (`problem` then says why, with a code); `problem` is
    also how one arrives over RPC (its wire form, as JSON text)."""
    code = "ERROR"

    def __init__(self, message: str | Problem | dict = "", problem: Problem | dict | str | None = None):
        if isinstance(message, (Problem, dict)):  # a Problem, or its wire form (as a client reads it)
            message, problem = str(Problem.of(message)), message
        self.problem = Problem.of(_arrived(problem)) if problem else None
        # crosses RPC whole: nameko makes it again from its arguments
        super().__init__(*(message, _crossing(self.problem.as_dict())) if self.problem else (message,))
        self.message = message or self.__doc__.strip()

    def __str__(self) -> str:
        return self.message


class Invalid(DomainError):
    """The input breaks a rule: `problems` maps each field path to its problems (common.problems: a Problem,
    or its wire form), `errors` to their messages (what a 422 has always said)."""
    code = "VALIDATION_FAILED"

    def __init__(self, problems: dict[str, list] | str):
        super().__init__("The request has invalid fields.")
        self.problems = {path: [Problem.of(each) for each in listed] for path, listed in _arrived(problems).items()}
        self.args = (_crossing({path: [each.as_dict() for each in listed]
                                for path, listed in self.problems.items()}),)

    @property
    def errors(self) -> dict[str, list[str]]:
        return {path: [str(each) for each in listed] for path, listed in self.problems.items()}

    def __str__(self) -> str:
        return str(self.errors)

    @classmethod
    def at(cls, path: str, *problems: Problem) -> "Invalid":
        return cls({path: list(problems)})


class Malformed(DomainError):
    """The body is not valid JSON."""
    code = "MALFORMED_JSON"


class TooLarge(DomainError):
    """The body is larger than this endpoint takes (1 MiB for JSON)."""
    code = "BODY_TOO_LARGE"


class UnsupportedMediaType(DomainError):
    """The body must be JSON, sent as Content-Type: application/json."""
    code = "UNSUPPORTED_MEDIA_TYPE"


class MethodNotAllowed(DomainError):
    """This address does not take this method."""
    code = "METHOD_NOT_ALLOWED"


class Unauthenticated(DomainError):
    """No bearer token, or one we do not know."""
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The caller's role may not do this."""
    code = "FORBIDDEN"


class NotFound(DomainError):
    """Nothing here, or nothing the caller may see."""
    code = "NOT_FOUND"


class NotPublished(NotFound):
    """Not published yet; `next_edition_due` says when the next edition is due, where one is scheduled."""
    code = "NOT_PUBLISHED"

    def __init__(self, message: str = "", next_edition_due=None, problem=None):
        super().__init__(message, problem)
        self.next_edition_due = next_edition_due
        self.args = (str(message), next_edition_due, *self.args[1:])  # crosses RPC whole

    @property
    def details(self) -> dict:
        return {"next_edition_due": self.next_edition_due}


class TooMany(DomainError):
    """Too many requests from this address; `retry_after` says in how many seconds to try again."""
    code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str = "", retry_after: int | None = None, problem=None):
        super().__init__(message, problem)
        self.retry_after = None if retry_after is None else int(retry_after)
        self.args = (str(message), self.retry_after, *self.args[1:])  # crosses RPC whole


class Unavailable(DomainError):
    """A service this request depends on does not answer."""
    code = "DEPENDENCY_UNAVAILABLE"


@contextmanager
def field_error(field: str, *kinds: type[DomainError]):
    """Inside, a domain error of `kinds` becomes Invalid on `field`: e.g. scoring's NotFound for a year
    without a framework is, to the client who sent that year, a bad field (422)."""
    try:
        yield
    except kinds as exc:
        raise Invalid({field: [exc.problem or exc.message]}) from None


def flatten(messages, prefix: str = "") -> dict[str, list[Problem]]:
    """marshmallow's nested error messages as {"field.path": [problem, ...]} (each a Problem: marshmallow's
    own messages are coded in common.schema; a text without a code is code `invalid`)."""
    if isinstance(messages, list):
        return {prefix or "body": [Problem.of(each) for each in messages]}
    flat: dict[str, list[Problem]] = {}
    for key, value in messages.items():
        path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        for field_path, texts in flatten(value, path).items():
            flat.setdefault(field_path, []).extend(texts)
    return flat
