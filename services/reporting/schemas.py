"""Wire shapes of the reporting service (for the OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, fields

class Figures(Schema):
    covenant_year = fields.Integer()
    disclosure = fields.Dict()
    assessed_reports = fields.Integer()
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    outcomes_by_member_country = fields.Dict(metadata={
        "description": "Cells on fewer than min_companies companies, and cells that would give them away, "
                       "are the string 'suppressed'."})
    bands = fields.Dict()
    requirements = fields.Dict()
    supply_chain = fields.Dict(metadata={"description": "Means in percent with one decimal, or 'suppressed'."})
    chains_per_company = fields.Dict(keys=fields.String(), values=fields.Integer())
    production_countries = fields.List(fields.Dict())
    quarry_regions = fields.List(fields.Dict())
    materials = fields.Dict()
    risks = fields.Dict()
    steps = fields.Dict()
    verification = fields.Dict(metadata={"description": "Reports verified in the year's sample, and how many "
                                                        "needed correction."})
    cases = fields.Dict(metadata={"description": "Complaints and disputes cases filed in the year, by kind and by "
                                                 "state, and appeals upheld (cells below the threshold suppressed)."})
    participation = fields.Dict()


class Difference(Schema):
    counter = fields.String()
    recomputed = fields.Integer()
    incremental = fields.Integer()


class Proof(Schema):
    covenant_year = fields.Integer()
    reports = fields.Integer(metadata={"description": "Latest assessed reports recomputed (from scoring)."})
    members = fields.Integer(metadata={"description": "Companies and authorities recounted (from submission)."})
    agrees = fields.Boolean()
    differences = fields.List(fields.Nested(Difference))
