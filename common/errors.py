"""What can go wrong, in domain terms. The HTTP status of each is decided once, in `common.web`.

Each error has a stable code, and crosses RPC as itself (registered with nameko in `common.rpc`).
"""
from __future__ import annotations

from contextlib import contextmanager


class DomainError(Exception):
    code = "ERROR"

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message or self.__doc__.strip()


class Invalid(DomainError):
    """The input breaks a rule; `errors` maps each field path to its messages."""
    code = "VALIDATION_FAILED"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The request has invalid fields.")
        self.errors = errors
        self.args = (errors,)


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

    def __init__(self, message: str = "", next_edition_due=None):
        super().__init__(message)
        self.next_edition_due = next_edition_due
        self.args = (message, next_edition_due)  # crosses RPC whole

    @property
    def details(self) -> dict:
        return {"next_edition_due": self.next_edition_due}


class TooMany(DomainError):
    """Too many requests from this address; `retry_after` says in how many seconds to try again."""
    code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str = "", retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.args = (message, retry_after)  # crosses RPC whole


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
        raise Invalid({field: [exc.message]}) from None


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error messages as {"field.path": ["message", ...]}."""
    if isinstance(messages, list):
        return {prefix or "body": [str(each) for each in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        for field_path, texts in flatten(value, path).items():
            flat.setdefault(field_path, []).extend(texts)
    return flat
