"""Events are contracts: an envelope (id, type, schema version, time, correlation id, producer) around data.

Producers validate strictly against the schema of (type, schema version). Consumers take an event only
through `receive`: the envelope checked, the data checked against the same schema, every field a handler
reads of the type it reads, before any handler sees it (fields a producer added are let through unread,
so a producer may add fields without breaking anyone); an older version of an event reaches handlers
upcast to the current shape. This is the one place an event is validated. (The broker side is
`common.messaging`.)
"""
from __future__ import annotations

import copy
import functools
import math
import re
import uuid
from dataclasses import dataclass, fields as dataclass_fields, make_dataclass, replace
from datetime import date, datetime, timezone

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from common import vocabulary
from common.schema import Strict, StrictBoolean, StrictInteger, shared


# A correlation id follows a request through every service's logs, as a header of every message it causes
# and in every envelope: text without control characters, at most 200 of them (HTTP replaces any other).
CORRELATION_ID = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String(required=True, validate=validate.Length(min=1))
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    correlation_id = fields.String(required=True, validate=validate.Regexp(CORRELATION_ID))
    producer = fields.String(required=True)
    data = fields.Dict(required=True)


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    schema_version: int
    occurred_at: datetime
    correlation_id: str
    producer: str
    data: dict
    # How it came, not part of the envelope: sent again by a replay (`trustone replay`) to rebuild a
    # consumer, so what it once caused (a notice sent) is restored, not done again.
    replayed: bool = False
    # For the metrics only, in a message header (`SUBMITTED_HEADER`), never in the data: when the
    # report_submitted event a report_scored answers occurred (real time), so consumers measure the
    # pipeline's lag from it. None: not known (a rescore answers no submission).
    submission_occurred_at: datetime | None = None

    @property
    def payload(self):
        """The data as a typed object (`typed`): what a handler reads by name, never by index."""
        return typed(self.type, self.data)

    def to_wire(self) -> dict:
        # The fields as they are (asdict would deep-copy the data, the largest part, only to dump it).
        return shared(EnvelopeSchema).dump({name: getattr(self, name) for name in self.__dataclass_fields__})


class InvalidEvent(Exception):
    """A message that can never be handled: not an envelope, or a type/version nobody knows."""


# --- data schemas, one per (type, schema version) -------------------------------------------------
# JSON types are taken literally (an integer is no "5", a boolean no "yes"): a handler gets what it reads.

class Number(fields.Float):
    """A finite JSON number (not a string, nor true or false)."""
    default_error_messages = {"invalid": "Must be a number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not _finite(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _finite(value) -> bool:
    """A JSON number a float holds: not true or false, not infinite, not an integer beyond a float's range."""
    if type(value) is int:
        return -FLOAT_LIMIT < value < FLOAT_LIMIT
    return type(value) is float and math.isfinite(value)


FLOAT_LIMIT = 2 ** 1023


def _code(terms: vocabulary.Terms, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(terms.codes), **kwargs)


COUNTRY_CODE = validate.Regexp(r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2 (the producer checked it is one)
COUNT = validate.Range(min=0, max=2 ** 63 - 1)  # what a document store keeps
MAX_VERSION = 1_000_000  # a report's versions (submission refuses more)


def _ordinal(length: int):
    """An assessment's ordinal: report version, then framework version and corrections on appeal (below
    1,000 each, so that consumers can rank it as one number)."""
    def check(ordinal: list) -> None:
        if len(ordinal) != length or not 1 <= ordinal[0] <= MAX_VERSION or \
                not all(0 <= each < 1_000 for each in ordinal[1:]):
            raise ValidationError(f"Must be {length} integers: a version from 1 to {MAX_VERSION}, then each "
                                  "from 0 to 999.")
    return check

class _Read(Schema):
    """Part of an event that its producer fills with more than consumers read (a report's texts, an
    assessment's reasons): what they read is checked, the rest let through."""

    class Meta:
        unknown = EXCLUDE


class _Known(_Read):
    known = StrictInteger(required=True, validate=COUNT)
    total = StrictInteger(required=True, validate=COUNT)


class _SupplyChain(_Read):
    direct_suppliers = fields.Nested(_Known, required=True)
    factories = fields.Nested(_Known, required=True)
    quarry_regions = fields.Nested(_Known, required=True)
    quarries = fields.Nested(_Known, required=True)


class _QuarryRegion(_Read):
    country = fields.String(required=True, validate=COUNTRY_CODE)
    region = fields.String(required=True, validate=validate.Length(min=1, max=500))
    state = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=500))


