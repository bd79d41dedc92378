"""Wire shapes of the notification service."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates_schema

from common import covenant, problems, validate, vocabulary
from common.schema import MAX_PAGE, Strict, between, date_field, year_field
from services.notification.domain import STATUSES as STANDING_STATUSES


class DeliveryOut(Schema):
    state = fields.String(metadata={"enum": ["pending", "sending", "delivered", "failed", "skipped"]})
    attempts = fields.Integer()


class NoticeOut(Schema):
    key = fields.String(metadata={"description": "What the notice is about; one notice per key."})
    kind = fields.String(metadata={"enum": list(vocabulary.NOTICE_KINDS.codes)})
    language = fields.String(metadata={"enum": list(vocabulary.LANGUAGES.codes)})
    subject = fields.String()
    body = fields.String()
    covenant_year = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    about = fields.Dict()
    deliveries = fields.Dict(keys=fields.String(), values=fields.Nested(DeliveryOut),
                             metadata={"description": "e-mail and webhook deliveries, by channel"})


class NoticePage(Schema):
    items = fields.List(fields.Nested(NoticeOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=between(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=between(1, 200))


class InboxQuery(PageQuery):
    language = fields.String(load_default=None, validate=validate.OneOf(vocabulary.LANGUAGES.codes), metadata={
        "description": "The language to read the notices in (each is written in every language); by default "
                       "each in its recipient's"})


class ExtensionGrant(Strict):
    company_id = fields.String(required=True, validate=validate.Length(min=1))
    covenant_year = year_field(required=True)
    date = date_field(required=True, metadata={
        "description": "Replaces the catch-up date for the company: after the year's due date, and at most a "
                       "year after it."})


class ExtensionOut(ExtensionGrant):
    pass


class ExtensionQuery(Schema):
    covenant_year = fields.Integer(validate=between(1, covenant.LAST_YEAR))
    company_id = fields.String()


class MemberQuery(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))


class MemberOut(Schema):
    id = fields.String()
    name = fields.String()
    country = fields.String(metadata={"enum": list(vocabulary.MEMBER_COUNTRIES.codes)})
    role = fields.String(metadata={"enum": list(vocabulary.MEMBER_ROLES.codes)})


class SupplierQuestion(Strict):
    """Name the supplier by its member id, or by (part of) its name."""
    company_id = fields.String(validate=validate.Length(min=1, max=100))
    name = fields.String(validate=validate.Length(min=2, max=200))

    @validates_schema
    def one_way(self, data, **kwargs):
        if ("company_id" in data) == ("name" in data):
            raise ValidationError(problems.COMPANY_OR_NAME(), "company_id")


class YearStatus(Schema):
    covenant_year = fields.Integer()
    reported = fields.String(metadata={"enum": list(vocabulary.REPORTING_TIMES.codes)})
    outcome = fields.String(allow_none=True, metadata={"enum": [*vocabulary.OUTCOMES.codes, None]})
    more_time_until = fields.Date(allow_none=True, metadata={
        "description": "For a company that needs more time: the date it must deliver by (else null)."})
    more_time_by = fields.String(allow_none=True, metadata={
        "enum": ["catch_up_date", "own_date", None],
        "description": "Whose date that is: the year's catch-up date, or the secretariat's own date for it."})


class YearStanding(Schema):
    """A company's standing in one covenant year (this service is its one owner)."""
    covenant_year = fields.Integer()
    obliged = fields.Boolean(metadata={"description": "Must report: imports directly and joined by 30 June."})
    status = fields.String(metadata={"enum": list(STANDING_STATUSES), "description":
                                     "not_obliged, due (its date to come), missing (its date passed), received "
                                     "(its latest version being assessed), or the latest assessment's outcome"})
    reported_on = fields.Date(allow_none=True, metadata={"description": "When its first version was received."})
    reported = fields.String(metadata={"enum": list(vocabulary.REPORTING_TIMES.codes)})
    deadline = fields.Date(metadata={"description": "The date that counts now."})
    deadline_kind = fields.String(metadata={"enum": ["due_date", "catch_up_date", "own_date"]})
    days_left = fields.Integer(metadata={"description": "Until the deadline; negative once it passed."})
    own_date = fields.Date(allow_none=True, metadata={"description": "The secretariat's own date for it."})
    latest_version = fields.Integer(allow_none=True)
    assessed_version = fields.Integer(allow_none=True, metadata={"description": "The latest assessment's."})
    outcome = fields.String(allow_none=True, metadata={"enum": [*vocabulary.OUTCOMES.codes, None]})
    score = fields.Float(allow_none=True)


