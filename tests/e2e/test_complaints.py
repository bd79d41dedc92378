"""End to end, the complaints and disputes platform over separate processes on the real RabbitMQ: an
anonymous complaint with an attachment from filing to decision with its notices; an appeal upheld that
changes an outcome and the figures exactly once; a follow-up code that does not match reads nothing."""
import base64
import io
import json

import pytest
import requests
from nameko.standalone.events import event_dispatcher
from PIL import Image

from common.vocabulary import SERVICES
from tests.support import (SECRETARIAT_TOKEN, EventCapture, Platform, auth, blank_report, form_token, photo_with_gps,
                           register_company, take_step, wait_until, with_steps_1_and_21)

pytestmark = pytest.mark.e2e
SECRETARIAT = auth(SECRETARIAT_TOKEN)
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def platform(vhost, processes, smtp):
    # behind an operator's proxy on this machine (TRUSTED_PROXIES), which names each client in X-Forwarded-For
    return Platform(vhost, processes, CLOCK="2020-12-15T09:00:00+00:00", SMTP_HOST="127.0.0.1",
                    SMTP_PORT=str(smtp.port), COMMISSION_EMAIL="commissie@example.org",
                    MIN_COMPANIES_PER_CELL="1",  # one company's figures shown: what is counted
                    TRUSTED_PROXIES="127.0.0.1/32").start_all()


def commission_member(platform, seat):
    """A member's headers: the chair appointed at deployment, or a seat the secretariat registered and the
    chair confirmed."""
    return auth(platform.commission_member(seat)["token"])


def inbox_kinds(platform, headers):
    return [each["kind"] for each in requests.get(platform.url("notification", "/v1/notices"),
                                                  headers=headers).json()["items"]]


def test_an_anonymous_complaint_with_an_attachment_goes_from_filing_to_decision(platform, smtp):
    company = register_company(platform.url("submission"), name="Graniet Import B.V.", language="nl")
    company_headers = auth(company["token"])
    chair, member = commission_member(platform, "chair"), commission_member(platform, "employers")
    case = {"kind": "complaint", "company_id": company["id"], "language": "en", "where": "Ongole, India",
            "when": "March 2021", "what_happened": "The workers at the cutting hall have no masks; the dust is thick."}
    filed = requests.post(platform.url("complaints", "/v1/cases"),  # the case and its photo in one form
                          data={"case": json.dumps(case)}, files={"attachments": ("hall.png", PNG)})
    assert filed.status_code == 201, filed.text
    number, code = filed.json()["number"], {"X-Follow-Up-Code": filed.json()["follow_up_code"]}

    def commission_alerted():
        return "case_received" in inbox_kinds(platform, chair)
    wait_until(commission_alerted, "the commission's alert of the new case")
    # the notice is stored first, then mailed: the mail may come a moment after the inbox shows it
    wait_until(lambda: any(mail["To"] == "commissie@example.org" for mail in smtp.messages()),
               "the commission's alert mailed")

    take_step(platform, member, number, "acknowledged")
    take_step(platform, chair, number, "admissibility_decided", admissible=True, share_with_company=True)

    def company_told():
        return "case_admissible" in inbox_kinds(platform, company_headers)
    wait_until(company_told, "the company's notice that the case is admissible")
    shown = requests.get(platform.url("complaints", f"/v1/cases/{number}"), headers=company_headers).json()
    assert shown["what_happened"].startswith("The workers") and "name" not in shown and "contact" not in shown
    assert requests.post(platform.url("complaints", f"/v1/cases/{number}/answers"), headers=company_headers,
                         json={"text": "Masks were ordered in February."}).status_code == 201
    requests.post(platform.url("complaints", f"/v1/cases/{number}/messages"), headers=chair,
                  json={"to": "filer", "text": "The company answered; we will visit."}).raise_for_status()
    take_step(platform, chair, number, "in_mediation")
    take_step(platform, member, number, "decided", decision={"summary": "Masks and dust extraction within a month."})
    take_step(platform, chair, number, "closed")

    progress = requests.get(platform.url("complaints", f"/v1/cases/{number}/progress"), headers=code).json()
    assert [each["state"] for each in progress["steps"]] == [
        "received", "acknowledged", "admissibility_decided", "in_mediation", "decided", "closed"]
    assert [each["text"] for each in progress["messages"]] == ["The company answered; we will visit."]
    assert [each["content_type"] for each in progress["attachments"]] == ["image/png"]
    photo = requests.get(platform.url("complaints", f"/v1/cases/{number}/attachments/"
                                                    f"{progress['attachments'][0]['id']}"), headers=chair)
    assert (photo.status_code, photo.headers["Content-Type"]) == (200, "image/png")
    kept, sent = Image.open(io.BytesIO(photo.content)), Image.open(io.BytesIO(PNG))
    assert (kept.size, kept.getpixel((0, 0))) == (sent.size, sent.getpixel((0, 0))), \
        "the picture as sent (drawn again from its pixels, without what the file said besides)"

    def decision_told():
        return "case_decided" in inbox_kinds(platform, company_headers)
    wait_until(decision_told, "the company's notice of the decision")
    assert inbox_kinds(platform, company_headers).count("case_admissible") == 1
    history = requests.get(platform.url("complaints", f"/v1/cases/{number}"), headers=chair).json()["history"]
    assert [(each["to"], each["by"].get("seat")) for each in history][-1] == ("closed", "chair")