class _Risk(_Read):
    theme = _code(vocabulary.RISK_THEMES, required=True)
    country = fields.String(required=True, validate=COUNTRY_CODE)
    severity = _code(vocabulary.LEVELS, required=True)
    likelihood = _code(vocabulary.LEVELS, required=True)
    actual = StrictBoolean(required=True)
    source = _code(vocabulary.RISK_SOURCES, required=True)


class _Mitigation(_Read):
    kind = _code(vocabulary.MITIGATION_KINDS, required=True)
    country = fields.String(required=True, validate=COUNTRY_CODE)
    description = fields.String(required=True)


class _Evidence(_Read):
    kind = _code(vocabulary.EVIDENCE_KINDS, required=True)
    title = fields.String(required=True)
    issued_on = fields.Date(required=True)


def _flags(*names: str) -> type[_Read]:
    return _Read.from_dict({name: StrictBoolean(required=True) for name in names})


class ReportData(_Read):
    """The annual report as events carry it (the submission service validated it by every rule of the
    contract): each field its consumers read, of the type they read, codes from the vocabulary. Its
    producer's rules that may change (names, ranges) are not applied again, so that an event stored
    before a rule changed is still taken when it is replayed."""

    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))
    chains = StrictInteger(required=True, allow_none=True, validate=COUNT)
    supply_chain = fields.Nested(_SupplyChain, required=True)
    production_countries = fields.List(fields.String(validate=COUNTRY_CODE), required=True)
    quarry_regions = fields.Nested(_QuarryRegion, many=True, required=True)
    materials = fields.List(_code(vocabulary.MATERIALS), required=True)
    risks = fields.Nested(_Risk, many=True, required=True)
    risk_prioritisation = _code(vocabulary.PRIORITISATIONS, required=True)
    policy = fields.Nested(_flags("statement_adopted", "embedded_in_management", "shared_with_suppliers"),
                           required=True)
    mitigation = fields.Nested(_Mitigation, many=True, required=True)
    plan_of_approach = StrictBoolean(required=True)
    monitoring = fields.Nested(_flags("systematic", "effectiveness_evaluated"), required=True)
    communication = fields.Nested(_Read.from_dict({
        "public_report_url": fields.String(required=True, allow_none=True)}), required=True)
    remediation = fields.Nested(_flags("grievance_mechanism"), required=True)
    evidence = fields.Nested(_Evidence, many=True, required=True)


class _Criterion(_Read):
    code = fields.String(required=True)
    step = fields.String(required=True)
    met = StrictBoolean(required=True)
    points = StrictInteger(required=True)


class _Requirement(_Read):
    code = _code(vocabulary.REQUIREMENTS, required=True)
    applicable = StrictBoolean(required=True)
    met = StrictBoolean(required=True, allow_none=True)  # None: not applicable


class AssessmentData(_Read):
    """An assessment as report_scored carries it: what its consumers read (scoring adds reasons). Version 1
    of report_scored is upcast from its criteria's steps; later versions say the progress in a field of
    their own, and consumers read no criterion (`AssessmentDataV2`)."""

    framework_version = StrictInteger(required=True)
    points = StrictInteger(required=True)
    maximum = StrictInteger(required=True)
    score = Number(required=True)
    band = _code(vocabulary.BANDS, required=True)
    outcome = _code(vocabulary.OUTCOMES, required=True)
    criteria = fields.Nested(_Criterion, many=True, required=True)
    requirements = fields.Nested(_Requirement, many=True, required=True)


class AssessmentDataV2(AssessmentData):
    criteria = fields.List(fields.Dict(), required=True)


class CompanySnapshot(Strict):
    id = fields.String(required=True)
    name = fields.String(required=True)
    country = fields.String(required=True, validate=validate.OneOf(vocabulary.MEMBER_COUNTRIES.codes))
    role = fields.String(required=True, validate=validate.OneOf(vocabulary.MEMBER_ROLES.codes))
    imports_directly = StrictBoolean(required=True)
    joined_on = fields.Date(required=True)
    language = fields.String(required=True, validate=validate.OneOf(vocabulary.LANGUAGES.codes))
    email = fields.Email(required=True)


class CompanyRegistered(Strict):
    company = fields.Nested(CompanySnapshot, required=True)


