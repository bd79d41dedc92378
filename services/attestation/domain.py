"""Attestations: a member's standing as a signed statement anyone can check, with the platform's published
keys only (pure rules; joserfc signs and verifies, as the JOSE RFCs say).

An attestation is a compact JWS (RFC 7515) signed with an Ed25519 key (alg "Ed25519", RFC 9864), its header
naming the key by its RFC 7638 thumbprint (`kid`). Its claims say who the member is and since when, and for
every covenant year it had to report for and whose due date has come: whether and by which date it
reported and its outcome (never its score, its report or its assessment); when it was issued (`iat`) and
until when it holds (`exp`: the next date that could change the standing without anything else happening).
"""
from __future__ import annotations

import base64
import hashlib
import json
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from common import problems
from common.vocabulary import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT

ALGORITHM = "Ed25519"          # RFC 9864's fully specified name (joserfc's "EdDSA" is its deprecated alias)
ISSUER = "TruStone"            # the platform, as the `iss` claim names it
TYPE = "trustone-attestation+jwt"
LONGEST = timedelta(days=366)  # an attestation holds a year at most, even when no date is coming
MAX_LENGTH = 8000              # an attestation is ~1 kB; anything far longer is not one

# Why an attestation is refused, or no longer holds (`Verdict.reason`).
NOT_AN_ATTESTATION = "not_an_attestation"  # not a compact JWS of ours at all
UNKNOWN_KEY = "unknown_key"                # signed with a key the platform never published
WITHDRAWN_KEY = "withdrawn_key"            # the key was withdrawn: nothing it signed is believed
FORGED = "forged"                          # the signature is not the platform's
ALTERED = "altered"                        # one the platform issued, its content changed afterwards
EXPIRED = "expired"                        # genuine, but past the date until which it held
REASONS = (NOT_AN_ATTESTATION, UNKNOWN_KEY, WITHDRAWN_KEY, FORGED, ALTERED, EXPIRED)
# Each reason's refusal, worded as every refusal of the platform is (common.problems; the portal's words).
KINDS = {kind.code: kind for kind in (problems.NOT_AN_ATTESTATION, problems.UNKNOWN_KEY, problems.WITHDRAWN_KEY,
                                      problems.FORGED, problems.ALTERED, problems.EXPIRED)}

# A key's place in the published history.
CURRENT, RETIRED, WITHDRAWN = "current", "retired", "withdrawn"


# --- keys ----------------------------------------------------------------------------------------------

def new_private_key() -> str:
    """A new Ed25519 private key as a setting holds it: the base64url of its 32-byte seed (a JWK's `d`)."""
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


def signing_key(text: str) -> OKPKey:
    """The key of a setting's entry (new_private_key's form); ValueError for anything else."""
    try:
        seed = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
        private = Ed25519PrivateKey.from_private_bytes(seed)
    except (ValueError, TypeError) as exc:
        raise ValueError("an attestation signing key is the base64url of an Ed25519 seed "
                         "(`trustone attestation-key new` makes one)") from exc
    public = private.public_key().public_bytes_raw()
    return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "d": _b64(seed), "x": _b64(public)})


def signing_keys(private: list[str], withdrawn: frozenset[str]) -> list[OKPKey]:
    """The keys of ATTESTATION_SIGNING_KEYS, the first the one that signs; ValueError for an entry that is no
    key, or a first key that was withdrawn."""
    keys = [signing_key(each) for each in private]
    if keys and key_id(keys[0]) in withdrawn:
        raise ValueError("the first key of ATTESTATION_SIGNING_KEYS is withdrawn (ATTESTATION_WITHDRAWN_KEYS): "
                         "put a new key first (`trustone attestation-key new`)")
    return keys


def key_id(key: OKPKey) -> str:
    """The key's RFC 7638 thumbprint (SHA-256, base64url)."""
    return key.thumbprint()


def public_jwk(key: OKPKey) -> dict:
    """What is published of a key: its public JWK with its id, algorithm and use."""
    return {**key.as_dict(private=False), "kid": key_id(key), "alg": ALGORITHM, "use": "sig"}


def key_status(kid: str, current: str | None, withdrawn: frozenset[str]) -> str:
    return WITHDRAWN if kid in withdrawn else CURRENT if kid == current else RETIRED


# --- what an attestation says ----------------------------------------------------------------------------

def attested_years(standing: dict) -> list[dict]:
    """Of a standing (notification's `standing_of`), each covenant year the member had to report for whose
    due date has come or that it reported for: whether and by which date it reported, and its outcome."""
    return [{"covenant_year": each["covenant_year"], "reported": each["reported"],
             "reported_on": each["reported_on"], "deadline": each["deadline"], "outcome": each["outcome"]}
            for each in standing["years"] if each["obliged"] and each["reported"] != "not_yet_due"]


def member_of(standing: dict) -> dict:
    member = standing["member"]
    return {"id": member["id"], "name": member["name"], "since": member.get("joined_on")}


