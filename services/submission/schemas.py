"""Wire shapes of the submission service: the annual report (contract §1), companies, authorities.

Strict: unknown fields are rejected, booleans are JSON booleans, integers JSON integers.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validates_schema

from common import covenant, places, problems, validate, vocabulary
from common.schema import (EARLIEST_EVIDENCE, CountryCode, PlaceName, Strict, Text, StrictBoolean, between, count_field,
                           date_field, one_of, year_field)


def unique(key=lambda item: item, what="value", shown=None):
    """No two items with one `key` (`what`: country, quarry_region, material); the problem names the second
    as `shown` (default: its key) says."""
    def check(items):
        seen = set()
        for item in items:
            marker = key(item)
            if marker in seen:
                raise ValidationError(problems.DUPLICATE(what=what, value=(shown or key)(item)))
            seen.add(marker)
    return check


def text(max_length=500, multiline=False, **kwargs):
    """What a person typed: one line (a name, a title), or a long text with line breaks (common.text)."""
    return Text(max_length, multiline=multiline, **kwargs)


class KnownTotal(Strict):
    known = count_field(required=True)
    total = count_field(required=True)

    @validates_schema
    def known_within_total(self, data, **kwargs):
        if data.get("known", 0) > data.get("total", data.get("known", 0)):
            raise ValidationError(problems.EXCEEDS_TOTAL(), "known")


class SupplyChain(Strict):
    direct_suppliers = fields.Nested(KnownTotal, required=True)
    factories = fields.Nested(KnownTotal, required=True)
    quarry_regions = fields.Nested(KnownTotal, required=True)
    quarries = fields.Nested(KnownTotal, required=True)


class QuarryRegion(Strict):
    """A quarry region: `state` is stored as its ISO 3166-2 code when it names a known subdivision of the
    country (by code or by any of its names), else as written, for the secretariat to place."""
    country = CountryCode(required=True)
    region = PlaceName(required=True)
    state = PlaceName(required=True, allow_none=True)

    @post_load
    def state_as_code(self, data, **kwargs):
        if data["state"]:
            try:
                found = places.resolve_state(data["country"], data["state"])
            except places.PlaceError as exc:  # a code of another country
                raise ValidationError(exc.problem, "state") from None
            data["state"] = found.code if found else data["state"]
        return data


class Risk(Strict):
    theme = fields.String(required=True, validate=one_of(vocabulary.RISK_THEMES))
    country = CountryCode(required=True)
    severity = fields.String(required=True, validate=one_of(vocabulary.LEVELS))
    likelihood = fields.String(required=True, validate=one_of(vocabulary.LEVELS))
    actual = StrictBoolean(required=True)
    source = fields.String(required=True, validate=one_of(vocabulary.RISK_SOURCES))


class Policy(Strict):
    statement_adopted = StrictBoolean(required=True)
    embedded_in_management = StrictBoolean(required=True)
    shared_with_suppliers = StrictBoolean(required=True)


class Mitigation(Strict):
    kind = fields.String(required=True, validate=one_of(vocabulary.MITIGATION_KINDS))
    country = CountryCode(required=True)
    description = text(2000, multiline=True, required=True)


class Monitoring(Strict):
    systematic = StrictBoolean(required=True)
    effectiveness_evaluated = StrictBoolean(required=True)


class Communication(Strict):
    public_report_url = fields.Url(required=True, allow_none=True, schemes={"https"}, require_tld=True,
                                   error_messages={"invalid": problems.HTTPS_URL()},
                                   metadata={"pattern": "^https://"})


class Remediation(Strict):
    grievance_mechanism = StrictBoolean(required=True)


def file_id(**kwargs):
    """A file uploaded for the report (POST /v1/reports/files): its id (one of the company's files, else the
    report is refused on this field)."""
    return fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "The id POST /v1/reports/files gave: a PDF, JPEG or PNG of the company's."}, **kwargs)


class Evidence(Strict):
    kind = fields.String(required=True, validate=one_of(vocabulary.EVIDENCE_KINDS))
    title = text(300, required=True)
    issued_on = date_field(EARLIEST_EVIDENCE, required=True)
    file = file_id(allow_none=True)


class AnnualReport(Strict):
    """The confidential annual due-diligence report of one member company (contract §1)."""
    covenant_year = year_field(required=True)
    chains = count_field(required=True, allow_none=True)
    supply_chain = fields.Nested(SupplyChain, required=True)
    production_countries = fields.List(CountryCode(), required=True, validate=unique(what="country"))
    quarry_regions = fields.List(fields.Nested(QuarryRegion), required=True, validate=unique(
        lambda region: (region["country"], places.comparison_form(region["region"])), "quarry_region",
        lambda region: f"{region['country']}/{region['region']}"))
    materials = fields.List(fields.String(validate=one_of(vocabulary.MATERIALS)), required=True,
                            validate=unique(what="material"))
    risks = fields.List(fields.Nested(Risk), required=True)
    risk_prioritisation = fields.String(required=True, validate=one_of(vocabulary.PRIORITISATIONS))
    policy = fields.Nested(Policy, required=True)
    mitigation = fields.List(fields.Nested(Mitigation), required=True)
    plan_of_approach = StrictBoolean(required=True)
    plan_of_approach_file = file_id(allow_none=True)
    monitoring = fields.Nested(Monitoring, required=True)
    communication = fields.Nested(Communication, required=True)
    remediation = fields.Nested(Remediation, required=True)
    evidence = fields.List(fields.Nested(Evidence), required=True)


class CompanyRegistration(Strict):
    name = text(200, required=True)
    country = fields.String(required=True, validate=one_of(vocabulary.MEMBER_COUNTRIES))
    role = fields.String(required=True, validate=one_of(vocabulary.MEMBER_ROLES))
    imports_directly = StrictBoolean(required=True)
    joined_on = date_field(covenant.EARLIEST_JOINING, required=True)
    language = fields.String(required=True, validate=one_of(vocabulary.LANGUAGES))
    email = fields.Email(required=True)


class AuthorityRegistration(Strict):
    name = text(200, required=True)
    country = fields.String(required=True, validate=one_of(vocabulary.MEMBER_COUNTRIES))
    joined_on = date_field(covenant.EARLIEST_JOINING, required=True)


class PublicMember(Schema):
    id = fields.String()
    name = fields.String()
    country = fields.String(metadata={"enum": list(vocabulary.MEMBER_COUNTRIES.codes)})
    role = fields.String(metadata={"enum": list(vocabulary.MEMBER_ROLES.codes)})


class CommissionMemberRegistration(Strict):
    name = text(200, required=True)
    seat = fields.String(required=True, validate=one_of(vocabulary.COMMISSION_SEATS))
    email = fields.Email(required=True)
    language = fields.String(required=True, validate=one_of(vocabulary.LANGUAGES))


class ChairAppointment(Strict):
    """The commission's first chair, appointed at deployment (`trustone appoint-chair`)."""
    name = text(200, required=True)
    email = fields.Email(required=True)
    language = fields.String(required=True, validate=one_of(vocabulary.LANGUAGES))