class AuthorityRegistered(Strict):
    authority = fields.Nested(Strict.from_dict({
        "id": fields.String(required=True),
        "name": fields.String(required=True),
        "country": fields.String(required=True, validate=validate.OneOf(vocabulary.MEMBER_COUNTRIES.codes)),
        "joined_on": fields.Date(required=True),
    }), required=True)


CommissionMemberSnapshot = Strict.from_dict({
    "id": fields.String(required=True),
    "name": fields.String(required=True),
    "seat": fields.String(required=True, validate=validate.OneOf(vocabulary.COMMISSION_SEATS.codes)),
    "email": fields.Email(required=True),
    "language": fields.String(required=True, validate=validate.OneOf(vocabulary.LANGUAGES.codes)),
})


class CommissionMemberRegistered(Strict):
    """v1: a member of the complaints commission, seated the moment the secretariat registered it."""
    member = fields.Nested(CommissionMemberSnapshot, required=True)


class CommissionMemberRegisteredV2(CommissionMemberRegistered):
    """v2: `seated` says whether the member sits on the commission yet. A seat the secretariat registers
    waits for the chair's confirmation (`commission_member_seated`); only the first chair, appointed at
    deployment, is seated when registered."""
    seated = StrictBoolean(required=True)


class CommissionMemberSeated(Strict):
    """The chair confirmed a seat the secretariat registered: from now on the member sits on the commission.
    `seated_by` is the chair's member id."""
    member = fields.Nested(CommissionMemberSnapshot, required=True)
    seated_by = fields.String(required=True)
    seated_at = fields.AwareDateTime(required=True, format="iso")


class MemberTokenReplaced(Strict):
    """A member's sign-in code was replaced (its old one no longer works): its owner is told, in its language
    and at its address when it has one (a contracting authority has none on record). `replaced_by` names the
    role that did it (the secretariat; the commission's chair or the member itself) and, for a commission
    member, its id."""
    replacement_id = fields.String(required=True)
    member = fields.Nested(Strict.from_dict({
        "id": fields.String(required=True),
        "role": fields.String(required=True, validate=validate.OneOf(
            (vocabulary.COMPANY, vocabulary.AUTHORITY, vocabulary.COMMISSION))),
        "name": fields.String(required=True),
        "language": fields.String(required=True, validate=validate.OneOf(vocabulary.LANGUAGES.codes)),
        "email": fields.Email(required=True, allow_none=True),
    }), required=True)
    replaced_by = fields.Nested(Strict.from_dict({
        "role": fields.String(required=True, validate=validate.OneOf(
            (vocabulary.SECRETARIAT, vocabulary.COMMISSION))),
        "id": fields.String(required=True, allow_none=True),
        "seat": fields.String(required=True, allow_none=True,
                              validate=validate.OneOf(vocabulary.COMMISSION_SEATS.codes)),
    }), required=True)
    replaced_at = fields.AwareDateTime(required=True, format="iso")


class ReportSubmitted(Strict):
    report_id = fields.String(required=True)
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    previous_version = StrictInteger(required=True, allow_none=True)
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    company = fields.Nested(CompanySnapshot, required=True)
    report = fields.Nested(ReportData, required=True)  # the submission service validated it by every rule


class Calendar(Strict):
    due_date = fields.Date(required=True)
    catch_up_date = fields.Date(required=True)


class ReportScored(Strict):
    report_id = fields.String(required=True)
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    calendar = fields.Nested(Calendar, required=True)
    company = fields.Nested(CompanySnapshot, required=True)
    # Orders the assessments of one company's year: (report version, framework revision).
    ordinal = fields.List(StrictInteger(), required=True, validate=_ordinal(2))
    report = fields.Nested(ReportData, required=True)
    assessment = fields.Nested(AssessmentData, required=True)
    previous_assessment = fields.Nested(AssessmentData, required=True, allow_none=True)


class Progress(Strict):
    policy_and_chain_mapping = StrictBoolean(required=True)


class ReportScoredV2(ReportScored):
    """Version 2 says what the sector figures count of the company's progress in its own field, so that
    no consumer reads scoring's step codes: {"policy_and_chain_mapping": true} (steps 1 and 2.1 met)."""
    progress = fields.Nested(Progress, required=True)
    assessment = fields.Nested(AssessmentDataV2, required=True)
    # When the report_submitted event this assessment answers occurred (real time, not the services'
    # clock): consumers measure the pipeline's lag from it. Absent in a rescore, which answers no submission.
    submission_occurred_at = fields.AwareDateTime(format="iso", load_default=None)


