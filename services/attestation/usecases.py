"""What the attestation service does, as plain functions taking their ports: `store` (AttestationStore),
`keys` (a KeyRing: `current`, `published()`), `clock` and `notification` (its RPC: `standing_of`)."""
from __future__ import annotations

import uuid
from datetime import datetime

from common import errors
from common.identity import Caller
from common.vocabulary import COMPANY, SECRETARIAT
from services.attestation import domain


def published_keys(*, keys) -> dict:
    """The JWKS: every key the platform ever signed attestations with, each with its status."""
    return {"keys": keys.published()}


def issue(caller: Caller, company_id: str, *, store, keys, clock, notification) -> dict:
    """A new attestation of a member's standing, for the member itself or the secretariat: the JWS and
    what it says in plain fields. Recorded (id, member, dates, key, fingerprint); nothing else changes."""
    _may_read(caller, company_id)
    standing = notification.standing_of(company_id)  # NotFound: no such member
    now = clock.now()
    claims = domain.claims(standing, now, f"att-{uuid.uuid4().hex}")
    token = domain.sign(claims, keys.current)
    store.add_attestation({"id": claims["jti"], "company_id": company_id, "issued_at": now,
                           "expires_at": domain.human(claims)["expires_at"], "key_id": domain.key_id(keys.current),
                           "fingerprint": domain.fingerprint(domain.canonical(claims)),
                           "requested_by": caller.role})
    return {"attestation": token, **domain.human(claims), "key_id": domain.key_id(keys.current)}


def verify(token: str, *, store, keys, clock, notification, caller: Caller | None = None,
           checked_by: str | None = None) -> dict:
    """Anyone's check of an attestation: genuine or not and why, whether it still holds, and, while it holds,
    whether the member's standing has changed since it was issued (an old proof kept is no standing window
    onto the member for good). A check of one the platform issued is counted and recorded for the member:
    when, and by whom (`domain.checker`): the signed-in `caller` as who it is, else the organisation it said
    it checks for (`checked_by`, not used when signed in), else "not signed in"."""
    now = clock.now()

    def issued(attestation_id):
        found = store.issued(attestation_id)
        return found["fingerprint"] if found else None

    verdict = domain.verify(token, keys.published(), now, issued)
    answer = verdict.as_dict()
    if verdict.genuine:  # recorded where the platform issued it (nothing elsewhere)
        by = domain.checker(caller.role, caller.name) if caller else domain.checker(None, said=checked_by)
        store.record_verification(verdict.payload.get("jti"), now, by)
    if not verdict.holds:
        return answer
    try:
        standing = notification.standing_of(verdict.payload.get("sub"))
    except errors.NotFound:
        standing = None
    changed = domain.changes(verdict.payload, standing)
    answer.update(standing_changed=bool(changed), changes=changed)
    return answer


def attestations(caller: Caller, company_id: str, *, store) -> list[dict]:
    """The attestations issued of a member, newest first, each with how often it was verified on the
    platform and when last, and its latest checks (`domain.KEPT_CHECKS` by known checkers, as many of the
    others), newest first: when, and by whom as recorded (`domain.checker`)."""
    _may_read(caller, company_id)
    return [{"id": each["id"], "issued_at": each["issued_at"], "expires_at": each["expires_at"],
             "holds_until": domain.last_day(datetime.fromisoformat(each["expires_at"]).timestamp()),
             "key_id": each["key_id"], "verifications": each["verifications"],
             "last_verified_at": each["last_verified_at"],
             "checks": [{"at": check["at"], "by": check["by"]} for check in domain.latest_checks(each)]}
            for each in store.attestations_of(company_id)]


def _may_read(caller: Caller, company_id: str) -> None:
    """The member itself, or the secretariat; another member's: as if it did not exist."""
    if caller.role == SECRETARIAT:
        return
    if caller.role != COMPANY or caller.id != company_id:
        raise errors.NotFound()
