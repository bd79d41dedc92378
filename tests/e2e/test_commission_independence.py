"""End to end, issue 24's first attack over separate processes on the real RabbitMQ: the secretariat, with
its own token alone, can neither seat a member of the commission (and so read, through one, the identity a
complainant kept from it) nor replace a real member's code. The chair confirms seats; every replaced code
is told to its owner; every reading of a filer's identity is in the chair's trail; the first chair is
appointed once, at deployment; and a replay rebuilds who sits on the commission and the notices of
replaced codes."""
import email.header
import subprocess

import pytest
import requests

from tests.support import (CHAIR, SECRETARIAT_TOKEN, TRUSTONE, Platform, appoint_chair, auth, register_company,
                           wait_until)

pytestmark = pytest.mark.e2e
SECRETARIAT = auth(SECRETARIAT_TOKEN)
KEPT_FROM_THE_SECRETARIAT = {"kind": "complaint", "party": "Groeve Ongole", "language": "en",
                             "what_happened": "The foreman keeps the workers' passports.",
                             "name": "R. Kumar", "contact": "kumar@example.org"}


@pytest.fixture(scope="module")
def platform(vhost, processes, smtp):
    return Platform(vhost, processes, CLOCK="2021-03-15T09:00:00+00:00", SMTP_HOST="127.0.0.1",
                    SMTP_PORT=str(smtp.port), COMMISSION_EMAIL="commissie@example.org").start_all()


