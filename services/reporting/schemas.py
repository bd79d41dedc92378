"""Wire shapes of the reporting service (for the OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, fields

from common import validate, vocabulary
from common.schema import CountryCode, PlaceName, Strict

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
    other_production_countries = fields.Integer(metadata={
        "description": "Further production countries, each with fewer companies than the threshold (not named)."})
    edition = fields.Nested(lambda: Edition(), allow_none=True, metadata={
        "description": "The released edition these figures are (null in the secretariat's live view)."})


class Edition(Schema):
    number = fields.Integer()
    released_at = fields.DateTime()
    released_by = fields.String(metadata={"enum": ["secretariat", "schedule"]})
    companies_changed = fields.Integer(metadata={
        "description": "Companies whose contributions changed since the edition before."})


class Editions(Schema):
    covenant_year = fields.Integer()
    editions = fields.List(fields.Nested(Edition))
    next_edition_due = fields.Date(allow_none=True, metadata={
        "description": "The scheduled release no edition has answered yet (it may have passed: it then waits "
                       "until enough companies' contributions changed); null when none is scheduled."})


class Change(Schema):
    figure = fields.String()
    item = fields.String()
    released = fields.Raw(allow_none=True, metadata={"description": "In the latest edition (null: not in it)."})
    live = fields.Raw(allow_none=True, metadata={"description": "In an edition released now (null: not in it)."})
    words = fields.String(metadata={"description": "The figure in words, in the language asked."})


class Release(Schema):
    latest_edition = fields.Nested(Edition, allow_none=True)
    companies_changed = fields.Integer()
    companies_needed = fields.Integer(metadata={"description": "How many more must change before a release."})
    can_release = fields.Boolean()
    next_edition_due = fields.Date(allow_none=True)
    changes = fields.List(fields.Nested(Change))


class LiveFigures(Figures):
    release = fields.Nested(Release)


class EditionQuery(Strict):
    edition = fields.Integer(validate=validate.Range(min=1, max=100_000),
                             metadata={"description": "An earlier edition's number (default: the latest)"})


class CsvQuery(EditionQuery):
    language = fields.String(validate=validate.OneOf(vocabulary.LANGUAGES.codes), metadata={
        "description": "For people: headers, figures and suppressed values in words, numbers as the language "
                       "writes them, Dutch parted by semicolons (default: the figures' codes, for programs)"})


class ReportQuery(EditionQuery):
    lang = fields.String(load_default="nl", validate=validate.OneOf(vocabulary.LANGUAGES.codes))


class Difference(Schema):
    counter = fields.String(metadata={"description": "The counter's key, its parts joined by spaces."})
    parts = fields.List(fields.String(), metadata={
        "description": "The counter's key part by part (a part may hold spaces: a region's or a state's name)."})
    words = fields.String(metadata={"description": "The counter in people's words, in ?language= (the "
                                                   "key's grammar is reporting's own: read these)."})
    recomputed = fields.Integer()
    incremental = fields.Integer()


class Proof(Schema):
    covenant_year = fields.Integer()
    reports = fields.Integer(metadata={"description": "Latest assessed reports recomputed (from scoring)."})
    members = fields.Integer(metadata={"description": "Companies and authorities recounted (from submission)."})
    agrees = fields.Boolean()
    differences = fields.List(fields.Nested(Difference))


class ProofRun(Schema):
    id = fields.String()
    covenant_year = fields.Integer()
    state = fields.String(metadata={"description": "queued, running or done"})
    requested_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    checked = fields.Integer(metadata={"description": "Reports recomputed so far."})
    counted = fields.Integer(metadata={"description": "Assessed reports the figures count now (how many "
                                                     "a check will recompute, about)."})
    result = fields.Nested(Proof, allow_none=True, metadata={"description": "Once done."})


class Region(Schema):
    country = fields.String()
    state = fields.String(allow_none=True, metadata={"description": "ISO 3166-2 code"})
    state_name = fields.String(allow_none=True)
    name = fields.String(metadata={"description": "The canonical name the figures print."})
    variants = fields.List(fields.String())


class RegionQuery(Schema):
    country = CountryCode(metadata={"description": "ISO 3166-1 alpha-2"})
    state = PlaceName(metadata={"description": "ISO 3166-2 code or a subdivision's name (with country)"})


class NewRegion(Strict):
    country = CountryCode(required=True)
    state = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "ISO 3166-2 code or a subdivision's name; null if not known"})
    name = PlaceName(required=True, metadata={"description": "The canonical name (a known one to add spellings)."})
    variants = fields.List(PlaceName(), load_default=list, validate=validate.Length(max=50))


class RegionAdded(Schema):
    region = fields.Nested(Region)
    revision = fields.Integer(metadata={"description": "How often the gazetteer changed."})
    contributions_recounted = fields.Integer(metadata={
        "description": "Companies' contributions now counted under the region."})


class NewStateName(Strict):
    country = CountryCode(required=True)
    name = PlaceName(required=True, metadata={"description": "The spelling companies wrote"})
    state = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "The subdivision it names: its ISO 3166-2 code or a known name"})


class StateNameAdded(Schema):
    country = fields.String()
    name = fields.String()
    state = fields.String(metadata={"description": "ISO 3166-2 code"})
    state_name = fields.String()
    revision = fields.Integer(metadata={"description": "How often the gazetteer changed."})
    contributions_recounted = fields.Integer(metadata={
        "description": "Companies' contributions now counted where the gazetteer places their regions."})


class UnknownRegion(Schema):
    key = fields.String()
    kind = fields.String(metadata={"enum": ["region", "state"],
                                   "description": "A region's name, or a state's (with the region it was written for)"})
    country = fields.String()
    state = fields.String(allow_none=True)
    region = fields.String(metadata={"description": "As the first company to use it wrote it."})
    covenant_year = fields.Integer()
    first_seen_at = fields.DateTime()


class LanguageQuery(Strict):
    language = fields.String(load_default="en", validate=validate.OneOf(vocabulary.LANGUAGES.codes))
