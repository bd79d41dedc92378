"""The attestation service in a container: issued over HTTP to the member or the secretariat, checked by
anyone, each refusal with its reason; keys rotated and withdrawn through configuration; an offline check
with only the published keys."""
import base64
import json
import logging

import pytest
import requests
from nameko.testing.services import replace_dependencies

from common import errors
from launcher import cli
from services.attestation import domain
from services.attestation.service import AttestationService
from common.logging import json_formatter
from tests.support import OPERATOR, SECRETARIAT_TOKEN, ApiContract, SettableClock, auth

NOW = "2021-03-01T09:00:00+00:00"
STANDING = {
    "member": {"id": "c-1", "name": "Graniet Import B.V.", "country": "NL", "role": "importer",
               "imports_directly": True, "joined_on": "2019-10-01"},
    "years": [{"covenant_year": 1, "obliged": True, "status": "compliant", "reported_on": "2020-12-01",
               "reported": "on_time", "deadline": "2020-12-31", "outcome": "compliant", "score": 81.5}],
    "upcoming": ["2021-12-31"],
}


class FakeNotification:
    def __init__(self):
        self.standings = {"c-1": json.loads(json.dumps(STANDING))}

    def standing_of(self, company_id):
        if company_id not in self.standings:
            raise errors.NotFound()
        return self.standings[company_id]


class Platform:
    """Attestation containers on one database, each started with the keys its configuration names."""

    def __init__(self, container_factory, config, members):
        self.container_factory, self.config, self.members = container_factory, config, members
        self.clock, self.notification = SettableClock(NOW), FakeNotification()
        members.add("company-token", "company", "c-1", "Graniet Import B.V.")
        members.add("other-token", "company", "c-2", "Steen & Co B.V.")
        members.add("authority-token", "authority", "a-1", "Gemeente Utrecht")
        members.add("commission-token", "commission", "m-1")
        self.container = None

    def start(self, signing=(), withdrawn=()):
        if self.container is not None:
            self.container.stop()
        self.container = self.container_factory(AttestationService, {
            **self.config, "ATTESTATION_SIGNING_KEYS": ",".join(signing),
            "ATTESTATION_WITHDRAWN_KEYS": ",".join(withdrawn)})
        replace_dependencies(self.container, identity=self.members.identity(), notification=self.notification,
                             clock=self.clock)
        self.container.start()


@pytest.fixture
def platform(container_factory, service_config, members):
    return Platform(container_factory, service_config, members)


def issue(url, token="company-token", company="c-1"):
    return requests.post(url("attestation", f"/v1/companies/{company}/attestations"), headers=auth(token))


def check(url, attestation, token=None, **more):
    return requests.post(url("attestation", "/v1/attestations/verification"), json={"attestation": attestation, **more},
                         headers=auth(token) if token else {})


