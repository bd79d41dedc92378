"""Events are contracts: an envelope (id, type, schema version, time, correlation id, producer) around data.

Producers validate strictly against the schema of (type, schema version); consumers check the envelope,
then read only the data fields they need, so a producer may add fields without breaking anyone. An older
version of an event reaches handlers upcast to the current shape. (The broker side is `common.messaging`.)
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from common import vocabulary
from common.schema import Strict, shared


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String(required=True, validate=validate.Length(min=1))
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    correlation_id = fields.String(required=True, validate=validate.Length(min=1))
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

    def to_wire(self) -> dict:
        # The fields as they are (asdict would deep-copy the data, the largest part, only to dump it).
        return shared(EnvelopeSchema).dump({name: getattr(self, name) for name in self.__dataclass_fields__})


class InvalidEvent(Exception):
    """A message that can never be handled: not an envelope, or a type/version nobody knows."""


# --- data schemas, one per (type, schema version) -------------------------------------------------

class CompanySnapshot(Strict):
    id = fields.String(required=True)
    name = fields.String(required=True)
    country = fields.String(required=True, validate=validate.OneOf(vocabulary.MEMBER_COUNTRIES.codes))
    role = fields.String(required=True, validate=validate.OneOf(vocabulary.MEMBER_ROLES.codes))
    imports_directly = fields.Boolean(required=True)
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
    seated = fields.Boolean(required=True)


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
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    previous_version = fields.Integer(required=True, allow_none=True)
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    company = fields.Nested(CompanySnapshot, required=True)
    report = fields.Dict(required=True)  # validated by the submission service's report schema


class Calendar(Strict):
    due_date = fields.Date(required=True)
    catch_up_date = fields.Date(required=True)


class ReportScored(Strict):
    report_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    calendar = fields.Nested(Calendar, required=True)
    company = fields.Nested(CompanySnapshot, required=True)
    # Orders the assessments of one company's year: (report version, framework revision).
    ordinal = fields.List(fields.Integer(), required=True, validate=validate.Length(equal=2))
    report = fields.Dict(required=True)
    assessment = fields.Dict(required=True)
    previous_assessment = fields.Dict(required=True, allow_none=True)


class Progress(Strict):
    policy_and_chain_mapping = fields.Boolean(required=True)


class ReportScoredV2(ReportScored):
    """Version 2 says what the sector figures count of the company's progress in its own field, so that
    no consumer reads scoring's step codes: {"policy_and_chain_mapping": true} (steps 1 and 2.1 met)."""
    progress = fields.Nested(Progress, required=True)
    # When the report_submitted event this assessment answers occurred (real time, not the services'
    # clock): consumers measure the pipeline's lag from it. Absent in a rescore, which answers no submission.
    submission_occurred_at = fields.AwareDateTime(format="iso", load_default=None)


class SampledReport(Strict):
    report_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    company = fields.Nested(CompanySnapshot, required=True)


class ReportScoredV3(ReportScoredV2):
    """Version 3 orders a company's assessments of a year by (report version, framework version,
    corrections decided on appeal): an assessment corrected on appeal replaces the one it corrects."""
    ordinal = fields.List(fields.Integer(), required=True, validate=validate.Length(equal=3))


class ReplacedAssessment(Strict):
    """What a report_scored of version 4 says of the assessment it replaces: its result. Its criteria and
    requirements were announced in full in that assessment's own report_scored, so they are not sent again
    (they were more than a third of every event)."""
    framework_version = fields.Integer(required=True)
    points = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    score = fields.Float(required=True)
    band = fields.String(required=True, validate=validate.OneOf(vocabulary.BANDS.codes))
    outcome = fields.String(required=True, validate=validate.OneOf(vocabulary.OUTCOMES.codes))


REPLACED_FIELDS = tuple(ReplacedAssessment._declared_fields)


def replaced_assessment(assessment: dict | None) -> dict | None:
    """An assessment as a report_scored event names it when a newer one replaces it."""
    return None if assessment is None else {key: assessment[key] for key in REPLACED_FIELDS}


class ReportScoredV4(ReportScoredV3):
    """Version 4 carries of the assessment it replaces only its result (`ReplacedAssessment`)."""
    previous_assessment = fields.Nested(ReplacedAssessment, required=True, allow_none=True)


class VerificationSampleDrawn(Strict):
    """The reports of a year chosen for verification, and how: anyone with the population and the seed can
    draw the same sample again."""
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))
    seed = fields.String(required=True)
    population = fields.Integer(required=True, validate=validate.Range(min=0))
    drawn_at = fields.AwareDateTime(required=True, format="iso")
    sampled = fields.List(fields.Nested(SampledReport), required=True)


class ReportVerified(Strict):
    """The verification of a sampled company's report for a year: confirmed, or corrected. `ordinal` orders
    the records of one company's year (a later record replaces an earlier one)."""
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))
    company_id = fields.String(required=True)
    report_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    result = fields.String(required=True, validate=validate.OneOf(vocabulary.VERIFICATION_RESULTS.codes))
    verified_on = fields.Date(required=True)
    ordinal = fields.List(fields.Integer(), required=True, validate=validate.Length(equal=1))


