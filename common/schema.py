"""marshmallow building blocks for strict input: unknown fields rejected, JSON types taken literally."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from common import vocabulary


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


class ReplayRequest(Strict):
    consumer = fields.String(required=True, validate=validate.OneOf(vocabulary.SERVICES),
                             metadata={"description": "The consumer service to rebuild, e.g. reporting."})


class ReplayDone(Schema):
    consumer = fields.String()
    events = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "How many events of each type were sent again."})