class SampledReport(Strict):
    report_id = fields.String(required=True)
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    company = fields.Nested(CompanySnapshot, required=True)


class ReportScoredV3(ReportScoredV2):
    """Version 3 orders a company's assessments of a year by (report version, framework version,
    corrections decided on appeal): an assessment corrected on appeal replaces the one it corrects."""
    ordinal = fields.List(StrictInteger(), required=True, validate=_ordinal(3))


class ReplacedAssessment(Strict):
    """What a report_scored of version 4 says of the assessment it replaces: its result. Its criteria and
    requirements were announced in full in that assessment's own report_scored, so they are not sent again
    (they were more than a third of every event)."""
    framework_version = StrictInteger(required=True)
    points = StrictInteger(required=True)
    maximum = StrictInteger(required=True)
    score = Number(required=True)
    band = fields.String(required=True, validate=validate.OneOf(vocabulary.BANDS.codes))
    outcome = fields.String(required=True, validate=validate.OneOf(vocabulary.OUTCOMES.codes))


REPLACED_FIELDS = tuple(ReplacedAssessment._declared_fields)


def replaced_assessment(assessment: dict | None) -> dict | None:
    """An assessment as a report_scored event names it when a newer one replaces it."""
    return None if assessment is None else {key: assessment[key] for key in REPLACED_FIELDS}


class ReportScoredV4(ReportScoredV3):
    """Version 4 carries of the assessment it replaces only its result (`ReplacedAssessment`)."""
    previous_assessment = fields.Nested(ReplacedAssessment, required=True, allow_none=True)


class OrdinalData(Strict):
    """Where an assessment stands among a company's assessments of a year, by name: its report version, the
    framework version it was assessed with, and the corrections decided on appeal (below 1,000 each)."""
    report_version = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_VERSION))
    framework_version = StrictInteger(required=True, validate=validate.Range(min=0, max=999))
    correction = StrictInteger(required=True, validate=validate.Range(min=0, max=999))


@dataclass(frozen=True, order=True)
class Ordinal:
    """An assessment's ordinal as handlers read it (its fields are `OrdinalData`'s, in order: compared as
    it orders, report version first)."""
    report_version: int
    framework_version: int
    correction: int

    @classmethod
    def of(cls, data) -> "Ordinal":
        """From a report_scored payload's ordinal (`typed`), the data of a report_scored event (v5), or the
        positional list of an older one as a consumer may have stored it."""
        if isinstance(data, Ordinal):
            return data
        if isinstance(data, (list, tuple)):
            return cls(*data)
        if not isinstance(data, dict):  # typed
            return cls(**{name: getattr(data, name) for name in ORDINAL_FIELDS})
        return cls(**{name: data[name] for name in ORDINAL_FIELDS})

    def to_data(self) -> dict:
        return {name: getattr(self, name) for name in ORDINAL_FIELDS}


ORDINAL_FIELDS = tuple(each.name for each in dataclass_fields(Ordinal))


class ReportScoredV5(ReportScoredV4):
    """Version 5 names the ordinal's parts (`OrdinalData`), and carries nothing only a metric reads: when
    the submission it answers occurred travels in a message header (`Event.submission_occurred_at`)."""
    ordinal = fields.Nested(OrdinalData, required=True)

    class Meta(Strict.Meta):
        exclude = ("submission_occurred_at",)


class VerificationSampleDrawn(Strict):
    """The reports of a year chosen for verification, and how: anyone with the population and the seed can
    draw the same sample again."""
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))
    seed = fields.String(required=True)
    population = StrictInteger(required=True, validate=validate.Range(min=0))
    drawn_at = fields.AwareDateTime(required=True, format="iso")
    sampled = fields.List(fields.Nested(SampledReport), required=True)


class ReportVerified(Strict):
    """The verification of a sampled company's report for a year: confirmed, or corrected. `ordinal` orders
    the records of one company's year (a later record replaces an earlier one)."""
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))
    company_id = fields.String(required=True)
    report_id = fields.String(required=True)
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    result = fields.String(required=True, validate=validate.OneOf(vocabulary.VERIFICATION_RESULTS.codes))
    verified_on = fields.Date(required=True)
    ordinal = fields.List(StrictInteger(), required=True, validate=validate.Length(equal=1))


