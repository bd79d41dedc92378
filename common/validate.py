"""marshmallow's validators, each refusing with a coded problem (common.problems) that names its bounds or
choices: what the services' schemas use (`from common import validate`) instead of `marshmallow.validate`.

The messages are marshmallow's own; only the code and its parameters are added."""
from __future__ import annotations

from marshmallow import validate

from common import problems

__all__ = ["Email", "Length", "OneOf", "Range", "Regexp", "URL"]


class Length(validate.Length):
    """`min_length` or `max_length` (the bound it breaks; `min` and `max`), or `length` (`equal`)."""

    def _format_error(self, value, message: str) -> problems.Problem:
        text = super()._format_error(value, message)
        if self.equal is not None:
            return problems.Problem(text, problems.LENGTH.code, equal=self.equal)
        bounds = {name: bound for name, bound in (("min", self.min), ("max", self.max)) if bound is not None}
        too_short = self.min is not None and len(value) < self.min
        return problems.Problem(text, (problems.MIN_LENGTH if too_short else problems.MAX_LENGTH).code, **bounds)


class Range(validate.Range):
    """`range`, with its bounds (`min`, `max`; `min_inclusive`, `max_inclusive` only when false)."""

    def _format_error(self, value, message: str) -> problems.Problem:
        bounds = {name: bound for name, bound in (("min", self.min), ("max", self.max)) if bound is not None}
        bounds.update({name: False for name, inclusive in (("min_inclusive", self.min_inclusive),
                                                            ("max_inclusive", self.max_inclusive))
                       if not inclusive and bounds.get(name.split("_")[0]) is not None})
        return problems.Problem(super()._format_error(value, message), problems.RANGE.code, **_plain(bounds))


class OneOf(validate.OneOf):
    """`one_of`, with its `choices`."""

    def _format_error(self, value) -> problems.Problem:
        return problems.Problem(super()._format_error(value), problems.ONE_OF.code, choices=list(self.choices))


class Email(validate.Email):
    """`email`."""

    def _format_error(self, value) -> problems.Problem:
        return _coded(super()._format_error(value), problems.EMAIL.code)


class URL(validate.URL):
    """`url`."""

    def _format_error(self, value) -> problems.Problem:
        return _coded(super()._format_error(value), problems.URL.code)


class Regexp(validate.Regexp):
    """`pattern`."""

    def _format_error(self, value) -> problems.Problem:
        return _coded(super()._format_error(value), problems.PATTERN.code)


def _coded(text: str, code: str) -> problems.Problem:
    return text if isinstance(text, problems.Problem) else problems.Problem(text, code)


def _plain(bounds: dict) -> dict:
    """Bounds as JSON has them: a date as its ISO text."""
    return {name: bound.isoformat() if hasattr(bound, "isoformat") else bound for name, bound in bounds.items()}