def expiry(standing: dict, issued_at: datetime) -> datetime:
    """Until when an attestation issued at `issued_at` holds: the end of the next date that could change the
    standing (a date of a year not yet met: after it the year is missing, or due), a year at most."""
    ceiling = issued_at + LONGEST
    for each in standing.get("upcoming", []):
        end = datetime.combine(date.fromisoformat(each) + timedelta(days=1), time(), timezone.utc)
        if end > issued_at:
            return min(end, ceiling)
    return ceiling


def claims(standing: dict, issued_at: datetime, attestation_id: str) -> dict:
    """The claims of a new attestation of `standing`."""
    member = member_of(standing)
    return {"iss": ISSUER, "sub": member["id"], "jti": attestation_id, "iat": int(issued_at.timestamp()),
            "exp": int(expiry(standing, issued_at).timestamp()), "member": member,
            "years": attested_years(standing)}


def sign(payload: dict, key: OKPKey) -> str:
    """The compact JWS of `payload`, signed with `key`."""
    return jws.serialize_compact({"alg": ALGORITHM, "kid": key_id(key), "typ": TYPE}, canonical(payload), key,
                                 algorithms=[ALGORITHM])


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(payload: bytes) -> str:
    """What the platform keeps of what it signed: the SHA-256 of the payload."""
    return hashlib.sha256(payload).hexdigest()


def human(payload: dict) -> dict:
    """An attestation's claims as plain fields."""
    return {"id": payload.get("jti"), "issuer": payload.get("iss"), "member": payload.get("member"),
            "years": payload.get("years"), "issued_at": _instant(payload.get("iat")),
            "expires_at": _instant(payload.get("exp")), "holds_until": last_day(payload.get("exp"))}


def last_day(expires) -> str | None:
    """The last day an attestation holds (its `exp` is the first instant it no longer does)."""
    instant = _instant(expires - 1) if isinstance(expires, (int, float)) and not isinstance(expires, bool) else None
    return instant[:10] if instant else None


# --- checking one ------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    """What a check found: whether the attestation is genuine (signed by a key of the platform that was not
    withdrawn, as issued), whether it still holds (genuine and not expired), and why not."""
    genuine: bool
    holds: bool
    reason: str | None = None
    kid: str | None = None
    payload: dict | None = None          # the claims, once they could be read
    fingerprint: str | None = None       # of the payload as it came
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        found = {"genuine": self.genuine, "holds": self.holds,
                 "reason": None if self.reason is None else KINDS[self.reason](**self.params).as_dict(),
                 "key_id": self.kid}
        if self.payload is not None:
            found["attestation"] = human(self.payload)
        return found


def verify(token: str, keys: list[dict], now: datetime, issued=None) -> Verdict:
    """Checks a compact JWS against published keys (`keys`: JWKs with their `status`). `issued(jti)` (where
    the platform answers) is the fingerprint of the payload it signed under that id, so that a changed
    payload reads as altered rather than forged; offline, both read as forged."""
    token = (token or "").strip()
    try:
        if len(token) > MAX_LENGTH:
            raise ValueError("too long")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            header_part, payload_part, _ = token.split(".")
            header = json.loads(_unb64(header_part))
            payload_bytes = _unb64(payload_part)
        payload = json.loads(payload_bytes)
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise ValueError("not objects")
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):  # JSON nested past Python's limit
        return Verdict(False, False, NOT_AN_ATTESTATION)
    kid, printed = header.get("kid"), fingerprint(payload_bytes)
    read = {"kid": kid if isinstance(kid, str) else None, "payload": payload, "fingerprint": printed}
    known = next((each for each in keys if each.get("kid") == kid), None) if isinstance(kid, str) else None
    if known is None:
        return Verdict(False, False, UNKNOWN_KEY, **read)
    if known.get("status") == WITHDRAWN:
        return Verdict(False, False, WITHDRAWN_KEY, **read)
    if not _signed_by(token, known):
        kept = issued(payload.get("jti")) if issued and isinstance(payload.get("jti"), str) else None
        return Verdict(False, False, ALTERED if kept and kept != printed else FORGED, **read)
    expires = payload.get("exp")
    if not isinstance(expires, (int, float)) or now.timestamp() >= expires:
        return Verdict(True, False, EXPIRED, params={"expires_on": last_day(expires) or ""}, **read)
    return Verdict(True, True, **read)


def _signed_by(token: str, jwk: dict) -> bool:
    public = {name: jwk[name] for name in ("kty", "crv", "x") if name in jwk}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            jws.deserialize_compact(token, OKPKey.import_key(public), algorithms=[ALGORITHM])
            return True
        except (JoseError, ValueError, TypeError, KeyError):
            return False


# Who checked an attestation on the platform, as the member reads it: a company or an authority signed in by its
# registered name, the secretariat as itself, someone not signed in as the organisation it said it checks for
# ("said to be": nobody vouches for it), or as no one. A member of the commission is recorded as no one: a
# company must not learn from its proof's checks that the commission looks at it (it hears of a case only once
# the case is found admissible).
STATED = "stated"          # not signed in, and gave the name of whom it checks for
UNNAMED = "unnamed"        # said nothing of who it is: not signed in, or a member of the commission
CHECKER_KINDS = (COMPANY, AUTHORITY, SECRETARIAT, STATED, UNNAMED)
KEPT_CHECKS = 100          # the latest checks kept of each attestation, of each sort (all are counted)
VOUCHED = (COMPANY, AUTHORITY, SECRETARIAT)  # checkers the platform knows: kept apart from what anyone says


def kept_under(by: dict) -> str:
    """Where a check is kept: a known checker's apart from the others', so that anyone holding a proof (its QR
    code is public) cannot push an authority's check out of the latest by checking it a hundred times."""
    return "checks" if by["kind"] in VOUCHED else "said_checks"