class _CaseFiled(Strict):
    """A case filed with the complaints commission: what notices and the published counts need."""
    number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_KINDS.codes))
    language = fields.String(required=True, validate=validate.OneOf(vocabulary.LANGUAGES.codes))
    filed_at = fields.AwareDateTime(required=True, format="iso")
    covenant_year = fields.Integer(required=True)
    company_id = fields.String(required=True, allow_none=True)
    deadline = fields.Date(required=True, allow_none=True)


class CaseReceived(_CaseFiled):
    """v1: with the complainant's e-mail address when it gave one (for the acknowledgement)."""
    contact_email = fields.Email(required=True, allow_none=True)


class CaseReceivedV2(_CaseFiled):
    """v2: no address travels; `acknowledgement` says the filer gave an e-mail address, which notification
    asks complaints for (RPC `acknowledgement_address`) when it sends the acknowledgement, so that the address
    stays sealed in complaints' store and never sits in a message or an outbox."""
    acknowledgement = fields.Boolean(required=True)


class Correction(Strict):
    code = fields.String(required=True, validate=validate.OneOf(vocabulary.CRITERIA.codes))
    met = fields.Boolean(required=True)
    why = fields.String(required=True, validate=validate.Length(min=1))


class CaseDecision(Strict):
    summary = fields.String()
    outcome = fields.String(validate=validate.OneOf(vocabulary.APPEAL_DECISIONS.codes))
    corrections = fields.List(fields.Nested(Correction))
    appeal = fields.Dict(allow_none=True)
    decided_by = fields.String(validate=validate.OneOf(vocabulary.COMMISSION_SEATS.codes))


class CaseMoved(Strict):
    """A case moved a step of the procedure. A decided appeal carries the decision: which criteria are
    corrected, whether met, why, and by whom."""
    number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_KINDS.codes))
    covenant_year = fields.Integer(required=True)
    language = fields.String(required=True, validate=validate.OneOf(vocabulary.LANGUAGES.codes))
    from_state = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_STATES.codes))
    to_state = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_STATES.codes))
    at = fields.AwareDateTime(required=True, format="iso")
    company_id = fields.String(required=True, allow_none=True)
    admissible = fields.Boolean(required=True, allow_none=True)
    company_asked = fields.Boolean(required=True)
    deadline = fields.Date(required=True, allow_none=True)
    decision = fields.Nested(CaseDecision, required=True, allow_none=True)


class CaseTimeLimitApproaching(Strict):
    number = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_KINDS.codes))
    state = fields.String(required=True, validate=validate.OneOf(vocabulary.CASE_STATES.codes))
    deadline = fields.Date(required=True)
    covenant_year = fields.Integer(required=True)


class FrameworkCorrected(Strict):
    """A corrected assessment framework was applied (a rescore): every scoring instance reads its files
    again, so that none scores a new report under the older version."""
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class UnknownRegionReported(Strict):
    """A company named a quarry region the gazetteer does not know (first time for this name): counted as
    written until the secretariat places it. No company is named."""
    country = fields.String(required=True)
    state = fields.String(required=True, allow_none=True)  # an ISO 3166-2 code, or as written
    region = fields.String(required=True)
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))


class UnknownStateReported(Strict):
    """A company wrote a state (subdivision) nobody knows yet, for a quarry region (first time for this
    spelling): kept as written until the secretariat places it. No company is named."""
    country = fields.String(required=True)
    state = fields.String(required=True)  # as written
    region = fields.String(required=True)  # the region it was first written for, as written
    covenant_year = fields.Integer(required=True, validate=validate.Range(min=1))


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
    ("verification_sample_drawn", 1): VerificationSampleDrawn,
    ("report_verified", 1): ReportVerified,
    ("case_received", 1): CaseReceived,
    ("case_received", 2): CaseReceivedV2,
    ("case_moved", 1): CaseMoved,
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


def _case_received_v1_to_v2(data: dict) -> dict:
    # A v1 event (from a complaints instance not yet upgraded, which cannot yet be asked for the address)
    # keeps the address it carried; a v2 one carries none.
    return {**data, "acknowledgement": bool(data.get("contact_email"))}


def _commission_member_registered_v1_to_v2(data: dict) -> dict:
    # Before a seat waited for the chair's confirmation, a member sat on the commission once registered.
    return {**data, "seated": True}


# (type, version) -> the data of that version in the shape of the next; consumers see the current shape.
UPCASTERS = {("report_scored", 1): _report_scored_v1_to_v2, ("report_scored", 2): _report_scored_v2_to_v3,
             ("report_scored", 3): _report_scored_v3_to_v4, ("case_received", 1): _case_received_v1_to_v2,
             ("commission_member_registered", 1): _commission_member_registered_v1_to_v2}


def new_event(event_type: str, data: dict, *, producer: str, correlation_id: str,
              schema_version: int | None = None) -> Event:
    """A validated event; raises ValidationError when data does not match its schema."""
    version = schema_version or CURRENT_VERSION[event_type]
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
