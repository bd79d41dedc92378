"""Wire shapes of the notification service."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class NoticeOut(Schema):
    key = fields.String()
    kind = fields.String()
    language = fields.String()
    subject = fields.String()
    body = fields.String()
    covenant_year = fields.Integer()
    created_at = fields.AwareDateTime()
    about = fields.Dict()


class NoticePage(Schema):
    items = fields.List(fields.Nested(NoticeOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class PageQuery(Schema):
    page = fields.Integer(validate=validate.Range(min=1))
    per_page = fields.Integer(validate=validate.Range(min=1, max=200))
