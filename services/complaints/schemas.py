"""Wire shapes of the complaints service."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates, validates_schema

from common import problems, validate, vocabulary
from common.schema import MAX_COUNT, MAX_PAGE, Strict, StrictBoolean, StrictInteger, Text, between, one_of


def text(max_length: int, multiline: bool = False, **kwargs):
    """What a person typed: one line (a name, a place), or a long text with line breaks (common.text)."""
    return Text(max_length, multiline=multiline, **kwargs)


class Filing(Strict):
    """A case as anyone may file it, without an account; name and contact may be left out."""
    kind = fields.String(required=True, validate=validate.OneOf(
        [code for code in vocabulary.CASE_KINDS.codes if code != "assessment_appeal"]))
    company_id = text(100, metadata={"description": "The member concerned, from the public member list."})
    party = text(300, metadata={"description": "Who is concerned, when not a member (or not known as one)."})
    what_happened = text(10_000, multiline=True, required=True)
    where = text(300)
    when = text(100, metadata={"description": "When it happened, in the filer's words (a date, a period)."})
    language = fields.String(required=True, validate=one_of(vocabulary.LANGUAGES))
    name = text(200)
    contact = text(300, metadata={"description": "An e-mail address or other way to reach the filer."})
    share_identity_with_secretariat = StrictBoolean(load_default=False)

    @validates("contact")
    def an_address_that_works(self, value, **kwargs):
        # With an @ it is meant as an e-mail address: one the acknowledgement cannot reach is refused now,
        # while the filer is still there to correct it. Anything else (a phone number) is kept as written.
        if "@" in value:
            validate.Email()(value.strip())

    @validates_schema
    def someone_concerned(self, data, **kwargs):
        if data.get("kind") == "complaint" and not (data.get("company_id") or data.get("party")):
            raise ValidationError(problems.PARTY_NEEDED(), "party")


class Filed(Schema):
    number = fields.String()
    follow_up_code = fields.String(metadata={"description": "Shown only now: keep it to follow the case."})
    state = fields.String(metadata={"enum": list(vocabulary.CASE_STATES.codes)})
    filed_at = fields.AwareDateTime()


class Information(Strict):
    text = text(10_000, multiline=True, required=True)


class Appeal(Strict):
    report_id = text(100, required=True)
    version = StrictInteger(required=True, validate=between(1, MAX_COUNT))
    criteria = fields.List(fields.String(validate=one_of(vocabulary.CRITERIA)), required=True,
                           validate=validate.Length(min=1))
    reasons = text(10_000, multiline=True, required=True)


class CorrectionIn(Strict):
    code = fields.String(required=True, validate=one_of(vocabulary.CRITERIA))
    met = StrictBoolean(required=True)
    why = text(2000, multiline=True, required=True)


class DecisionIn(Strict):
    outcome = fields.String(validate=one_of(vocabulary.APPEAL_DECISIONS))
    corrections = fields.List(fields.Nested(CorrectionIn))
    summary = text(4000, multiline=True)


class Move(Strict):
    to = fields.String(required=True, validate=one_of(vocabulary.CASE_STATES))
    reason = text(4000, multiline=True, required=True)
    admissible = StrictBoolean(metadata={"description": "With the step to admissibility_decided."})
    share_with_company = StrictBoolean(metadata={
        "description": "With an admissible case: the company reads its substance (never who filed it) and may "
                       "answer."})
    decision = fields.Nested(DecisionIn)


class Message(Strict):
    to = fields.String(required=True, validate=validate.OneOf(("filer", "company")))
    text = text(10_000, multiline=True, required=True)


class CaseBrief(Schema):
    number = fields.String()
    kind = fields.String(metadata={"enum": list(vocabulary.CASE_KINDS.codes)})
    state = fields.String(metadata={"enum": list(vocabulary.CASE_STATES.codes)})
    filed_at = fields.AwareDateTime()
    state_since = fields.AwareDateTime()
    deadline = fields.String(allow_none=True)
    company_id = fields.String(allow_none=True)
    covenant_year = fields.Integer()
    admissible = fields.Boolean(allow_none=True, metadata={"description": "Which way admissibility was decided "
                                                                         "(null: not yet); not the secretariat's."})


class CaseOut(CaseBrief):
    history = fields.List(fields.Dict())
    party = fields.String(allow_none=True)
    decision = fields.Dict(allow_none=True)
    where = fields.String(allow_none=True)
    when = fields.String(allow_none=True)
    appeal = fields.Dict(allow_none=True)
    company_asked = fields.Boolean()
    language = fields.String(metadata={"enum": list(vocabulary.LANGUAGES.codes),
                                       "description": "The language the filer chose (the commission's)."})
    share_identity_with_secretariat = fields.Boolean()
    name = fields.String(allow_none=True, metadata={"description": "The commission's (and, where the filer "
                                                                   "agreed, the secretariat's) only."})
    contact = fields.String(allow_none=True)
    what_happened = fields.String(allow_none=True)
    messages = fields.List(fields.Dict())
    attachments = fields.List(fields.Dict())


class AppealedReport(Schema):
    number = fields.String()
    report_id = fields.String()
    version = fields.Integer()
    company_id = fields.String()
    covenant_year = fields.Integer()
    submitted_at = fields.String()
    criteria = fields.List(fields.String(), metadata={"description": "The criteria the appeal contests."})
    report = fields.Dict(metadata={"description": "Every answer of the version, as the company sent it."})
    files = fields.List(fields.Dict(), metadata={"description": "The files the version names ({id, content_type, "
                                                                "size}): GET /v1/cases/{number}/report/files/{id}."})


class Progress(Schema):
    number = fields.String()
    kind = fields.String()
    state = fields.String(metadata={"enum": list(vocabulary.CASE_STATES.codes)})
    state_since = fields.AwareDateTime()
    admissible = fields.Boolean(allow_none=True, metadata={"description": "Which way admissibility was decided "
                                                                         "(null: not yet)."})
    filed_at = fields.AwareDateTime()
    steps = fields.List(fields.Dict())
    messages = fields.List(fields.Dict())
    attachments = fields.List(fields.Dict())


class ReadingsQuery(Schema):
    number = fields.String(validate=validate.Length(min=1, max=20), metadata={"description": "One case only."})
    page = fields.Integer(load_default=1, validate=between(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=between(1, 200))


class Reader(Schema):
    role = fields.String(metadata={"enum": [vocabulary.COMMISSION, vocabulary.SECRETARIAT, "acknowledgement"],
                                   "description": "acknowledgement: the platform, to send the filer the "
                                                  "acknowledgement of its case to the address it gave"})
    id = fields.String(allow_none=True)
    seat = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class IdentityReading(Schema):
    number = fields.String()
    at = fields.AwareDateTime()
    by = fields.Nested(Reader)
    read = fields.List(fields.String(metadata={"enum": ["name", "contact"]}))


class IdentityReadings(Schema):
    items = fields.List(fields.Nested(IdentityReading))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