def register_seat(platform, seat, name):
    answer = requests.post(platform.url("submission", "/v1/commission-members"), headers=SECRETARIAT, json={
        "name": name, "seat": seat, "email": f"{seat}@example.org", "language": "en"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def case_as(platform, number, headers):
    """The case as `headers`' caller reads it, once complaints knows the caller's seat (its confirmation
    reaches it as an event)."""
    def read():
        answer = requests.get(platform.url("complaints", f"/v1/cases/{number}"), headers=headers)
        return answer if answer.status_code != 503 else None
    return wait_until(read, f"case {number} as the caller reads it")


def mails_to(smtp, address):
    return [mail for mail in smtp.messages() if mail["To"] == address]


def subject(mail) -> str:
    return str(email.header.make_header(email.header.decode_header(mail["Subject"])))


def test_the_secretariat_alone_cannot_seat_a_member_nor_read_an_identity_through_one(platform, smtp):
    chair = platform.chair()
    filed = requests.post(platform.url("complaints", "/v1/cases"), json=KEPT_FROM_THE_SECRETARIAT)
    number = filed.json()["number"]
    as_secretariat = requests.get(platform.url("complaints", f"/v1/cases/{number}"), headers=SECRETARIAT).json()
    assert "name" not in as_secretariat and "contact" not in as_secretariat

    # the attack: a seat of the secretariat's own making; today's code answered it with a working token
    seat = register_seat(platform, "employers", "A Seat Of Our Own")
    assert "token" not in seat and seat["status"] == "awaiting_confirmation"
    given = requests.post(platform.url("submission", f"/v1/members/{seat['id']}/token"), headers=SECRETARIAT)
    assert given.status_code == 403 and "token" not in given.text, "nor a code for it by the back door"
    listed = requests.get(platform.url("submission", "/v1/commission-members"), headers=SECRETARIAT).json()
    assert all("token" not in each for each in listed)
    assert requests.get(platform.url("complaints", "/v1/identity-readings"), headers=SECRETARIAT).status_code == 403
    assert requests.post(platform.url("submission", f"/v1/commission-members/{seat['id']}/confirmation"),
                         headers=SECRETARIAT).status_code == 403, "the secretariat confirms no seat"

    # the commission hears of the seat waiting; only the chair's confirmation seats it, and gives the code
    def told():
        items = platform.inbox(chair["token"])["items"]
        return [each for each in items if each["kind"] == "commission_seat_awaiting"]
    assert "A Seat Of Our Own" in wait_until(told, "the commission's notice of the seat")[0]["subject"]
    seated = requests.post(platform.url("submission", f"/v1/commission-members/{seat['id']}/confirmation"),
                           headers=auth(chair["token"]))
    assert seated.status_code == 200
    member = auth(seated.json()["token"])
    assert case_as(platform, number, member).json()["name"] == "R. Kumar"

    # every reading of the identity is in the chair's trail, and only the chair reads it
    trail = requests.get(platform.url("complaints", "/v1/identity-readings"), headers=auth(chair["token"])).json()
    assert [(each["number"], each["by"]["role"], each["by"]["id"], each["by"]["name"], each["read"])
            for each in trail["items"]] == [
        (number, "commission", seat["id"], "A Seat Of Our Own", ["name", "contact"]),
        (number, "acknowledgement", None, None, ["contact"])]  # notification, to acknowledge the case
    assert trail["items"][0]["at"].startswith("2021-03-15")
    assert requests.get(platform.url("complaints", "/v1/identity-readings"), headers=member).status_code == 403


def test_every_replaced_code_is_told_and_the_secretariat_cannot_replace_a_commission_members(platform, smtp):
    chair = platform.chair()
    member = platform.commission_member("unions_and_ngos", name="Ineke Vakbond", email="ineke@example.org",
                                        language="en")
    company = register_company(platform.url("submission"), name="Basalt Import B.V.", email="dd@basalt.example",
                               language="nl")

    # the attack: the secretariat replaces a real member's code, silently; refused, the code works on
    refused = requests.post(platform.url("submission", f"/v1/members/{member['id']}/token"), headers=SECRETARIAT)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    assert requests.post(platform.url("submission", f"/v1/members/{chair['id']}/token"),
                         headers=SECRETARIAT).status_code == 403
    assert requests.get(platform.url("submission", "/v1/me"), headers=auth(member["token"])).status_code == 200

    # the chair can, and the member is told, in its language, at its own address, once
    by_chair = requests.post(platform.url("submission", f"/v1/members/{member['id']}/token"),
                             headers=auth(chair["token"]))
    assert by_chair.status_code == 200
    assert requests.get(platform.url("submission", "/v1/me"), headers=auth(member["token"])).status_code == 401
    mail = wait_until(lambda: mails_to(smtp, "ineke@example.org"), "the member's notice by e-mail")[0]
    assert subject(mail) == "Your sign-in code was replaced"
    assert "the chair of the complaints and disputes commission" in mail.get_payload(decode=True).decode()

    # the secretariat replaces a company's code: the company is told, in Dutch
    replaced = requests.post(platform.url("submission", f"/v1/members/{company['id']}/token"), headers=SECRETARIAT)
    assert replaced.status_code == 200
    mail = wait_until(lambda: mails_to(smtp, "dd@basalt.example"), "the company's notice by e-mail")[0]
    assert subject(mail) == "Uw aanmeldcode is vervangen" and "het secretariaat" in mail.get_payload(decode=True).decode()
    inbox = platform.inbox(replaced.json()["token"])["items"]
    assert [each["kind"] for each in inbox] == ["token_replaced"]

    # the member replaces its own; each replacement told once, the commission's shared address never
    own = requests.post(platform.url("submission", f"/v1/members/{member['id']}/token"),
                        headers=auth(by_chair.json()["token"]))
    assert own.status_code == 200
    wait_until(lambda: len(mails_to(smtp, "ineke@example.org")) == 2, "the second notice")
    kinds = [each["kind"] for each in platform.inbox(own.json()["token"])["items"]]
    assert kinds.count("token_replaced") == 2
    assert not [mail for mail in mails_to(smtp, "commissie@example.org") if "sign-in code" in subject(mail)]


def test_the_first_chair_is_appointed_once_at_deployment_and_never_with_the_secretariats_token(platform):
    platform.chair()
    second = subprocess.run([TRUSTONE, "appoint-chair", "--name", "Someone Else", "--email", "else@example.org",
                             "--language", "en"], env=platform.env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 1 and "already" in second.stderr and "shown this once" not in second.stdout
    as_secretariat = requests.post(platform.url("submission", "/v1/commission-members"), headers=SECRETARIAT,
                                   json={**CHAIR, "seat": "chair", "name": "Secretariat's Chair"})
    assert as_secretariat.status_code == 201 and as_secretariat.json()["status"] == "awaiting_confirmation"
    assert "token" not in as_secretariat.json()


def test_the_seats_and_the_notices_of_replaced_codes_are_rebuilt_by_a_replay(platform, smtp):
    chair = platform.chair()
    member = platform.commission_member("employers", name="Wim Werkgever", email="wim@example.org")
    waiting = register_seat(platform, "unions_and_ngos", "Not Yet Seated")
    renewed = requests.post(platform.url("submission", f"/v1/members/{member['id']}/token"),
                            headers=auth(chair["token"])).json()
    wait_until(lambda: mails_to(smtp, "wim@example.org"), "the member's notice")
    before = {each["key"] for each in platform.inbox(renewed["token"])["items"]}
    mailed = len(smtp.messages())

    for consumer in ("notification", "complaints"):  # complaints, a source of cases too, loses them: last
        platform.stop(consumer)
        platform.start(consumer)
        done = subprocess.run([TRUSTONE, "replay", consumer], env=platform.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert "commission_member_registered" in done.stdout and "commission_member_seated" in done.stdout
    wait_until(lambda: {each["key"] for each in platform.inbox(renewed["token"])["items"]} >= before,
               "the member's notices back in its inbox")
    assert len(smtp.messages()) == mailed, "none mailed again"
    filed = requests.post(platform.url("complaints", "/v1/cases"), json=KEPT_FROM_THE_SECRETARIAT).json()
    assert case_as(platform, filed["number"], auth(renewed["token"])).json()["name"] == "R. Kumar", \
        "the seat the chair confirmed sits again"
    listed = requests.get(platform.url("submission", "/v1/commission-members"), headers=auth(chair["token"])).json()
    assert {each["id"]: each["status"] for each in listed}[waiting["id"]] == "awaiting_confirmation"
