"""Wire shapes of the attestation service."""
from __future__ import annotations

from marshmallow import Schema, fields

from common import vocabulary
from common.schema import Strict, Text
from services.attestation import domain


class PublishedKey(Schema):
    kty = fields.String(metadata={"example": "OKP"})
    crv = fields.String(metadata={"example": "Ed25519"})
    x = fields.String(metadata={"description": "The public key (base64url)."})
    kid = fields.String(metadata={"description": "Its RFC 7638 thumbprint: the `kid` of what it signed."})
    alg = fields.String(metadata={"example": domain.ALGORITHM})
    use = fields.String(metadata={"example": "sig"})
    status = fields.String(metadata={
        "enum": [domain.CURRENT, domain.RETIRED, domain.WITHDRAWN],
        "description": "current: signs new attestations; retired: signed earlier ones, which stay verifiable; "
                       "withdrawn: nothing it signed is believed."})
    first_used_at = fields.AwareDateTime()


class KeySet(Schema):
    keys = fields.List(fields.Nested(PublishedKey))


class AttestedMember(Schema):
    id = fields.String()
    name = fields.String()
    since = fields.Date(allow_none=True, metadata={"description": "Member since (the date it joined)."})


class AttestedYear(Schema):
    covenant_year = fields.Integer()
    reported = fields.String(metadata={"enum": list(vocabulary.REPORTING_TIMES.codes)})
    reported_on = fields.Date(allow_none=True)
    deadline = fields.Date(metadata={"description": "The date that counted for the year."})
    outcome = fields.String(allow_none=True, metadata={"enum": list(vocabulary.OUTCOMES.codes)})


class Statement(Schema):
    id = fields.String()
    issuer = fields.String()
    member = fields.Nested(AttestedMember)
    years = fields.List(fields.Nested(AttestedYear), metadata={
        "description": "Each covenant year it had to report for whose due date has come: whether and by which "
                       "date it reported, and its outcome. Never its score, report or assessment."})
    issued_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(metadata={"description": "The first moment it no longer holds."})
    holds_until = fields.Date(metadata={"description": "The last day it holds."})


class Issued(Statement):
    attestation = fields.String(metadata={"description": "The compact JWS (RFC 7515), signed with Ed25519."})
    key_id = fields.String()


class VerificationRequest(Strict):
    attestation = Text(domain.MAX_LENGTH, required=True, metadata={"description": "The compact JWS."})
    checked_by = Text(200, load_default=None, metadata={
        "description": "Without a bearer token: the organisation you check for, as you name it (recorded for "
                       "the member as \"said to be\": nobody vouches for it). Not used with a token: then "
                       "the check is recorded as the caller's own."})


class Reason(Schema):
    code = fields.String(metadata={"enum": list(domain.REASONS)})
    message = fields.String()


class Change(Schema):
    covenant_year = fields.Integer(allow_none=True, metadata={"description": "None: no longer a member."})
    attested = fields.Nested(AttestedYear, allow_none=True, metadata={
        "description": "What the attestation says of the year; never what holds now."})


class Verification(Schema):
    genuine = fields.Boolean(metadata={"description": "Signed by the platform with a key not withdrawn, as issued."})
    holds = fields.Boolean(metadata={"description": "Genuine and not expired."})
    reason = fields.Nested(Reason, allow_none=True)
    key_id = fields.String(allow_none=True)
    attestation = fields.Nested(Statement, metadata={"description": "What it says (also when not genuine: "
                                                                     "then it is not to be believed)."})
    standing_changed = fields.Boolean(metadata={"description": "For one that holds: whether the member's "
                                                               "standing differs now from what it says."})
    changes = fields.List(fields.Nested(Change))


class Checker(Schema):
    kind = fields.String(metadata={
        "enum": list(domain.CHECKER_KINDS),
        "description": "company, authority: signed in, `name` its registered name; secretariat; stated: not "
                       "signed in, `name` the organisation it said it checks for (nobody vouches for it); "
                       "unnamed: it said nothing of who it is (not signed in, or a member of the commission)."})
    name = fields.String(allow_none=True)


class Check(Schema):
    at = fields.AwareDateTime()
    by = fields.Nested(Checker)


class IssuedBrief(Schema):
    id = fields.String()
    issued_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    holds_until = fields.Date(metadata={"description": "The last day it holds."})
    key_id = fields.String()
    verifications = fields.Integer(metadata={"description": "How often it was verified on the platform (checks "
                                                            "made offline are not known)."})
    last_verified_at = fields.AwareDateTime(allow_none=True)
    checks = fields.List(fields.Nested(Check), metadata={
        "description": f"Its latest {domain.KEPT_CHECKS} checks on the platform, newest first: when, and by whom "
                       "as recorded (never a token or an address)."})