class ReportVerifiedV2(ReportVerified):
    """Version 2 orders a company's verification records by a named number (`sequence`: later records have
    higher ones), not by a list of one."""
    sequence = StrictInteger(required=True, validate=validate.Range(min=0))

    class Meta(Strict.Meta):
        exclude = ("ordinal",)


class _CaseFiled(Strict):
    """A case filed with the complaints commission: what notices and the published counts need."""
    number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_KINDS.codes))
    language = fields.String(required=True, validate=validate.OneOf(vocabulary.LANGUAGES.codes))
    filed_at = fields.AwareDateTime(required=True, format="iso")
    covenant_year = StrictInteger(required=True)
    company_id = fields.String(required=True, allow_none=True)
    deadline = fields.Date(required=True, allow_none=True)


class CaseReceived(_CaseFiled):
    """v1: with the complainant's e-mail address when it gave one (for the acknowledgement)."""
    contact_email = fields.Email(required=True, allow_none=True)


class CaseReceivedV2(_CaseFiled):
    """v2: no address travels; `acknowledgement` says the filer gave an e-mail address, which notification
    asks complaints for (RPC `acknowledgement_address`) when it sends the acknowledgement, so that the address
    stays sealed in complaints' store and never sits in a message or an outbox."""
    acknowledgement = StrictBoolean(required=True)


class Correction(Strict):
    code = fields.String(required=True, validate=validate.OneOf(vocabulary.CRITERIA.codes))
    met = StrictBoolean(required=True)
    why = fields.String(required=True, validate=validate.Length(min=1))


class Appeal(Strict):
    report_id = fields.String(required=True)
    version = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_VERSION))
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))
    criteria = fields.List(fields.String(), required=True)


class CaseDecision(Strict):
    summary = fields.String()
    outcome = fields.String(validate=validate.OneOf(vocabulary.APPEAL_DECISIONS.codes))
    corrections = fields.List(fields.Nested(Correction))
    appeal = fields.Nested(Appeal, allow_none=True)
    decided_by = fields.String(validate=validate.OneOf(vocabulary.COMMISSION_SEATS.codes))

    @validates_schema
    def an_upheld_appeal_says_what_to_correct(self, data, **kwargs):
        if data.get("outcome") in ("upheld", "upheld_in_part") and not (
                data.get("appeal") and data.get("corrections") and data.get("decided_by")):
            raise ValidationError("An upheld appeal names its appeal, its corrections and who decided.")


class CaseMoved(Strict):
    """A case moved a step of the procedure. A decided appeal carries the decision: which criteria are
    corrected, whether met, why, and by whom."""
    number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_KINDS.codes))
    covenant_year = StrictInteger(required=True)
    language = fields.String(required=True, validate=validate.OneOf(vocabulary.LANGUAGES.codes))
    from_state = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_STATES.codes))
    to_state = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_STATES.codes))
    at = fields.AwareDateTime(required=True, format="iso")
    company_id = fields.String(required=True, allow_none=True)
    admissible = StrictBoolean(required=True, allow_none=True)
    company_asked = StrictBoolean(required=True)
    deadline = fields.Date(required=True, allow_none=True)
    decision = fields.Nested(CaseDecision, required=True, allow_none=True)


class CaseMessageSent(Strict):
    """The commission wrote to the company concerned in a case (an appeal's company is its filer): the company
    is told to read it on the case's page. The text stays sealed in complaints: it travels in no event."""
    number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_KINDS.codes))
    covenant_year = StrictInteger(required=True)
    at = fields.AwareDateTime(required=True, format="iso")
    company_id = fields.String(required=True)


class CaseTimeLimitApproaching(Strict):
    number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_KINDS.codes))
    state = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_STATES.codes))
    deadline = fields.Date(required=True)
    covenant_year = StrictInteger(required=True)


class FrameworkCorrected(Strict):
    """A corrected assessment framework was applied (a rescore): every scoring instance reads its files
    again, so that none scores a new report under the older version."""
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))
    version = StrictInteger(required=True, validate=validate.Range(min=1))


class UnknownRegionReported(Strict):
    """A company named a quarry region the gazetteer does not know (first time for this name): counted as
    written until the secretariat places it. No company is named."""
    country = fields.String(required=True)
    state = fields.String(required=True, allow_none=True)  # an ISO 3166-2 code, or as written
    region = fields.String(required=True)
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))