def altered(token, **changes):
    header, payload, signature = token.split(".")
    claims = {**json.loads(base64.urlsafe_b64decode(payload + "==")), **changes}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_issued_to_the_member_checked_by_anyone_each_refusal_with_its_reason(platform, url, tmp_path, capsys):
    platform.start()  # no key configured: the service makes one and keeps it
    contract = ApiContract(requests.get(url("attestation", "/openapi.json")).json())
    assert [issue(url, token).status_code for token in (None, "other-token")] == [401, 404]
    assert [issue(url, token).status_code for token in ("authority-token", "commission-token")] == [403, 403]
    made = issue(url)
    assert made.status_code == 201, made.text
    contract.check("POST", "/v1/companies/{company_id}/attestations", made)
    issued = made.json()
    assert issued["member"] == {"id": "c-1", "name": "Graniet Import B.V.", "since": "2019-10-01"}
    assert issued["holds_until"] == "2021-12-31" and "score" not in json.dumps(issued)
    assert issue(url, SECRETARIAT_TOKEN).status_code == 201

    answer = check(url, issued["attestation"])
    contract.check("POST", "/v1/attestations/verification", answer)
    assert {key: answer.json()[key] for key in ("genuine", "holds", "reason", "standing_changed")} == {
        "genuine": True, "holds": True, "reason": None, "standing_changed": False}

    def reason(attestation):
        return check(url, attestation).json()["reason"]["code"]

    assert reason(altered(issued["attestation"], years=[])) == "altered"
    stranger = domain.signing_key(domain.new_private_key())
    forged = domain.sign(domain.claims(STANDING, platform.clock.now(), issued["id"]), stranger).split(".")
    forged[0] = issued["attestation"].split(".")[0]  # under the platform's key id
    assert reason(".".join(forged)) == "forged"
    assert reason(domain.sign(domain.claims(STANDING, platform.clock.now(), "att-x"), stranger)) == "unknown_key"
    assert reason("not an attestation") == "not_an_attestation"
    header, _, signature = issued["attestation"].split(".")
    nested = base64.urlsafe_b64encode(b'{"member":' + b"[" * 2000 + b"]" * 2000 + b"}").rstrip(b"=").decode()
    assert reason(f"{header}.{nested}.{signature}") == "not_an_attestation", "no 500 for JSON nested deep"
    assert reason("\ufffd\U0001f600." * 100) == "not_an_attestation"
    for refused in ("\x00\x01" * 100, "a" * (domain.MAX_LENGTH + 1)):  # control characters; too long to be one
        answer = check(url, refused)
        assert answer.status_code == 422 and "attestation" in answer.json()["errors"], answer.text
    assert requests.post(url("attestation", "/v1/attestations/verification"), data=b"\xff" * 100,
                         headers={"Content-Type": "application/json"}).status_code == 400
    platform.notification.standings["c-1"]["years"][0]["outcome"] = "needs_more_time"
    changed = check(url, issued["attestation"])
    assert changed.json()["standing_changed"] is True and "needs_more_time" not in changed.text, \
        "that the standing changed, never what it is now: for that an authority asks, and is recorded"
    platform.clock.set("2022-01-01T00:00:00+00:00")
    expired = check(url, issued["attestation"]).json()
    assert (expired["genuine"], expired["holds"], expired["reason"]["code"]) == (True, False, "expired")
    assert expired.get("standing_changed") is None and not expired.get("changes"), \
        "a proof that no longer holds is no window onto the member's standing"
    proof = tmp_path / "proof.jws"
    proof.write_text(issued["attestation"] + "\n")
    keys = url("attestation", "/v1/attestations/keys")  # this machine's: plain http will do
    assert cli.main(["verify-attestation", str(proof), "--keys", keys]) == 1, "offline, by today's clock"
    assert "Still holds: no. It was genuine, but it held only until 2021-12-31." in capsys.readouterr().out
    assert cli.main(["verify-attestation", str(proof), "--keys", "http://keys.example/v1/attestations/keys"]) == 2
    assert "over https only" in capsys.readouterr().err, "keys fetched in the clear could be anyone's"

    listed = requests.get(url("attestation", "/v1/companies/c-1/attestations"), headers=auth("company-token"))
    contract.check("GET", "/v1/companies/{company_id}/attestations", listed)
    counts = {each["id"]: each["verifications"] for each in listed.json()}
    assert counts[issued["id"]] == 3, "each genuine check on the platform, not the altered or forged ones"
    assert requests.get(url("attestation", "/v1/companies/c-1/attestations"),
                        headers=auth("other-token")).status_code == 404


