"""The complaints service in a container on the real RabbitMQ: who may do what, every answer as its
OpenAPI document says, and the events it announces."""
import base64
import json

import requests
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.complaints.service import ComplaintsService
from common import network
from tests.support import (OPERATOR, PORTAL_SERVICE_KEY, SECRETARIAT_TOKEN, ApiContract, auth,
                           pdf_with_document_info)

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


class NoAssessments:
    """The scoring service's RPC, knowing no report (an appeal against an unknown version is refused)."""

    def assessment_of_version(self, report_id, version):
        return None


class Members:
    """The submission service's RPC: one member company, c-1 (its registration event not yet heard)."""

    def list_members(self):
        return {"companies": [{"id": "c-1", "name": "Steen B.V."}], "authorities": []}


def test_who_may_do_what_with_a_case(container_factory, service_config, members, publish, capture, url):
    # filings from one address, and wrong follow-up codes per case, are limited: here high enough for every
    # caller of the matrix
    container = container_factory(ComplaintsService, {**service_config, "COMPLAINTS_FILINGS_PER_DAY": 50,
                                                      "COMPLAINTS_FOLLOW_UP_ATTEMPTS": 100})
    replace_dependencies(container, identity=members.identity(), scoring=NoAssessments(), submission=Members())
    container.start()
    received, moved = capture("complaints", "case_received"), capture("complaints", "case_moved")
    members.add("chair-token", "commission", "chair-1")
    members.add("company-token", "company", "c-1")
    members.add("other-token", "company", "c-2")
    members.add("authority-token", "authority", "a-1")
    members.add("member-token", "commission", "member-2")
    with entrypoint_waiter(container, "remember_commission_member"):
        publish("submission", "commission_member_registered", {"member": {
            "id": "chair-1", "name": "Chair", "seat": "chair", "email": "chair@example.org", "language": "nl"},
            "seated": True})
    with entrypoint_waiter(container, "remember_commission_member"):
        publish("submission", "commission_member_registered", {"member": {
            "id": "member-2", "name": "Member", "seat": "employers", "email": "m@example.org", "language": "nl"},
            "seated": True})
    contract = ApiContract(requests.get(url("complaints", "/openapi.json")).json())
    filed = requests.post(url("complaints", "/v1/cases"), json={
        "kind": "complaint", "company_id": "c-1", "what_happened": "No masks in the quarry.", "language": "nl"})
    assert filed.status_code == 201, filed.text
    contract.check("POST", "/v1/cases", filed)
    number, code = filed.json()["number"], filed.json()["follow_up_code"]
    code_header = {"X-Follow-Up-Code": code}
    attached = requests.post(url("complaints", f"/v1/cases/{number}/attachments"), data=PNG, headers=code_header)
    assert attached.status_code == 201 and attached.json()["content_type"] == "image/png"
    assert requests.post(url("complaints", f"/v1/cases/{number}/attachments"), data=b"plain text",
                         headers=code_header).status_code == 422
    progress = requests.get(url("complaints", f"/v1/cases/{number}/progress"), headers=code_header)
    assert progress.status_code == 200 and progress.json()["state"] == "received"
    contract.check("GET", "/v1/cases/{number}/progress", progress)
    assert requests.get(url("complaints", f"/v1/cases/{number}/progress"),
                        headers={"X-Follow-Up-Code": "wrong"}).status_code == 404

    callers = (None, "chair-token", "company-token", "other-token", "authority-token", SECRETARIAT_TOKEN,
               "bad-token", "member-token")
    matrix = {  # public, chair, company concerned, another company, authority, secretariat, bad token, member
        ("GET", "/v1/cases", "/v1/cases"): (401, 200, 200, 200, 403, 200, 401, 200),
        ("GET", f"/v1/cases/{number}", "/v1/cases/{number}"): (401, 200, 404, 404, 403, 200, 401, 200),
        ("POST", f"/v1/cases/{number}/messages", "/v1/cases/{number}/messages"):
            (401, 201, 403, 403, 403, 403, 401, 201),
        # the chair acknowledges the case; the member then tries the chair's step (admissibility): 403
        ("POST", f"/v1/cases/{number}/moves", "/v1/cases/{number}/moves"): (401, 201, 403, 403, 403, 403, 401, 403),
        ("POST", f"/v1/cases/{number}/answers", "/v1/cases/{number}/answers"):
            (401, 403, 404, 404, 403, 403, 401, 403),
        # a report version that is not the company's (here: none is known) is not found
        ("POST", "/v1/appeals", "/v1/appeals"): (401, 403, 404, 404, 403, 403, 401, 403),
        ("GET", "/v1/procedure", "/v1/procedure"): (200,) * 8,
        ("GET", f"/v1/cases/{number}/attachments/{attached.json()['id']}",
         "/v1/cases/{number}/attachments/{attachment_id}"): (401, 200, 403, 403, 403, 403, 401, 200),
        # who read a filer's identity: the chair's to read, no one else's
        ("GET", "/v1/identity-readings", "/v1/identity-readings"): (401, 200, 403, 403, 403, 403, 401, 403),
        # a complaint opens no report: only an appeal's case shows the version it contests, to the commission
        ("GET", f"/v1/cases/{number}/report", "/v1/cases/{number}/report"): (401, 404, 403, 403, 403, 403, 401, 404),
        ("GET", f"/v1/cases/{number}/report/files/f-1", "/v1/cases/{number}/report/files/{file_id}"):
            (401, 404, 403, 403, 403, 403, 401, 404),
        # without its follow-up code, a case's progress is no one's, whatever token is shown
        ("GET", f"/v1/cases/{number}/progress", "/v1/cases/{number}/progress"): (404,) * 8,
        ("POST", f"/v1/cases/{number}/information", "/v1/cases/{number}/information"): (404,) * 8,
        ("POST", f"/v1/cases/{number}/attachments", "/v1/cases/{number}/attachments"): (404,) * 8,
        # anyone may file, with or without a token: the filing is the filer's, never the token's
        ("POST", "/v1/cases", "/v1/cases"): (201,) * 8,
        ("POST", "/replays", "/replays"): (401, 403, 403, 403, 403, 200, 401, 403),
        ("GET", "/health", "/health"): (200,) * 8,
        ("GET", "/metrics", "/metrics"): (401,) * 8,  # for operators only: none of these holds their token
        ("GET", "/openapi.json", "/openapi.json"): (200,) * 8,
    }
    documented = {(method.upper(), path) for path, operations in contract.document["paths"].items()
                  for method in operations}
    assert documented == {(method, template) for method, _, template in matrix}, "every endpoint in the matrix"
    bodies = {"messages": {"to": "filer", "text": "We are looking into it."}, "information": {"text": "More."},
              "moves": {"to": "acknowledged", "reason": "Received and read."},
              "answers": {"text": "We disagree."},
              "appeals": {"report_id": "r-unknown", "version": 1, "criteria": ["plan_of_approach"],
                          "reasons": "It was attached."},
              "cases": {"kind": "dispute", "what_happened": "The gate is locked.", "language": "en"},
              "replays": {"consumer": "reporting"}}
    for (method, path, template), expected in matrix.items():
        for token, status in zip(callers, expected):
            body = bodies.get(path.rsplit("/", 1)[-1]) if method == "POST" else None
            if path.endswith("/moves") and token == "chair-token":
                body = bodies["moves"]
            elif path.endswith("/moves") and token == "member-token":
                body = {"to": "admissibility_decided", "admissible": True, "reason": "Not my seat's step."}
            if path.endswith("/attachments"):
                answer = requests.post(url("complaints", path), data=PNG, headers=auth(token) if token else {})
            else:
                answer = requests.request(method, url("complaints", path), json=body,
                                          headers=auth(token) if token else {})
            assert answer.status_code == status, (method, path, token, answer.text)
            if template not in ("/metrics",):
                contract.check(method, template, answer)
    listed = requests.get(url("complaints", "/v1/cases"), headers=auth("company-token")).json()
    assert listed == [], "the company learns of the case only once it is found admissible"
    assert [each["data"]["number"] for each in received.wait_for(1)] == [number]
    assert [each["data"]["to_state"] for each in moved.wait_for(1)] == ["acknowledged"]
    shown = requests.get(url("complaints", f"/v1/cases/{number}"), headers=auth(SECRETARIAT_TOKEN)).json()
    assert "what_happened" not in shown and "name" not in shown
    refused = requests.post(url("complaints", f"/v1/cases/{number}/moves"), headers=auth("member-token"),
                            json={"to": "admissibility_decided", "admissible": True, "reason": "Not mine."})
    assert refused.json()["error"] == {"code": "FORBIDDEN",
                                       "message": "Only the chair may move a case that is acknowledged.",
                                       "problem": {"code": "seat_not_allowed", "seats": ["chair"],
                                                   "state": "acknowledged",
                                                   "message": "Only the chair may move a case that is acknowledged."}}


