"""marshmallow building blocks for strict input: unknown fields rejected, JSON types taken literally."""
from __future__ import annotations

import pycountry
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from common import places


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


class PlaceName(fields.String):
    """A place's name as a person wrote it, without surrounding space; never something that is not a name
    (the figures' suppression marker, markup, a spreadsheet formula, control characters)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=200), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        name = places.cleaned(super()._deserialize(value, attr, data, **kwargs))
        reason = places.refusal(name) if name else None  # an empty name is the length rule's to refuse
        if reason:
            raise ValidationError(reason)
        return name