def test_a_complainant_that_gave_an_address_gets_its_acknowledgement(platform, smtp):
    filed = requests.post(platform.url("complaints", "/v1/cases"), json={
        "kind": "dispute", "party": "Natuursteen Federatie", "language": "nl", "contact": "melder@example.org",
        "what_happened": "De federatie houdt zich niet aan de afspraak over de monitoring."})
    number = filed.json()["number"]

    def acknowledged():
        return [mail for mail in smtp.messages() if mail["To"] == "melder@example.org"]
    mail = wait_until(acknowledged, "the acknowledgement to the complainant")[0]
    assert number in mail.get_payload(decode=True).decode()


def test_a_follow_up_code_that_does_not_match_reads_nothing(platform):
    filed = requests.post(platform.url("complaints", "/v1/cases"), json={
        "kind": "secretariat_matter", "language": "nl", "what_happened": "Mijn vraag bleef onbeantwoord."}).json()
    for code in ("", "a-guess", filed["follow_up_code"][:-2] + "zz"):
        headers = {"X-Follow-Up-Code": code}
        for method, path, body in (("GET", "progress", None), ("POST", "information", {"text": "More."})):
            answer = requests.request(method, platform.url("complaints", f"/v1/cases/{filed['number']}/{path}"),
                                      headers=headers, json=body)
            assert answer.status_code == 404 and filed["number"] not in answer.text
        assert requests.post(platform.url("complaints", f"/v1/cases/{filed['number']}/attachments"), data=PNG,
                             headers=headers).status_code == 404