def test_a_seat_takes_part_once_confirmed_and_every_reading_of_an_identity_is_in_the_chairs_trail(
        container_factory, service_config, members, publish, url):
    container = container_factory(ComplaintsService, service_config)
    replace_dependencies(container, identity=members.identity())
    container.start()
    members.add("chair-token", "commission", "chair-1")
    members.add("newcomer-token", "commission", "member-3")
    chair = {"id": "chair-1", "name": "Anna Voorzitter", "seat": "chair", "email": "chair@example.org",
             "language": "nl"}
    newcomer = {"id": "member-3", "name": "Nieuw Lid", "seat": "unions_and_ngos", "email": "n@example.org",
                "language": "en"}
    from common.events import new_event
    with entrypoint_waiter(container, "remember_commission_member"):  # v1, from a submission not yet upgraded
        publish("submission", "commission_member_registered", wire=new_event(
            "commission_member_registered", {"member": chair}, producer="submission", correlation_id="test",
            schema_version=1).to_wire())
    with entrypoint_waiter(container, "remember_commission_member"):
        publish("submission", "commission_member_registered", {"member": newcomer, "seated": False})
    filed = requests.post(url("complaints", "/v1/cases"), json={
        "kind": "complaint", "party": "A quarry", "what_happened": "No masks.", "language": "nl",
        "name": "A. Arbeider", "contact": "+31 6 12345678"}).json()
    case = url("complaints", f"/v1/cases/{filed['number']}")
    assert requests.get(case, headers=auth("newcomer-token")).status_code == 503, "not seated as heard yet"
    with entrypoint_waiter(container, "remember_seated_member"):
        publish("submission", "commission_member_seated", {"member": newcomer, "seated_by": "chair-1",
                                                           "seated_at": "2021-03-01T10:00:00+00:00"})
    assert requests.get(case, headers=auth("newcomer-token")).json()["name"] == "A. Arbeider"
    assert requests.get(case, headers=auth("chair-token")).json()["contact"] == "+31 6 12345678"

    trail = requests.get(url("complaints", "/v1/identity-readings"), headers=auth("chair-token"))
    ApiContract(requests.get(url("complaints", "/openapi.json")).json()).check(
        "GET", "/v1/identity-readings", trail)
    assert [(each["number"], each["by"]["name"], each["by"]["seat"], each["read"]) for each in trail.json()["items"]] \
        == [(filed["number"], "Anna Voorzitter", "chair", ["name", "contact"]),
            (filed["number"], "Nieuw Lid", "unions_and_ngos", ["name", "contact"])]
    assert requests.get(url("complaints", "/v1/identity-readings"),
                        headers=auth("newcomer-token")).status_code == 403
    bad = requests.get(url("complaints", "/v1/identity-readings?page=0"), headers=auth("chair-token"))
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["page"]


