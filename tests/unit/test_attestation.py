"""Attestations: what one says of a standing and until when (domain), and issuing, checking and counting
them with in-memory ports (use cases)."""
import base64
import hashlib
import hmac
import json
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws

from common import errors
from common.identity import Caller
from services.attestation import domain, usecases
from services.attestation.dependencies import AttestationStore, KeyRing
from tests.support import SettableClock, in_memory

ISSUED = datetime(2021, 3, 1, 9, 0, tzinfo=timezone.utc)


def standing(year_1="compliant", year_2_reported="not_yet_due", upcoming=("2021-12-31",)):
    return {
        "member": {"id": "c-1", "name": "Graniet Import B.V.", "country": "NL", "role": "importer",
                   "imports_directly": True, "joined_on": "2019-10-01"},
        "years": [
            {"covenant_year": 1, "obliged": True, "status": year_1, "reported_on": "2020-12-01",
             "reported": "on_time", "deadline": "2020-12-31", "outcome": year_1, "score": 81.5,
             "latest_version": 1},
            {"covenant_year": 2, "obliged": True, "status": "due", "reported_on": None,
             "reported": year_2_reported, "deadline": "2021-12-31", "outcome": None, "score": None,
             "latest_version": None},
        ],
        "upcoming": list(upcoming),
    }


# --- domain ---------------------------------------------------------------------------------------------

def test_an_attestation_says_who_since_when_and_each_year_due_never_the_score():
    claims = domain.claims(standing(), ISSUED, "att-1")
    assert claims["member"] == {"id": "c-1", "name": "Graniet Import B.V.", "since": "2019-10-01"}
    assert claims["years"] == [{"covenant_year": 1, "reported": "on_time", "reported_on": "2020-12-01",
                                "deadline": "2020-12-31", "outcome": "compliant"}], "year 2 is not yet due"
    assert "score" not in json.dumps(claims)
    assert (claims["iss"], claims["sub"], claims["jti"]) == ("TruStone", "c-1", "att-1")


def test_it_holds_until_the_end_of_the_next_date_that_could_change_the_standing():
    assert domain.expiry(standing(), ISSUED) == datetime(2022, 1, 1, tzinfo=timezone.utc)
    assert domain.human(domain.claims(standing(), ISSUED, "a"))["holds_until"] == "2021-12-31"
    # a catch-up date before it counts first; with nothing coming, a year at most
    assert domain.expiry(standing(upcoming=("2021-04-01", "2021-12-31")), ISSUED) == \
        datetime(2021, 4, 2, tzinfo=timezone.utc)
    assert domain.expiry(standing(upcoming=()), ISSUED) == ISSUED + domain.LONGEST


def keys_of(*keys, withdrawn=()):
    return [{**domain.public_jwk(each), "status": domain.WITHDRAWN if domain.key_id(each) in withdrawn
             else domain.CURRENT} for each in keys]


def with_payload(token, payload):
    header, _, signature = token.split(".")
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_a_check_names_why_an_attestation_is_refused():
    key, other = (domain.signing_key(domain.new_private_key()) for _ in range(2))
    claims = domain.claims(standing(), ISSUED, "att-1")
    token = domain.sign(claims, key)
    published = keys_of(key)
    assert domain.verify(token, published, ISSUED).as_dict()["holds"] is True
    forged = domain.sign(claims, other).split(".")
    forged[0] = token.split(".")[0]  # another key's signature, under our key's id
    assert domain.verify(".".join(forged), published, ISSUED).reason == domain.FORGED
    altered = with_payload(token, {**claims, "years": []})
    assert domain.verify(altered, published, ISSUED).reason == domain.FORGED, "offline: not ours as it stands"
    fingerprint = domain.fingerprint(domain.canonical(claims))
    assert domain.verify(altered, published, ISSUED, {"att-1": fingerprint}.get).reason == domain.ALTERED
    assert domain.verify(domain.sign(claims, other), published, ISSUED).reason == domain.UNKNOWN_KEY
    assert domain.verify(token, keys_of(key, withdrawn={domain.key_id(key)}), ISSUED).reason == domain.WITHDRAWN_KEY
    expired = domain.verify(token, published, datetime(2022, 1, 1, tzinfo=timezone.utc))
    assert (expired.genuine, expired.holds, expired.reason) == (True, False, domain.EXPIRED)
    assert expired.as_dict()["reason"]["message"] == "It was genuine, but it held only until 2021-12-31."
    for junk in ("", "not.a.jws", "a" * 9000, "e30.W10.e30", token.replace(".", "", 1)):
        assert domain.verify(junk, published, ISSUED).reason == domain.NOT_AN_ATTESTATION, junk