def latest_checks(record: dict) -> list[dict]:
    """An attestation's kept checks of both sorts, newest first."""
    return sorted((*(record.get("checks") or []), *(record.get("said_checks") or [])),
                  key=lambda check: check["at"], reverse=True)


def checker(role: str | None, name: str | None = None, said: str | None = None) -> dict:
    """Who made a check, as recorded: `{"kind", "name"}`. `role` and `name` are a signed-in caller's (its
    role, and for a company or an authority its registered name); without a role, `said` is what someone not
    signed in said it checks for. Never a token, an address or anything else of the visitor."""
    if role in (COMPANY, AUTHORITY):
        return {"kind": role, "name": name or None}
    if role == SECRETARIAT:
        return {"kind": role, "name": None}
    if role == COMMISSION:
        return {"kind": UNNAMED, "name": None}
    if role is not None:
        raise ValueError(f"no checker kind for {role!r}")
    said = (said or "").strip()
    return {"kind": STATED, "name": said} if said else {"kind": UNNAMED, "name": None}


def changes(attested: dict, standing: dict | None) -> list[dict]:
    """Which covenant years of the member's standing now differ from what the attestation says, each with
    what it says (`{"covenant_year": 2, "attested": {...} | None}`); a member that is gone, one change with
    neither. Never what holds now: whoever holds a proof, even one long expired, learns that the standing
    changed, not the standing itself (that, a contracting authority asks for, and the member learns who
    asked)."""
    if standing is None:
        return [{"covenant_year": None, "attested": None}]
    then = {each["covenant_year"]: each for each in attested.get("years") or [] if isinstance(each, dict)}
    now = {each["covenant_year"]: each for each in attested_years(standing)}
    return [{"covenant_year": year, "attested": then.get(year)}
            for year in sorted(set(then) | set(now), key=lambda each: (0, each) if isinstance(each, int) else (1, str(each))) if then.get(year) != now.get(year)]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or any(each not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                       for each in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _instant(seconds) -> str | None:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def plain_lines(answer: dict) -> list[str]:
    """A check's answer (`Verdict.as_dict()`, with what the platform adds) in plain English lines, as
    `trustone verify-attestation` prints it."""
    from common import vocabulary  # the covenant's words for how a member reported and its outcome
    reason = answer.get("reason") or {}
    lines = ["Genuine: yes, signed by the platform (key " + str(answer.get("key_id")) + ")." if answer["genuine"]
             else f"Genuine: no. {reason.get('message', '')}".rstrip()]
    statement = answer.get("attestation") or {}
    if answer["holds"]:
        lines.append(f"Still holds: yes, until {statement.get('holds_until')} (inclusive).")
    elif answer["genuine"]:
        lines.append(f"Still holds: no. {reason.get('message', '')}".rstrip())
    else:
        lines.append("Still holds: no.")
    if answer["genuine"] and statement:
        member = statement.get("member") or {}
        lines.append(f"It says: {member.get('name')} ({member.get('id')}) is a member of TruStone since "
                     f"{member.get('since')}; issued {statement.get('issued_at')}.")
        for year in statement.get("years") or []:
            reported = vocabulary.REPORTING_TIMES.label(year["reported"], "en") if year.get("reported") in \
                vocabulary.REPORTING_TIMES else year.get("reported")
            outcome = vocabulary.OUTCOMES.label(year["outcome"], "en") if year.get("outcome") in \
                vocabulary.OUTCOMES else "none yet"
            on = f", on {year['reported_on']}" if year.get("reported_on") else ""
            lines.append(f"  covenant year {year.get('covenant_year')}: {reported}{on} (the date that counted: "
                         f"{year.get('deadline')}); outcome: {outcome}.")
    if "standing_changed" in answer:
        lines.append("The member's standing has changed since it was issued." if answer["standing_changed"]
                     else "The member's standing is unchanged since it was issued.")
    elif answer["genuine"]:
        lines.append("Whether the member's standing changed since can be checked on the platform only.")
    return lines