def test_filings_are_limited_per_client_whatever_it_writes_in_its_headers(container_factory, service_config, url):
    container = container_factory(ComplaintsService, {**service_config, "COMPLAINTS_FILINGS_PER_DAY": 5})
    container.start()
    case = {"kind": "dispute", "what_happened": "The quarry's gate is locked.", "language": "en"}

    def file(headers):
        return requests.post(url("complaints", "/v1/cases"), json=case, headers=headers)

    # Seven filings, each naming another client in X-Forwarded-For: no proxy is trusted unless an operator
    # names one (TRUSTED_PROXIES), so the header is not believed and all come from this one client.
    told = [file({"X-Forwarded-For": f"198.51.100.{place}"}) for place in range(7)]
    assert [each.status_code for each in told] == [201] * 5 + [429] * 2
    refused = told[-1]
    assert "Too many cases" in refused.json()["error"]["message"]
    assert 23 * 3600 < int(refused.headers["Retry-After"]) <= 24 * 3600, "the first filing frees a place in a day"
    # Nor can a client on this machine pass for the portal: its vouching needs the key the portal holds.
    assert file(network.vouch("a-guessed-key", "203.0.113.50")).status_code == 429
    copied = {**network.vouch(PORTAL_SERVICE_KEY, "203.0.113.50"), network.CLIENT_HEADER: "203.0.113.51"}
    assert file(copied).status_code == 429, "a proof holds only for the address it was made for"
    # The portal's own word (made with the key) counts per person it acts for.
    assert file(network.vouch(PORTAL_SERVICE_KEY, "203.0.113.50")).status_code == 201