class CommissionMember(CommissionMemberRegistration):
    id = fields.String(required=True)
    registered_at = fields.AwareDateTime()
    status = fields.String(required=True, metadata={
        "enum": ["awaiting_confirmation", "seated"],
        "description": "Whether the member sits on the commission, or its seat waits for the chair's "
                       "confirmation (until then it has no code that works)."})


class SeatedCommissionMember(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    seat = fields.String(required=True, metadata={"enum": list(vocabulary.COMMISSION_SEATS.codes)})
    token = fields.String(required=True, metadata={"description": "The member's bearer token, shown only "
                                                                  "once, to the chair, who hands it over."})


class Company(CompanyRegistration):
    id = fields.String(required=True)
    registered_at = fields.AwareDateTime()


class RegisteredCompany(Company):
    token = fields.String(metadata={"description": "Bearer token of the company; shown only once."})


class Authority(AuthorityRegistration):
    id = fields.String(required=True)
    registered_at = fields.AwareDateTime()


class RegisteredAuthority(Authority):
    token = fields.String(metadata={"description": "Bearer token of the authority; shown only once."})


class ReplacedToken(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": list(vocabulary.CALLER_ROLES.codes)})
    name = fields.String(required=True)
    token = fields.String(required=True, metadata={"description": "The member's new bearer token; shown "
                                                                  "only once. The old one no longer works."})


class Me(Schema):
    role = fields.String(required=True, metadata={"enum": list(vocabulary.CALLER_ROLES.codes)})
    member = fields.Dict(metadata={"description": "The company or authority, as registered (not for the "
                                                  "secretariat)."})


class ReportAccepted(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    previous_version = fields.Integer(allow_none=True)
    covenant_year = fields.Integer(required=True)


class ReportFile(Schema):
    id = fields.String(required=True)
    content_type = fields.String(required=True, metadata={"enum": ["application/pdf", "image/jpeg", "image/png"]})
    size = fields.Integer(required=True, metadata={"description": "Bytes, as kept (without its metadata)."})


class ReportVersion(Schema):
    version = fields.Integer()
    submitted_at = fields.AwareDateTime()
    report = fields.Nested(AnnualReport)
    files = fields.List(fields.Nested(ReportFile), metadata={"description": "The files the version names."})


class ReportSummary(Schema):
    id = fields.String()
    company_id = fields.String()
    covenant_year = fields.Integer()
    latest_version = fields.Integer()
    updated_at = fields.AwareDateTime()


class ReportDetail(ReportSummary):
    report = fields.Nested(AnnualReport, metadata={"description": "The latest version."})
    versions = fields.List(fields.Nested(ReportVersion))


class CompaniesQuery(Schema):
    # short enough that any value, percent-encoded, fits in a request line (8 KB)
    ids = fields.String(validate=validate.Length(min=1, max=600), metadata={
        "description": "Only these companies: their ids separated by commas (at most 600 characters)."})

    @post_load
    def split(self, data, **kwargs):
        if "ids" in data:
            data["ids"] = [each for each in data["ids"].split(",") if each]
        return data


class CompanyIds(Strict):
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                      validate=validate.Length(max=10_000), metadata={
                          "description": "The companies' ids (at most 10,000; an unknown id is left out)."})


class CompanyName(Schema):
    id = fields.String()
    name = fields.String()


class ReportQuery(Schema):
    covenant_year = fields.Integer(validate=between(1, covenant.LAST_YEAR))
    company_id = fields.String()