class StandingMember(Schema):
    id = fields.String()
    name = fields.String()
    country = fields.String(metadata={"enum": list(vocabulary.MEMBER_COUNTRIES.codes)})
    role = fields.String(metadata={"enum": list(vocabulary.MEMBER_ROLES.codes)})
    imports_directly = fields.Boolean()
    joined_on = fields.Date()


class Standing(Schema):
    member = fields.Nested(StandingMember)
    years = fields.List(fields.Nested(YearStanding))
    upcoming = fields.List(fields.Date(), metadata={
        "description": "Days to come on which the standing changes by itself (a date not yet met passes)."})


class StandingQuery(Schema):
    covenant_year = fields.Integer(validate=between(1, covenant.LAST_YEAR))
    company_id = fields.String(validate=validate.Length(min=1, max=100))


class YearStandingsQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STANDING_STATUSES))
    page = fields.Integer(load_default=1, validate=between(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=between(1, 10_000), metadata={
        "description": "Members per page (a spreadsheet of the whole year: as many as there are)."})


class MemberInYear(Schema):
    member = fields.Nested(StandingMember)
    standing = fields.Nested(YearStanding)


class YearStandings(Schema):
    covenant_year = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "How many members stand in each state (whatever ?status= keeps)."})
    total = fields.Integer(metadata={"description": "Members kept by ?status= (all of them without it)."})
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(MemberInYear), metadata={"description": "This page's members, by name."})


class SupplierAnswer(Schema):
    member = fields.Boolean(metadata={"description": "false: no member by that id or name, and nothing more."})
    id = fields.String()
    name = fields.String()
    imports_directly = fields.Boolean(metadata={
        "description": "false: it does not import itself, and the covenant asks no report of it."})
    first_year = fields.Integer(allow_none=True, metadata={
        "description": "The first covenant year it must report for (joined by 30 June of that year); null "
                       "when it does not import itself."})
    years = fields.List(fields.Nested(YearStatus))


class AuthorityOut(Schema):
    id = fields.String()
    name = fields.String()
    country = fields.String(metadata={"enum": list(vocabulary.MEMBER_COUNTRIES.codes)})
    joined_on = fields.Date()
    questions = fields.Integer(metadata={"description": "How many questions about suppliers it asked."})


class Authorities(Schema):
    total = fields.Integer(metadata={"description": "How many contracting authorities there are."})
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(AuthorityOut), metadata={"description": "This page's, by name."})


class QuestionOut(Schema):
    id = fields.String()
    asked_at = fields.AwareDateTime()
    authority = fields.Dict(metadata={"description": "{id, name} of the authority that asked"})
    asked = fields.String(metadata={"description": "The id or name as the authority gave it."})
    company_id = fields.String(allow_none=True)
    answer = fields.Nested(SupplierAnswer)


class QuestionPage(Schema):
    total = fields.Integer(metadata={"description": "How many questions the caller may see."})
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(QuestionOut), metadata={"description": "This page's, newest first."})


class WebhookRegistration(Strict):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False, metadata={
        "description": "https (plain http only to hosts the operator trusts, WEBHOOK_TRUSTED_HOSTS), to a host "
                       "named by DNS or a plain IP address whose every address is public; checked again at "
                       "every delivery, and a redirect is not followed."})
    secret = fields.String(required=True, validate=validate.Length(min=16, max=256),
                           metadata={"description": "Key of the HMAC-SHA256 signature in X-TruStone-Signature."})


class WebhookOut(Schema):
    id = fields.String()
    url = fields.String()
    created_at = fields.AwareDateTime()