def test_case_numbers_are_taken_in_any_case_and_follow_up_codes_as_people_type_them(container_factory, service_config,
                                                                                   url):
    container = container_factory(ComplaintsService, {**service_config, "COMPLAINTS_FOLLOW_UP_ATTEMPTS": 3,
                                                      "COMPLAINTS_FOLLOW_UP_ALERT": 4})
    container.start()
    filed = requests.post(url("complaints", "/v1/cases"), json={
        "kind": "dispute", "what_happened": "The gate is locked.", "language": "en"}).json()
    number, code = filed["number"], filed["follow_up_code"]
    typed = {"X-Follow-Up-Code": code.lower().replace("-", " ")}
    progress = requests.get(url("complaints", f"/v1/cases/{number.lower()}/progress"), headers=typed)
    assert progress.status_code == 200 and progress.json()["number"] == number
    other = requests.post(url("complaints", "/v1/cases"), json={
        "kind": "dispute", "what_happened": "And another gate.", "language": "en"}).json()
    # Guesses from one address (here, whatever it writes in X-Forwarded-For: no proxy is trusted)
    guesses = [requests.get(url("complaints", f"/v1/cases/{other['number']}/progress"),
                            headers={"X-Follow-Up-Code": f"{place:04d}-AAAA-AAAA-AAAA-AAAA",
                                     "X-Forwarded-For": f"198.51.100.{place}"}).status_code
               for place in range(5)]
    assert guesses == [404, 404, 404, 429, 429], "guesses at one case from one address are limited"
    held = requests.get(url("complaints", f"/v1/cases/{other['number'].lower()}/progress"),
                        headers={"X-Follow-Up-Code": other["follow_up_code"]})
    assert held.status_code == 429 and 3500 < int(held.headers["Retry-After"]) <= 3600
    # The filer, through the portal (which vouches for the address it acts for), is not held up by them.
    from_elsewhere = requests.get(url("complaints", f"/v1/cases/{other['number']}/progress"),
                                  headers={"X-Follow-Up-Code": other["follow_up_code"],
                                           **network.vouch(PORTAL_SERVICE_KEY, "203.0.113.7")})
    assert from_elsewhere.status_code == 200, from_elsewhere.text
    assert requests.get(url("complaints", f"/v1/cases/{number}/progress"), headers=typed).status_code == 200, \
        "another case is not held up"
    # A fourth and fifth wrong code for the case (from other addresses) pass COMPLAINTS_FOLLOW_UP_ALERT: counted.
    for place in (50, 51):
        assert requests.get(url("complaints", f"/v1/cases/{other['number']}/progress"), headers={
            "X-Follow-Up-Code": "0000-AAAA-AAAA-AAAA-AAAA",
            **network.vouch(PORTAL_SERVICE_KEY, f"203.0.113.{place}")}).status_code == 404
    metrics = requests.get(url("complaints", "/metrics"), headers=OPERATOR).text
    assert "trustone_follow_up_codes_guessed_total 2.0" in metrics, metrics[-2000:]


