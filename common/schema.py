"""marshmallow building blocks for strict input: unknown fields rejected, JSON types taken literally."""
from __future__ import annotations

import functools
from datetime import date

import pycountry
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from common import covenant, places, text as text_rules, vocabulary

# What a company counts in its report (suppliers, factories, regions, quarries, chains): at most this many.
MAX_COUNT = 1_000_000
# Pages beyond this are refused (422), so no store is asked to skip more than it can count.
MAX_PAGE = 10_000
# Evidence may predate the covenant by a few years; nothing in it dates from before this.
EARLIEST_EVIDENCE = date(2010, 1, 1)


@functools.cache
def shared(schema_cls: type[Schema]) -> Schema:
    """The process's one instance of a schema. Building one (and its nested schemas, on their first use)
    costs more than a load; loading and dumping leave a marshmallow schema as it was."""
    return schema_cls()


class Strict(Schema):
    """Refuses fields it does not know."""

    class Meta:
        unknown = RAISE


class StrictBoolean(fields.Boolean):
    """true or false, not "yes", 1 or "true"."""
    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictInteger(fields.Integer):
    """A JSON integer, not 1.5, "1" or true."""
    default_error_messages = {"invalid": "Must be an integer."}

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 code, upper case, as pycountry knows it."""
    default_error_messages = {"country": "Not an ISO 3166-1 alpha-2 country code: {value!r}."}

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs)
        if len(code) != 2 or not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
            raise self.make_error("country", value=code)
        return code


class Text(fields.String):
    """Text a person typed, 1 to `max_length` characters: one line, or with `multiline` (a long text) line
    breaks and tabs too; never other control characters or bidirectional controls (common.text)."""

    def __init__(self, max_length: int, *, multiline: bool = False, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=max_length), **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        written = super()._deserialize(value, attr, data, **kwargs)
        reason = text_rules.refusal(written, multiline=self.multiline)
        if reason:
            raise ValidationError(reason)
        return written


class PlaceName(fields.String):
    """A place's name as a person wrote it, without surrounding space; never something that is not a name
    (the figures' suppression marker, markup, a spreadsheet formula, control characters)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=200), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        written = super()._deserialize(value, attr, data, **kwargs)
        # judged as written: a line break or a tab inside is refused, not turned into a space
        reason = places.refusal(written) if written.strip() else None  # an empty one is the length rule's
        if reason:
            raise ValidationError(reason)
        return places.cleaned(written)


def between(low, high) -> validate.Range:
    """From `low` to `high`, both included, said in one message."""
    return validate.Range(min=low, max=high, error=f"Must be between {low} and {high}.")


def year_field(**kwargs) -> StrictInteger:
    """A covenant year: 1 to covenant.LAST_YEAR."""
    return StrictInteger(validate=between(1, covenant.LAST_YEAR), **kwargs)


def count_field(**kwargs) -> StrictInteger:
    """A number a company reports it knows or has: 0 to MAX_COUNT."""
    return StrictInteger(validate=between(0, MAX_COUNT), **kwargs)


def date_field(earliest: date | None = None, **kwargs) -> fields.Date:
    """A date within the covenant's years (from `earliest`, by default the start of year 1, to the end of
    its last year): a typo such as 9999-12-31 or 0201-06-12 is a 422, not a record."""
    return fields.Date(validate=between(earliest or covenant.year_start(1), covenant.year_end(covenant.LAST_YEAR)),
                       **kwargs)


class ReplayRequest(Strict):
    consumer = fields.String(required=True, validate=validate.OneOf(vocabulary.SERVICES),
                             metadata={"description": "The consumer service to rebuild, e.g. reporting."})


class ReplayDone(Schema):
    consumer = fields.String()
    events = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "How many events of each type were sent again."})