def test_the_member_reads_each_check_by_whom_a_signed_in_caller_as_itself_anyone_else_as_it_said(platform, url):
    platform.start()
    contract = ApiContract(requests.get(url("attestation", "/openapi.json")).json())
    issued = issue(url).json()["attestation"]
    for token, more in (("authority-token", {}), ("other-token", {"checked_by": "Not me"}), (SECRETARIAT_TOKEN, {}),
                        ("commission-token", {}), (None, {"checked_by": "Gemeente Zwolle"}), (None, {})):
        platform.clock.advance(minutes=1)
        answer = check(url, issued, token, **more)
        assert answer.status_code == 200 and answer.json()["holds"], answer.text
    contract.check("POST", "/v1/attestations/verification", answer)
    unknown = check(url, issued, "guessed-token")
    assert unknown.status_code == 401, "a token that is no one's is refused, not taken for someone not signed in"
    contract.check("POST", "/v1/attestations/verification", unknown)
    for said in ("Gemeente\u202eelloZ", "Gemeente\x00Zwolle", "G" * 201, ""):
        refused = check(url, issued, checked_by=said)
        assert refused.status_code == 422 and "checked_by" in refused.json()["errors"], (said, refused.text)

    for reader in ("company-token", SECRETARIAT_TOKEN):
        listed = requests.get(url("attestation", "/v1/companies/c-1/attestations"), headers=auth(reader))
        contract.check("GET", "/v1/companies/{company_id}/attestations", listed)
        shown = listed.json()[0]
        assert shown["verifications"] == 6 and shown["last_verified_at"] == "2021-03-01T09:06:00+00:00"
        assert [(check["at"], check["by"]) for check in shown["checks"]] == [
            ("2021-03-01T09:06:00+00:00", {"kind": "unnamed", "name": None}),
            ("2021-03-01T09:05:00+00:00", {"kind": "stated", "name": "Gemeente Zwolle"}),
            ("2021-03-01T09:04:00+00:00", {"kind": "unnamed", "name": None}),
            ("2021-03-01T09:03:00+00:00", {"kind": "secretariat", "name": None}),
            ("2021-03-01T09:02:00+00:00", {"kind": "company", "name": "Steen & Co B.V."}),
            ("2021-03-01T09:01:00+00:00", {"kind": "authority", "name": "Gemeente Utrecht"})]
        assert "token" not in json.dumps(shown["checks"]) and "Not me" not in listed.text
    assert requests.get(url("attestation", "/v1/companies/c-1/attestations"),
                        headers=auth("authority-token")).status_code == 403, "who checked: the member's to read"


def test_rotation_keeps_old_attestations_verifiable_withdrawal_refuses_them_offline_too(platform, url, tmp_path,
                                                                                       capsys, caplog):
    caplog.set_level(logging.DEBUG)
    old, new = domain.new_private_key(), domain.new_private_key()
    platform.clock = SettableClock()  # today: the offline check reads the real time
    platform.start(signing=[old])
    before = issue(url).json()
    platform.start(signing=[new])  # rotated: the old key is gone from the configuration
    after = issue(url).json()
    assert after["key_id"] != before["key_id"]
    published = requests.get(url("attestation", "/v1/attestations/keys")).json()
    assert {each["kid"]: each["status"] for each in published["keys"]} == {
        before["key_id"]: "retired", after["key_id"]: "current"}
    assert check(url, before["attestation"]).json()["holds"] is True

    keys_file, jws_file = tmp_path / "keys.json", tmp_path / "attestation.jws"
    keys_file.write_text(json.dumps(published))
    jws_file.write_text(before["attestation"])
    assert cli.main(["verify-attestation", str(jws_file), "--keys", str(keys_file)]) == 0
    printed = capsys.readouterr().out
    assert "Genuine: yes" in printed and "Graniet Import B.V." in printed and "meets the requirements" in printed
    jws_file.write_text(altered(before["attestation"], years=[]))
    assert cli.main(["verify-attestation", str(jws_file), "--keys", str(keys_file)]) == 1
    assert "Genuine: no. The signature is not the platform's" in capsys.readouterr().out

    platform.start(signing=[new], withdrawn=[before["key_id"]])
    refused = check(url, before["attestation"]).json()
    assert (refused["genuine"], refused["reason"]["code"]) == (False, "withdrawn_key")
    assert check(url, after["attestation"]).json()["holds"] is True
    withdrawn = requests.get(url("attestation", "/v1/attestations/keys")).json()
    keys_file.write_text(json.dumps(withdrawn))
    jws_file.write_text(before["attestation"])
    assert cli.main(["verify-attestation", str(jws_file), "--keys", str(keys_file)]) == 1
    assert "The key was withdrawn" in capsys.readouterr().out

    # No private key is published, logged or counted anywhere: neither seed, nor the key's `d`.
    shown = [json.dumps(withdrawn)] + [requests.get(url("attestation", path), headers=OPERATOR).text
                                        for path in ("/metrics", "/health", "/openapi.json")]
    assert "trustone_attestation_verifications" in shown[1] and caplog.records, "what is looked through"
    shown += [json_formatter().format(record) for record in caplog.records]
    assert [seed for seed in (old, new) if any(seed.rstrip("=") in each for each in shown)] == []
    assert all(set(each) <= {"kty", "crv", "x", "kid", "alg", "use", "status", "first_used_at"}
               for each in withdrawn["keys"])
