"""Wire shapes of the scoring service (for the OpenAPI document and the responses)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common import covenant, vocabulary
from common.schema import Strict, Text, between, date_field


class CriterionOut(Schema):
    code = fields.String()
    step = fields.String()
    points = fields.Integer()
    core = fields.Boolean()


class FrameworkOut(Schema):
    covenant_year = fields.Integer()
    version = fields.Integer()
    due_date = fields.Date()
    catch_up_date = fields.Date()
    maximum = fields.Integer()
    minimum_score = fields.Float()
    chain_thresholds = fields.Dict(keys=fields.String(), values=fields.Float())
    core_questions = fields.List(fields.String())
    criteria = fields.List(fields.Nested(CriterionOut))


class CriterionResult(Schema):
    code = fields.String()
    step = fields.String()
    core = fields.Boolean()
    met = fields.Boolean()
    points = fields.Integer()
    maximum = fields.Integer()
    reason = fields.String(metadata={"description": "Why, in English."})
    reasons = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "Why, in Dutch and English: {\"nl\": ..., \"en\": ...}."})
    corrected_by = fields.String(metadata={"description": "The complaints case whose decision corrected it."})


class RequirementResult(Schema):
    code = fields.String(metadata={"enum": list(vocabulary.REQUIREMENTS.codes)})
    applicable = fields.Boolean()
    met = fields.Boolean(allow_none=True)
    reason = fields.String(metadata={"description": "Why, in English."})
    reasons = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "Why, in Dutch and English."})


class AssessmentOut(Schema):
    report_id = fields.String()
    version = fields.Integer()
    covenant_year = fields.Integer()
    framework_version = fields.Integer()
    points = fields.Integer()
    maximum = fields.Integer()
    score = fields.Float(metadata={"description": "Percentage with one decimal."})
    band = fields.String(metadata={"enum": list(vocabulary.BANDS.codes)})
    outcome = fields.String(metadata={"enum": list(vocabulary.OUTCOMES.codes)})
    eea_only = fields.Boolean()
    criteria = fields.List(fields.Nested(CriterionResult))
    requirements = fields.List(fields.Nested(RequirementResult))


class FrameworkSummary(Schema):
    covenant_year = fields.Integer()
    version = fields.Integer()
    due_date = fields.Date()
    catch_up_date = fields.Date()
    minimum_score = fields.Float()


class YearQuery(Schema):
    covenant_year = fields.Integer(required=True, validate=between(1, covenant.LAST_YEAR))


class AssessmentBrief(Schema):
    company_id = fields.String()
    report_id = fields.String()
    version = fields.Integer()
    framework_version = fields.Integer()
    correction = fields.Integer(metadata={"description": "How many appeals corrected it (0: none)."})
    score = fields.Float()
    band = fields.String(metadata={"enum": list(vocabulary.BANDS.codes)})
    outcome = fields.String(metadata={"enum": list(vocabulary.OUTCOMES.codes)})


class RescoreResult(Schema):
    covenant_year = fields.Integer()
    framework_version = fields.Integer()
    rescored = fields.List(fields.String(), metadata={"description": "Reports whose assessment changed."})
    unchanged = fields.Integer(metadata={"description": "Reports rescored with the same result."})


class SampleRequest(Strict):
    seed = Text(64, metadata={
        "description": "The seed of the draw; without one, a random seed is chosen and recorded."})


class VerificationRecord(Strict):
    company_id = fields.String(required=True, validate=validate.Length(min=1))
    result = fields.String(required=True, validate=validate.OneOf(
        vocabulary.VERIFICATION_RESULTS.codes, error="Must be one of: {choices}."))
    corrections = Text(4000, multiline=True, metadata={
        "description": "What was corrected and why (required when the result is corrected)."})
    verified_on = date_field(required=True)

    @validates_schema
    def corrections_said(self, data, **kwargs):
        if data.get("result") == "corrected" and not data.get("corrections"):
            raise ValidationError("Say what was corrected and why.", "corrections")


class SampledOut(Schema):
    company_id = fields.String()
    report_id = fields.String()
    version = fields.Integer()


class VerificationOut(Schema):
    company_id = fields.String()
    report_id = fields.String()
    version = fields.Integer()
    result = fields.String(metadata={"enum": list(vocabulary.VERIFICATION_RESULTS.codes)})
    corrections = fields.String(allow_none=True)
    verified_on = fields.Date()
    recorded_at = fields.AwareDateTime()


class DrawOut(Schema):
    covenant_year = fields.Integer()
    seed = fields.String()
    share = fields.Float()
    minimum = fields.Integer()
    population = fields.List(fields.String(), metadata={"description": "The companies drawn from, sorted."})
    drawn_at = fields.AwareDateTime()
    sampled = fields.List(fields.Nested(SampledOut), metadata={"description": "In the order drawn."})
    results = fields.List(fields.Nested(VerificationOut))


class RedrawOut(Schema):
    covenant_year = fields.Integer()
    seed = fields.String()
    drawn_again = fields.List(fields.String())
    same = fields.Boolean()