def test_text_that_is_not_text_is_refused(container_factory, service_config, url):
    container = container_factory(ComplaintsService, service_config)
    container.start()
    case = {"kind": "complaint", "what_happened": "Line one.\nLine two.", "language": "nl"}
    for field, value in (("party", "Steen\u202eB.V."), ("party", "Steen\x00B.V."), ("party", "Steen\nB.V."),
                         ("what_happened", "Mijn \u202eklacht"), ("what_happened", "nul\x00byte")):
        answer = requests.post(url("complaints", "/v1/cases"), json={"party": "Steen B.V.", **case, field: value})
        assert answer.status_code == 422 and list(answer.json()["errors"]) == [field], (field, value, answer.text)
    taken = requests.post(url("complaints", "/v1/cases"), json={**case, "party": "Steen B.V."})
    assert taken.status_code == 201, "a long text keeps its line breaks"


def test_a_case_and_its_files_are_filed_in_one_request_or_not_at_all(container_factory, service_config, url):
    container = container_factory(ComplaintsService, service_config)
    container.start()
    case = json.dumps({"kind": "complaint", "party": "A quarry", "what_happened": "Dust.", "language": "nl"})
    refused = requests.post(url("complaints", "/v1/cases"), data={"case": case},
                            files=[("attachments", ("a.png", PNG)), ("attachments", ("b.jpg", b"MZ not a photo"))])
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"attachments": ["File 2 is not a photo (JPEG or PNG) or a PDF."]}
    broken = requests.post(url("complaints", "/v1/cases"), data={"case": "{not json"})
    assert broken.status_code == 400
    as_xml = requests.post(url("complaints", "/v1/cases"), data=case, headers={"Content-Type": "application/xml"})
    assert as_xml.status_code == 415
    filed = requests.post(url("complaints", "/v1/cases"), data={"case": case},
                          files=[("attachments", ("a.png", PNG)), ("attachments", ("c.pdf", pdf_with_document_info()))])
    assert filed.status_code == 201 and filed.json()["number"].endswith("-0001"), "the refused one took no number"
    progress = requests.get(url("complaints", f"/v1/cases/{filed.json()['number']}/progress"),
                            headers={"X-Follow-Up-Code": filed.json()["follow_up_code"]}).json()
    assert [each["content_type"] for each in progress["attachments"]] == ["image/png", "application/pdf"]
    without_files = requests.post(url("complaints", "/v1/cases"), data={"case": case})  # a plain form
    assert without_files.status_code == 201 and without_files.json()["number"].endswith("-0002")
    too_large = requests.post(url("complaints", "/v1/cases"), data={"case": case},
                              files=[("attachments", ("big.pdf", b"%PDF" + bytes(25 * 1024 * 1024)))])
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "BODY_TOO_LARGE"


def test_the_complainants_address_travels_in_no_event_and_is_given_only_to_send_the_acknowledgement(
        container_factory, service_config, capture, url):
    container = container_factory(ComplaintsService, service_config)
    container.start()
    received = capture("complaints", "case_received")
    filed = requests.post(url("complaints", "/v1/cases"), json={
        "kind": "dispute", "party": "A quarry", "what_happened": "The gate is locked.", "language": "en",
        "contact": "worker@example.org"}).json()
    event = received.wait_for(1)[0]
    assert event["schema_version"] == 2 and event["data"]["acknowledgement"] is True
    assert "worker@example.org" not in json.dumps(event)
    with entrypoint_hook(container, "acknowledgement_address") as address_of:
        assert address_of(filed["number"]) == "worker@example.org"
        assert address_of("K-1999-0001") is None