def test_none_and_other_algorithms_are_not_believed():
    key = domain.signing_key(domain.new_private_key())
    claims = domain.claims(standing(), ISSUED, "att-1")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": domain.key_id(key)}).encode()).rstrip(b"=")
    unsigned = header.decode() + "." + domain.sign(claims, key).split(".")[1] + "."
    assert domain.verify(unsigned, keys_of(key), ISSUED).reason in (domain.FORGED, domain.NOT_AN_ATTESTATION)


def test_a_header_that_names_another_key_or_algorithm_is_not_believed():
    """Only the key the platform published under the `kid` decides: not an HMAC keyed with the public key, a
    key the header carries (`jwk`), one it points at (`jku`, `x5u`), nor the deprecated "EdDSA" name."""
    key, stranger = (domain.signing_key(domain.new_private_key()) for _ in range(2))
    kid, claims = domain.key_id(key), domain.claims(standing(), ISSUED, "att-1")
    payload = domain.sign(claims, key).split(".")[1]

    def b64(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "kid": kid}).encode())
    mac = hmac.new(keys_of(key)[0]["x"].encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    tried = [f"{header}.{payload}.{b64(mac)}"]
    for extra in ({"jwk": stranger.as_dict(private=False)}, {"jku": "https://elsewhere.example/keys.json"},
                  {"x5u": "https://elsewhere.example/cert.pem"}):
        tried.append(jws.serialize_compact({"alg": domain.ALGORITHM, "kid": kid, **extra},
                                           domain.canonical(claims), stranger, algorithms=[domain.ALGORITHM]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's word on "EdDSA" being deprecated
        tried.append(jws.serialize_compact({"alg": "EdDSA", "kid": kid}, domain.canonical(claims), key,
                                           algorithms=["EdDSA"]))
    assert [domain.verify(each, keys_of(key), ISSUED).reason for each in tried] == [domain.FORGED] * 5
    # even signed with the platform's key, a header asking for an extension nobody knows (`crit`) is refused
    critical = b64(json.dumps({"alg": domain.ALGORITHM, "kid": kid, "crit": ["x-must"], "x-must": 1}).encode())
    raw = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(key.as_dict(private=True)["d"] + "=="))
    signed = b64(raw.sign(f"{critical}.{payload}".encode()))
    assert domain.verify(f"{critical}.{payload}.{signed}", keys_of(key), ISSUED).holds is False


def test_json_nested_past_pythons_limit_is_no_attestation_rather_than_a_crash():
    key = domain.signing_key(domain.new_private_key())
    header, payload, signature = domain.sign(domain.claims(standing(), ISSUED, "att-1"), key).split(".")
    deep = base64.urlsafe_b64encode(('{"member":' + "[" * 2000 + "]" * 2000 + "}").encode()).rstrip(b"=").decode()
    assert len(f"{header}.{deep}.{signature}") < domain.MAX_LENGTH, "short enough to be read"
    for token in (f"{header}.{deep}.{signature}", f"{deep}.{payload}.{signature}"):
        assert domain.verify(token, keys_of(key), ISSUED).reason == domain.NOT_AN_ATTESTATION


def test_it_holds_to_the_last_microsecond_of_its_last_day_in_utc():
    key = domain.signing_key(domain.new_private_key())
    token = domain.sign(domain.claims(standing(), ISSUED, "att-1"), key)
    last = datetime(2021, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert domain.verify(token, keys_of(key), last).holds
    amsterdam = last.astimezone(ZoneInfo("Europe/Amsterdam"))  # 1 January 00:59 there: the same instant
    assert domain.verify(token, keys_of(key), amsterdam).holds
    assert domain.verify(token, keys_of(key), last + timedelta(microseconds=1)).reason == domain.EXPIRED


def test_changes_since_issue_are_named_per_year():
    claims = domain.claims(standing(), ISSUED, "att-1")
    assert domain.changes(claims, standing()) == []
    now = standing(year_1="needs_more_time", year_2_reported="not_reported")
    changed = domain.changes(claims, now)
    assert [(each["covenant_year"], (each["attested"] or {}).get("outcome")) for each in changed] == [
        (1, "compliant"), (2, None)]
    assert "needs_more_time" not in json.dumps(changed) and "not_reported" not in json.dumps(changed), \
        "which years changed, never the standing now: a proof's holder is no contracting authority that asked"


# --- use cases, with in-memory ports --------------------------------------------------------------------------

class FakeNotification:
    def __init__(self):
        self.standings = {"c-1": standing()}

    def standing_of(self, company_id):
        if company_id not in self.standings:
            raise errors.NotFound()
        return self.standings[company_id]


@pytest.fixture
def ports():
    store = in_memory(AttestationStore)
    clock = SettableClock(ISSUED.isoformat())
    keys = KeyRing([domain.new_private_key()], frozenset(), store, clock.now())
    return {"store": store, "keys": keys, "clock": clock, "notification": FakeNotification()}


def test_a_member_issues_its_own_and_anyone_checks_it_counted_for_the_member(ports):
    company = Caller("company", "c-1")
    issued = usecases.issue(company, "c-1", **ports)
    assert issued["member"]["name"] == "Graniet Import B.V." and issued["holds_until"] == "2021-12-31"
    with pytest.raises(errors.NotFound):
        usecases.issue(Caller("company", "c-2"), "c-1", **ports)  # another member's: as if none
    with pytest.raises(errors.NotFound):
        usecases.issue(Caller("secretariat"), "c-9", **ports)
    answer = usecases.verify(issued["attestation"], **ports)
    assert (answer["genuine"], answer["holds"], answer["standing_changed"]) == (True, True, False)
    ports["clock"].advance(days=2)
    usecases.verify(issued["attestation"], **ports)
    listed = usecases.attestations(company, "c-1", store=ports["store"])
    assert [(each["id"], each["verifications"], each["last_verified_at"]) for each in listed] == [
        (issued["id"], 2, datetime(2021, 3, 3, 9, 0, tzinfo=timezone.utc))]
    altered = with_payload(issued["attestation"], {**json.loads(base64.urlsafe_b64decode(
        issued["attestation"].split(".")[1] + "==")), "years": []})
    assert usecases.verify(altered, **ports)["reason"]["code"] == "altered"
    assert usecases.attestations(company, "c-1", store=ports["store"])[0]["verifications"] == 2, \
        "a refused one is not the member's verification"
    assert sorted(ports["store"].attestations.database.list_collection_names()) == ["attestations", "keys"], \
        "a check is counted, and kept as no document of its own that anyone could add without end"


def test_the_check_says_when_the_standing_changed_since(ports):
    issued = usecases.issue(Caller("secretariat"), "c-1", **ports)
    ports["notification"].standings["c-1"] = standing(year_1="needs_more_time")
    answer = usecases.verify(issued["attestation"], **ports)
    assert answer["holds"] and answer["standing_changed"]
    assert answer["changes"] == [{"covenant_year": 1, "attested": issued["years"][0]}]
    assert "needs_more_time" not in json.dumps(answer), "that it changed, not what holds now"


def test_rotation_keeps_earlier_attestations_verifiable_and_withdrawal_refuses_them(ports):
    first = ports["keys"]
    issued = usecases.issue(Caller("company", "c-1"), "c-1", **ports)
    old_key = domain.key_id(first.current)
    rotated = {**ports, "keys": KeyRing([domain.new_private_key()], frozenset(), ports["store"],
                                        ports["clock"].now())}  # the old key left the configuration
    published = usecases.published_keys(keys=rotated["keys"])["keys"]
    assert sorted(each["status"] for each in published) == ["current", "retired"]
    assert all("d" not in each for each in published), "no private part is published"
    assert usecases.verify(issued["attestation"], **rotated)["holds"]
    withdrawn = {**ports, "keys": KeyRing([domain.new_private_key()], frozenset({old_key}), ports["store"],
                                          ports["clock"].now())}
    answer = usecases.verify(issued["attestation"], **withdrawn)
    assert (answer["genuine"], answer["reason"]["code"]) == (False, "withdrawn_key")
    assert answer["reason"]["message"] == "The key was withdrawn: nothing signed with it is believed."


def test_a_withdrawn_key_cannot_be_the_one_that_signs(ports):
    key = domain.new_private_key()
    with pytest.raises(ValueError, match="withdrawn"):
        KeyRing([key], frozenset({domain.key_id(domain.signing_key(key))}), ports["store"], ports["clock"].now())


def test_each_check_is_recorded_for_the_member_as_who_made_it_never_more(ports):
    """A signed-in caller as who it is (a company's or an authority's registered name, the secretariat, the
    commission unnamed); someone not signed in as what it said it checks for, or as no one."""
    issued = usecases.issue(Caller("company", "c-1"), "c-1", **ports)
    checks = [
        (Caller("authority", "a-1", "Gemeente Utrecht"), None),
        (Caller("company", "c-2", "Steen & Co B.V."), "ignored when signed in"),
        (Caller("secretariat"), None),
        (Caller("commission", "m-1", "Jan de Vries"), None),
        (None, "  Gemeente Zwolle, inkoop  "),
        (None, None),
        (None, "   "),
    ]
    for caller, said in checks:
        ports["clock"].advance(minutes=1)
        usecases.verify(issued["attestation"], **ports, caller=caller, checked_by=said)
    listed = usecases.attestations(Caller("secretariat"), "c-1", store=ports["store"])[0]
    assert listed["verifications"] == 7 and listed["last_verified_at"] == ISSUED + timedelta(minutes=7)
    assert [check["by"] for check in listed["checks"]] == [
        {"kind": "unnamed", "name": None}, {"kind": "unnamed", "name": None},
        {"kind": "stated", "name": "Gemeente Zwolle, inkoop"},
        {"kind": "unnamed", "name": None},  # the commission: not told apart from no one
        {"kind": "secretariat", "name": None},
        {"kind": "company", "name": "Steen & Co B.V."},
        {"kind": "authority", "name": "Gemeente Utrecht"}], "newest first, each as who made it"
    assert [check["at"] for check in listed["checks"]] == [ISSUED + timedelta(minutes=n) for n in range(7, 0, -1)]
    assert "Jan de Vries" not in json.dumps(listed, default=str)
    refused = with_payload(issued["attestation"], {"sub": "c-1", "jti": issued["id"]})
    usecases.verify(refused, **ports, caller=None, checked_by="Gemeente Kampen")
    assert len(usecases.attestations(Caller("company", "c-1"), "c-1", store=ports["store"])[0]["checks"]) == 7, \
        "a refused one is no check of the member's proof"


def test_only_the_latest_checks_are_kept_every_one_counted(ports):
    issued = usecases.issue(Caller("company", "c-1"), "c-1", **ports)
    usecases.verify(issued["attestation"], **ports, caller=Caller("authority", "a-1", "Gemeente Utrecht"))
    for number in range(domain.KEPT_CHECKS + 5):
        ports["clock"].advance(seconds=1)
        usecases.verify(issued["attestation"], **ports, checked_by=f"Gemeente {number}")
    listed = usecases.attestations(Caller("company", "c-1"), "c-1", store=ports["store"])[0]
    assert listed["verifications"] == domain.KEPT_CHECKS + 6 and len(listed["checks"]) == domain.KEPT_CHECKS + 1
    assert (listed["checks"][0]["by"]["name"], listed["checks"][-2]["by"]["name"]) == (
        f"Gemeente {domain.KEPT_CHECKS + 4}", "Gemeente 5"), "anyone may check without end: the latest are kept"
    assert listed["checks"][-1]["by"] == {"kind": "authority", "name": "Gemeente Utrecht"}, \
        "what anyone says pushes no known checker's check out"
