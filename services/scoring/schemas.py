"""Wire shapes of the scoring service (for the OpenAPI document and the responses)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from common import vocabulary


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
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))


class AssessmentBrief(Schema):
    company_id = fields.String()
    report_id = fields.String()
    version = fields.Integer()
    framework_version = fields.Integer()
    score = fields.Float()
    band = fields.String(metadata={"enum": list(vocabulary.BANDS.codes)})
    outcome = fields.String(metadata={"enum": list(vocabulary.OUTCOMES.codes)})


class RescoreResult(Schema):
    covenant_year = fields.Integer()
    framework_version = fields.Integer()
    rescored = fields.List(fields.String(), metadata={"description": "Reports whose assessment changed."})
    unchanged = fields.Integer(metadata={"description": "Reports rescored with the same result."})
