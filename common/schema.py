"""marshmallow building blocks for strict input: unknown fields rejected, JSON types taken literally."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields


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
