"""The portal's wire shapes: what its pages take in the address and in the forms beside the report's own
fields (which only the submission service judges)."""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from common import covenant, validate
from common.schema import MAX_PAGE, between
from services.portal import domain

ACTION = re.compile(rf"^(save|check|submit|add:({'|'.join(domain.GROUPS)})|remove:({'|'.join(domain.GROUPS)}):\d{{1,3}}"
                    r"|unfile:evidence:\d{1,3}|unfile:plan_of_approach)$")


class Lenient(Schema):
    """Reads the fields it names and leaves the rest (a form carries many)."""

    class Meta:
        unknown = EXCLUDE


class ReportAction(Lenient):
    action = fields.String(required=True, validate=validate.Regexp(ACTION, error="Unknown action."))


class PageQuery(Lenient):
    page = fields.Integer(load_default=1, validate=between(1, MAX_PAGE))


class OverviewQuery(Lenient):
    year = fields.Integer(validate=between(1, covenant.LAST_YEAR))
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(domain.STANDINGS, error="Unknown status."))
    page = fields.Integer(validate=between(1, MAX_PAGE))


def read(schema: Schema, data) -> dict:
    """`data` as `schema` reads it; a bad value is a NotFound page (an address no link of ours makes)."""
    from common import errors
    try:
        return schema.load({key: value for key, value in data.items() if value != ""})
    except ValidationError:
        raise errors.NotFound() from None