class UnknownStateReported(Strict):
    """A company wrote a state (subdivision) nobody knows yet, for a quarry region (first time for this
    spelling): kept as written until the secretariat places it. No company is named."""
    country = fields.String(required=True)
    state = fields.String(required=True)  # as written
    region = fields.String(required=True)  # the region it was first written for, as written
    covenant_year = StrictInteger(required=True, validate=validate.Range(min=1))


SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("company_registered", 1): CompanyRegistered,
    ("authority_registered", 1): AuthorityRegistered,
    ("commission_member_registered", 1): CommissionMemberRegistered,
    ("commission_member_registered", 2): CommissionMemberRegisteredV2,
    ("commission_member_seated", 1): CommissionMemberSeated,
    ("member_token_replaced", 1): MemberTokenReplaced,
    ("report_submitted", 1): ReportSubmitted,
    ("report_scored", 1): ReportScored,
    ("report_scored", 2): ReportScoredV2,
    ("report_scored", 3): ReportScoredV3,
    ("report_scored", 4): ReportScoredV4,
    ("report_scored", 5): ReportScoredV5,
    ("verification_sample_drawn", 1): VerificationSampleDrawn,
    ("report_verified", 1): ReportVerified,
    ("report_verified", 2): ReportVerifiedV2,
    ("case_received", 1): CaseReceived,
    ("case_received", 2): CaseReceivedV2,
    ("case_moved", 1): CaseMoved,
    ("case_message_sent", 1): CaseMessageSent,
    ("case_time_limit_approaching", 1): CaseTimeLimitApproaching,
    ("framework_corrected", 1): FrameworkCorrected,
    ("unknown_region_reported", 1): UnknownRegionReported,
    ("unknown_state_reported", 1): UnknownStateReported,
}
CURRENT_VERSION = {event_type: max(version for kind, version in SCHEMAS if kind == event_type)
                   for event_type, _ in SCHEMAS}


def _report_scored_v1_to_v2(data: dict) -> dict:
    # A v1 event (from a scoring instance not yet upgraded) carries the criteria with their steps.
    return {**data, "progress": vocabulary.progress(data["assessment"]["criteria"])}


def _report_scored_v2_to_v3(data: dict) -> dict:
    return {**data, "ordinal": [*data["ordinal"], 0]}  # no correction on appeal


def _report_scored_v3_to_v4(data: dict) -> dict:
    return {**data, "previous_assessment": replaced_assessment(data["previous_assessment"])}


def _report_scored_v4_to_v5(data: dict) -> dict:
    # The positional ordinal named; when the submission occurred (a metric's) is no part of the data now.
    named = {key: value for key, value in data.items() if key != "submission_occurred_at"}
    return {**named, "ordinal": dict(zip(ORDINAL_FIELDS, data["ordinal"]))}


def _report_verified_v1_to_v2(data: dict) -> dict:
    return {**{key: value for key, value in data.items() if key != "ordinal"}, "sequence": data["ordinal"][0]}


def _case_received_v1_to_v2(data: dict) -> dict:
    # A v1 event (from a complaints instance not yet upgraded, which cannot yet be asked for the address)
    # keeps the address it carried; a v2 one carries none.
    return {**data, "acknowledgement": bool(data.get("contact_email"))}


def _commission_member_registered_v1_to_v2(data: dict) -> dict:
    # Before a seat waited for the chair's confirmation, a member sat on the commission once registered.
    return {**data, "seated": True}


# (type, version) -> the data of that version in the shape of the next; consumers see the current shape.
UPCASTERS = {("report_scored", 1): _report_scored_v1_to_v2, ("report_scored", 2): _report_scored_v2_to_v3,
             ("report_scored", 3): _report_scored_v3_to_v4, ("report_scored", 4): _report_scored_v4_to_v5,
             ("report_verified", 1): _report_verified_v1_to_v2, ("case_received", 1): _case_received_v1_to_v2,
             ("commission_member_registered", 1): _commission_member_registered_v1_to_v2}


def new_event(event_type: str, data: dict, *, producer: str, correlation_id: str,
              schema_version: int | None = None) -> Event:
    """A validated event; raises ValidationError when data does not match its schema."""
    version = schema_version or CURRENT_VERSION[event_type]
    valid = _produced_check(SCHEMAS[(event_type, version)])
    if valid is None or not valid(data):
        shared(SCHEMAS[(event_type, version)]).load(data)  # strict: raises on a missing, wrong or unknown field
    return Event(
        id=str(uuid.uuid4()), type=event_type, schema_version=version,
        occurred_at=datetime.now(timezone.utc), correlation_id=correlation_id,
        producer=producer, data=data,
    )