def test_an_appeal_upheld_changes_the_outcome_and_the_figures_exactly_once(platform):
    company = register_company(platform.url("submission"), name="Leisteen Import B.V.")
    headers = auth(company["token"])
    chair = commission_member(platform, "chair")
    before = platform.figures()
    # the plan went to the secretariat by e-mail; a photo of it goes with the report as a file
    plan = requests.post(platform.url("submission", "/v1/reports/files"), headers=headers, data=photo_with_gps())
    assert plan.status_code == 201, plan.text
    accepted = requests.post(platform.url("submission", "/v1/reports"), headers=headers, json={
        **with_steps_1_and_21(blank_report(1)), "plan_of_approach_file": plan.json()["id"]}).json()  # no plan ticked

    def assessed():
        answer = requests.get(platform.url("scoring", f"/v1/reports/{accepted['id']}/assessment"), headers=headers)
        return answer.status_code == 200 and answer.json()
    assert wait_until(assessed, "the report's assessment")["outcome"] == "needs_more_time"

    appeal = requests.post(platform.url("complaints", "/v1/appeals"), headers=headers, json={
        "report_id": accepted["id"], "version": 1, "criteria": ["plan_of_approach"],
        "reasons": "Our plan of approach went by e-mail to the secretariat on 1 December."})
    assert appeal.status_code == 201, appeal.text
    number = appeal.json()["number"]
    # the commission reads the contested version's file through the appeal's case (RPC to submission)
    contested = wait_until(lambda: (answer := requests.get(platform.url("complaints", f"/v1/cases/{number}/report"),
                                                           headers=chair)).status_code == 200 and answer.json(),
                           "the chair's registration to reach complaints")
    assert [each["id"] for each in contested["files"]] == [plan.json()["id"]]
    read = requests.get(platform.url("complaints", f"/v1/cases/{number}/report/files/{plan.json()['id']}"),
                        headers=chair)
    assert read.status_code == 200 and read.headers["Content-Type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(read.content)).getexif(), "without the phone's EXIF (GPS)"
    assert requests.get(platform.url("complaints", f"/v1/cases/{number}/report/files/{plan.json()['id']}"),
                        headers=SECRETARIAT).status_code == 403
    moved = EventCapture(platform.amqp_uri, "complaints", "case_moved")
    before_appeal = platform.figures(2)  # filed on the platform's clock, 15 December 2020: covenant year 2
    take_step(platform, chair, number, "acknowledged")
    take_step(platform, chair, number, "admissibility_decided", admissible=True)
    take_step(platform, chair, number, "in_investigation")
    take_step(platform, chair, number, "decided", decision={"outcome": "upheld", "corrections": [
        {"code": "plan_of_approach", "met": True, "why": "The plan reached the secretariat in time."}]})

    def corrected():
        figures = platform.figures()
        return figures["outcomes"]["compliant"] == before["outcomes"]["compliant"] + 1 and figures
    figures = wait_until(corrected, "the corrected outcome in the figures")
    assert figures["assessed_reports"] == before["assessed_reports"] + 1
    assert figures["outcomes"]["needs_more_time"] == before["outcomes"]["needs_more_time"]
    latest = requests.get(platform.url("scoring", f"/v1/reports/{accepted['id']}/assessment"), headers=headers).json()
    assert latest["outcome"] == "compliant"

    decided = moved.wait_for(4)[-1]
    # the decision handled everywhere first: notification told the company, reporting counted the appeal
    wait_until(lambda: "case_decided" in inbox_kinds(platform, headers), "the company's notice of the decision")
    year = decided["data"]["covenant_year"]  # cases count in the covenant year they were filed in
    assert year == 2, "filed on 15 December 2020: the baseline above is year 2's"
    upheld_before = before_appeal["cases"]["appeals_upheld"]
    wait_until(lambda: platform.figures(year)["cases"]["appeals_upheld"] == upheld_before + 1,
               "the upheld appeal in the figures")
    figures = platform.figures()
    applied = platform.metric("reporting", "trustone_contributions_applied_total", '{covenant_year="1"}')
    handlers = {"scoring": "apply_appeal_decision", "reporting": "count_case_step",
                "notification": "announce_case_step"}

    def handled():
        return {service: platform.metric(service, "trustone_entrypoint_calls_total",
                                         f'{{entrypoint="{entrypoint}",outcome="ok"}}')
                for service, entrypoint in handlers.items()}
    before_redelivery = handled()
    case_figures = platform.figures(year)
    event_dispatcher({"AMQP_URI": platform.amqp_uri})("complaints", "case_moved", decided)  # redelivered

    def redelivery_handled():
        return all(handled()[service] == before_redelivery[service] + 1 for service in handlers)
    wait_until(redelivery_handled, "the redelivered decision to reach scoring, reporting and notification")
    assert platform.figures() == figures and platform.figures(year) == case_figures
    assert platform.metric("reporting", "trustone_contributions_applied_total", '{covenant_year="1"}') == applied
    kinds = inbox_kinds(platform, headers)
    assert kinds.count("now_compliant") == 1 and kinds.count("case_decided") == 1
    proof = requests.get(platform.url("reporting", "/v1/sector/1/proof"), headers=SECRETARIAT).json()
    assert proof["agrees"], proof["differences"]
    moved.close()


def test_a_case_filed_through_the_portal_or_the_api_leaves_its_filers_address_in_no_log_of_any_service(
        platform, processes):
    address = "198.51.100.10"
    through_proxy = {"X-Forwarded-For": address}
    filer = requests.Session()
    page = filer.get(platform.url("portal", "/complaints/new"), headers=through_proxy)
    filed = filer.post(platform.url("portal", "/complaints/new"), headers=through_proxy, data={
        "csrf_token": form_token(page.text), "kind": "complaint", "party": "Steengroeve Noord", "language": "nl",
        "what_happened": "De arbeiders hebben geen mondkapjes."},
        files=[("attachments", ("photo.jpg", photo_with_gps(), "image/jpeg"))])
    assert filed.status_code == 200, filed.text
    by_api = requests.post(platform.url("complaints", "/v1/cases"), headers=through_proxy, json={
        "kind": "dispute", "party": "Steengroeve Zuid", "language": "en", "what_happened": "The gate is locked."})
    assert by_api.status_code == 201
    number = by_api.json()["number"]
    chair = commission_member(platform, "chair")
    wait_until(lambda: number in json.dumps(requests.get(platform.url("notification", "/v1/notices"),
                                                         headers=chair).json()),
               "the commission's alert of the case (every service has done its part)")
    assert "POST /complaints/new HTTP" in processes.log("portal") and "POST /v1/cases HTTP" in \
        processes.log("complaints"), "the access lines are written, without whom they served"
    assert {name: processes.log(name).count(address) for name in SERVICES} == {name: 0 for name in SERVICES}