def parse(body) -> Event:
    """The envelope of a consumed message; InvalidEvent when it is not one we know."""
    if not isinstance(body, dict):
        raise InvalidEvent(f"message body is {type(body).__name__}, not an event envelope")
    try:
        envelope = shared(EnvelopeSchema).load(body)
    except ValidationError as exc:
        raise InvalidEvent(f"not an event envelope: {exc.messages}") from exc
    if (envelope["type"], envelope["schema_version"]) not in SCHEMAS:
        raise InvalidEvent(f"unknown event {envelope['type']} v{envelope['schema_version']}")
    return Event(**envelope)


def upcast(event: Event) -> Event:
    """The event with its data in the current version's shape (what consumers read)."""
    version, data = event.schema_version, event.data
    while (event.type, version) in UPCASTERS:
        data = UPCASTERS[(event.type, version)](data)
        version += 1
    return event if version == event.schema_version else replace(event, schema_version=version, data=data)


def receive(body) -> Event:
    """An event as a consumer takes it off the broker: the envelope of a type and version this consumer
    knows, its data valid by that version's schema, upcast to the current shape (and valid by that too).
    InvalidEvent, naming every field at fault, when it is none: nothing of it reaches a handler, so a
    handler never writes part of what it cannot finish. The one place a consumed event is validated."""
    event = parse(body)
    check(event.type, event.schema_version, event.data)
    try:
        current = upcast(event)
    except Exception as exc:  # noqa: BLE001 - data an upcaster cannot read is no event we know
        raise InvalidEvent(f"cannot upcast {event.type} v{event.schema_version}: "
                           f"{type(exc).__name__}: {exc}") from None
    if current is not event:
        check(current.type, current.schema_version, current.data)
    return current


def check(event_type: str, schema_version: int, data) -> None:
    """InvalidEvent unless `data` is valid data of the event by its schema, as its consumers read it: every
    field they read present and of its type; fields they do not know are let through."""
    if not isinstance(data, dict):
        raise InvalidEvent(f"{event_type} v{schema_version}: data is {type(data).__name__}, not an object")
    schema_cls = SCHEMAS[(event_type, schema_version)]
    valid = _consumed_check(schema_cls)
    if valid is not None and valid(data):
        return
    try:
        _consumed(schema_cls).load(data)  # its messages name every field at fault
    except ValidationError as exc:
        raise InvalidEvent(f"{event_type} v{schema_version}: invalid data: {exc.messages}") from None
    except Exception as exc:  # noqa: BLE001 - data marshmallow cannot even read (nested too deep, ...)
        raise InvalidEvent(f"{event_type} v{schema_version}: unreadable data: {type(exc).__name__}") from None


# --- typed payloads: what handlers read by name ---------------------------------------------------------

def typed(event_type: str, data: dict):
    """An event's data (in the current version's shape, as `receive` gives it) as a frozen dataclass generated
    from its schema: a field per schema field (None when absent), a nested object as its own dataclass, a
    list as a tuple. So a handler reads `verified.sequence`, never `verified["ordinal"][0]`."""
    return _typed(_consumed(SCHEMAS[(event_type, CURRENT_VERSION[event_type])]), data)


def _typed(schema: Schema, data: dict):
    payload = _payload_class(type(schema), tuple(schema.fields))(**{
        name: _typed_value(field, data.get(field.data_key or name)) for name, field in schema.fields.items()})
    # The data it was read from, for `data_of`: kept as sent (a field sent as null stays null, one left out
    # stays out), which the typed object (None for both) cannot say.
    object.__setattr__(payload, "_data", data)
    return payload


def data_of(payload) -> dict:
    """The JSON data of a typed payload (or of a nested object of one), where a use case stores or forwards
    it as JSON: the one place handlers' typed objects become dicts again."""
    return copy.deepcopy(payload._data)


def _typed_value(field: fields.Field, value):
    if value is None:
        return None
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema) and not field.many:
        return _typed(field.schema, value)
    if isinstance(field, fields.List):
        return tuple(_typed_value(field.inner, each) for each in value)
    return value


@functools.cache
def _payload_class(schema_cls: type[Schema], names: tuple[str, ...]) -> type:
    """The dataclass of a schema's payload (made once per schema and set of fields)."""
    return make_dataclass(schema_cls.__name__.lstrip("_") + "Payload", [(name, object) for name in names],
                          frozen=True)


@functools.cache
def _consumed(schema_cls: type[Schema]) -> Schema:
    """The process's one instance of a schema as consumers load it: unknown fields excluded at every level
    (a producer may add fields), every known one checked as strictly as producers are."""
    schema = schema_cls()
    _lenient(schema)
    return schema


def _lenient(schema: Schema) -> None:
    schema.unknown = EXCLUDE
    for field in schema.fields.values():
        _lenient_field(field)


def _lenient_field(field: fields.Field) -> None:
    if isinstance(field, fields.Nested):
        field.unknown = EXCLUDE
        _lenient(field.schema)
    elif isinstance(field, fields.List):
        _lenient_field(field.inner)


# --- the same rules, quickly ---------------------------------------------------------------------------
# marshmallow spends some microseconds on every field it loads, and a report_scored has about a hundred:
# validating every event in every consumer and producer that way cost more than a millisecond per report
# in each. So each schema is also compiled, once, into a plain function that answers only "valid": the
# same field types, validators, requiredness, nullability and unknown-field rule, no more. What it does
# not know how to check (a schema hook, another field class) leaves the schema to marshmallow; what it
# refuses goes to marshmallow for the messages (and marshmallow has the last word). A property test holds
# the two to the same answers (tests/unit/test_common.py).

@functools.cache
def _consumed_check(schema_cls: type[Schema]):
    return _checker(_consumed(schema_cls))


@functools.cache
def _produced_check(schema_cls: type[Schema]):
    return _checker(shared(schema_cls))


def _checker(schema: Schema):
    """A function telling whether data is valid by `schema` (an instance), or None when some rule of it is
    not one this compiles."""
    if any(schema._hooks.values()):  # validates_schema, pre_load, post_load, validates
        return None
    checks = []
    for name, field in schema.fields.items():
        check = _field_checker(field)
        if check is None or field.dump_only:
            return None
        checks.append((field.data_key or name, field.required, field.allow_none, check))
    known = frozenset(key for key, *_ in checks)
    strict = schema.unknown == RAISE

    def valid(data) -> bool:
        if type(data) is not dict or (strict and not known.issuperset(data)):
            return False
        for key, required, allow_none, check in checks:
            if key not in data:
                if required:
                    return False
                continue
            value = data[key]
            if value is None:
                if not allow_none:
                    return False
            elif not check(value):
                return False
        return True
    return valid


def _field_checker(field: fields.Field):
    kind = type(field)
    if kind is fields.Nested:
        if field.only is not None or field.exclude or field.unknown not in (None, field.schema.unknown):
            return None
        inner = _checker(field.schema)
        if inner is None:
            return None
        check = (lambda value: type(value) is list and all(inner(each) for each in value)) if field.many else inner
    elif kind is fields.List:
        inner_field = field.inner
        inner = _field_checker(inner_field)
        if inner is None:
            return None
        allow_none = inner_field.allow_none
        check = (lambda value: type(value) is list and all(
            (each is None and allow_none) or (each is not None and inner(each)) for each in value))
    elif kind is fields.Dict:
        if field.key_field is not None or field.value_field is not None:
            return None
        check = (lambda value: type(value) is dict)
    else:
        check = _SCALARS.get(kind)
        if check is None or getattr(field, "format", None) not in (None, "iso", "iso8601"):
            return None
    validators = tuple(field.validators)
    if not validators:
        return check

    def validated(value) -> bool:
        if not check(value):
            return False
        try:
            for validator in validators:
                if validator(value) is False:
                    return False
        except ValidationError:
            return False
        return True
    return validated


def _parses(parse, aware: bool = False):
    def check(value) -> bool:
        if type(value) is not str:
            return False
        try:
            parsed = parse(value)
        except (TypeError, AttributeError, ValueError):
            return False
        return not aware or (parsed.tzinfo is not None and parsed.tzinfo.utcoffset(parsed) is not None)
    return check


_SCALARS = {
    fields.String: lambda value: type(value) is str,
    fields.Email: lambda value: type(value) is str,  # and its validator, which the field carries
    StrictInteger: lambda value: type(value) is int,
    StrictBoolean: lambda value: type(value) is bool,
    Number: _finite,
    fields.Date: _parses(date.fromisoformat),
    fields.AwareDateTime: _parses(datetime.fromisoformat, aware=True),
}
