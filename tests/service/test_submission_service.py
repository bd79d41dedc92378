"""The submission service in a container: members, tokens, report versions, events, the outbox relay."""
from unittest import mock

import pytest
import requests
from nameko.testing.services import entrypoint_hook, replace_dependencies

from common.auth import token_hash
from common.messaging import Publisher
from services.submission.service import SubmissionService
from tests.support import COMPANY, SECRETARIAT_TOKEN, EventCapture, FakeScoring, auth



@pytest.fixture
def submission(container_factory, service_config, url):
    container = container_factory(SubmissionService, {**service_config, "OUTBOX_GRACE_SECONDS": 0})
    replace_dependencies(container, scoring=FakeScoring())
    container.start()
    return container


def register(url, body=None, token=SECRETARIAT_TOKEN):
    return requests.post(url("submission", "/v1/companies"), json=body or COMPANY, headers=auth(token))


def test_the_secretariat_registers_a_company_which_gets_its_token_once(submission, url, capture):
    registered = capture("submission", "company_registered")
    created = register(url)
    assert created.status_code == 201
    company = created.json()
    assert {key: company[key] for key in COMPANY} == COMPANY
    assert len(company["token"]) >= 40
    event = registered.wait_for(1)[0]
    assert event["data"]["company"] == {key: company[key] for key in ("id", *COMPANY)}
    listed = requests.get(url("submission", "/v1/companies"), headers=auth(SECRETARIAT_TOKEN)).json()
    assert [each["id"] for each in listed] == [company["id"]]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    with entrypoint_hook(submission, "identify") as identify:
        assert identify(token_hash(company["token"])) == {"role": "company", "id": company["id"],
                                                          "name": company["name"]}
        assert identify(token_hash("guess")) is None


def test_reports_are_versioned_and_announced(submission, url, capture, report):
    submitted = capture("submission", "report_submitted")
    company = register(url).json()
    token = company["token"]
    first = requests.post(url("submission", "/v1/reports"), json=report, headers=auth(token))
    assert first.status_code == 202
    assert first.json()["version"] == 1 and first.json()["previous_version"] is None
    report["plan_of_approach"] = False
    second = requests.post(url("submission", "/v1/reports"), json=report, headers=auth(token)).json()
    assert (second["id"], second["version"], second["previous_version"]) == (first.json()["id"], 2, 1)
    events = submitted.wait_for(2)
    assert [(each["data"]["version"], each["data"]["previous_version"]) for each in events] == [(1, None), (2, 1)]
    assert events[1]["data"]["company"]["id"] == company["id"]
    assert events[1]["data"]["report"] == report
    shown = requests.get(url("submission", f"/v1/reports/{second['id']}"), headers=auth(token)).json()
    assert [each["version"] for each in shown["versions"]] == [1, 2]
    assert shown["report"] == report and shown["latest_version"] == 2


def test_an_invalid_report_is_refused_with_every_fault_and_changes_nothing(submission, url, capture, report):
    submitted = capture("submission", "report_submitted")
    token = register(url).json()["token"]
    report["supply_chain"]["factories"] = {"known": 13, "total": 12}
    report["production_countries"] = ["IN", "XX"]
    report["company_id"] = "someone-else"
    refused = requests.post(url("submission", "/v1/reports"), json=report, headers=auth(token))
    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "supply_chain.factories.known": ["Must not exceed total."],
        "production_countries.1": ["Not an ISO 3166-1 alpha-2 country code: 'XX'."],
        "company_id": ["Unknown field."],
    }
    assert refused.json()["problems"] == {
        "supply_chain.factories.known": [{"code": "exceeds_total", "message": "Must not exceed total."}],
        "production_countries.1": [{"code": "country", "value": "XX",
                                    "message": "Not an ISO 3166-1 alpha-2 country code: 'XX'."}],
        "company_id": [{"code": "unknown_field", "message": "Unknown field."}],
    }
    assert requests.get(url("submission", "/v1/reports"), headers=auth(token)).json() == []
    assert submitted.nothing_waiting()


def test_a_year_without_a_framework_is_refused(submission, url, report):
    token = register(url).json()["token"]
    report["covenant_year"] = 9
    refused = requests.post(url("submission", "/v1/reports"), json=report, headers=auth(token))
    assert refused.status_code == 422
    assert refused.json()["errors"]["covenant_year"] == [
        "No assessment framework for covenant year 9 (frameworks exist for year 1, 2)."]
    assert refused.json()["problems"]["covenant_year"][0]["code"] == "no_framework"


def test_an_event_the_broker_did_not_take_is_published_by_the_relay(submission, url, capture, report):
    submitted = capture("submission", "report_submitted")
    token = register(url).json()["token"]
    with mock.patch.object(Publisher, "publish", side_effect=ConnectionError("broker gone")):
        accepted = requests.post(url("submission", "/v1/reports"), json=report, headers=auth(token))
    assert accepted.status_code == 202, "the report is stored; its announcement waits in the outbox"
    with entrypoint_hook(submission, "publish_pending_events") as relay:
        assert relay() == 1
    event = submitted.wait_for(1)[0]
    assert event["data"]["report_id"] == accepted.json()["id"]
    with entrypoint_hook(submission, "publish_pending_events") as relay:
        assert relay() == 0, "nothing is left to send"


def test_preview_of_a_year_without_framework_is_refused_and_a_preview_stores_nothing(submission, url, report):
    token = register(url).json()["token"]
    preview = requests.post(url("submission", "/v1/reports/preview"), json=report, headers=auth(token))
    assert preview.status_code == 200 and preview.json()["outcome"] == "compliant"
    assert requests.get(url("submission", "/v1/reports"), headers=auth(token)).json() == []
    report["covenant_year"] = 5
    refused = requests.post(url("submission", "/v1/reports/preview"), json=report, headers=auth(token))
    assert refused.status_code == 422
    assert refused.json()["problems"] == {"covenant_year": [{
        "code": "no_framework", "covenant_year": 5, "known": [1, 2],
        "message": "No assessment framework for covenant year 5 (frameworks exist for year 1, 2)."}]}


def test_an_event_no_queue_takes_yet_waits_in_the_outbox_until_a_consumer_exists(submission, url, report):
    """A first deployment: the submission service takes reports before any consumer ever started."""
    token = register(url).json()["token"]  # company_registered: no queue is bound to it yet either
    accepted = requests.post(url("submission", "/v1/reports"), json=report, headers=auth(token))
    assert accepted.status_code == 202
    with entrypoint_hook(submission, "publish_pending_events") as relay:
        assert relay() == 0, "nobody takes either event yet: both stay pending"
    consumer = EventCapture(submission.config["AMQP_URI"], "submission", "report_submitted")
    with entrypoint_hook(submission, "publish_pending_events") as relay:
        assert relay() == 1, "the report's event goes out; the registration's still waits"
    assert [each["data"]["report_id"] for each in consumer.wait_for(1)] == [accepted.json()["id"]]
    consumer.close()


def test_a_correlation_id_every_message_can_carry_is_kept_and_another_replaced(submission, url, capture):
    registered = capture("submission", "company_registered")
    kept = register_with(url, "client-trace 42/a")
    assert kept.headers["X-Correlation-ID"] == "client-trace 42/a"
    replaced = register_with(url, "x" * 201)
    assert len(replaced.headers["X-Correlation-ID"]) == 32, "too long for a header of every message: a new one"
    events = registered.wait_for(2)
    assert [each["correlation_id"] for each in events] == ["client-trace 42/a", replaced.headers["X-Correlation-ID"]]


def register_with(url, correlation_id: str):
    return requests.post(url("submission", "/v1/companies"), json={**COMPANY, "name": f"Steen {correlation_id[:8]}"},
                         headers={**auth(SECRETARIAT_TOKEN), "X-Correlation-ID": correlation_id})


def test_a_name_that_looks_like_a_members_of_any_kind_is_refused_with_a_clear_message(submission, url):
    assert register(url, {**COMPANY, "name": "Alpha Steen"}).status_code == 201
    lookalike = register(url, {**COMPANY, "name": "\u0410lpha Steen"})  # a Cyrillic А
    assert lookalike.status_code == 422
    assert lookalike.json()["errors"] == {"name": [
        "Looks the same as the name of a member already registered, Alpha Steen, but is written with other "
        "characters."]}
    seat = requests.post(url("submission", "/v1/commission-members"), headers=auth(SECRETARIAT_TOKEN), json={
        "name": "A1pha Steen", "seat": "employers", "email": "a@example.org", "language": "nl"})
    assert seat.status_code == 422 and "Alpha Steen" in seat.json()["errors"]["name"][0]
    authority = requests.post(url("submission", "/v1/authorities"), headers=auth(SECRETARIAT_TOKEN), json={
        "name": "Gemeente Leiden", "country": "NL", "joined_on": "2019-10-01"})
    assert authority.status_code == 201
    assert register(url, {**COMPANY, "name": "GEMEENTE  LEIDEN"}).status_code == 422, "checked against every kind"
    again = register(url, {**COMPANY, "name": "Alpha Steen"})
    assert again.status_code == 422 and again.json()["errors"]["name"][0].startswith(
        "A member with this name is already registered"), "the very same name is no way to pass for it either"
    for name in ("Alpha\u202eSteen", "Alpha\x00Steen", "Alpha\nSteen"):
        refused = register(url, {**COMPANY, "name": name})
        assert refused.status_code == 422 and list(refused.json()["errors"]) == ["name"], name
    assert [each["name"] for each in requests.get(url("submission", "/v1/members")).json()] == ["Alpha Steen"]


def test_evidence_files_are_uploaded_kept_clean_and_read_back_with_their_version(
        container_factory, service_config, url, report):
    from tests.support import pdf_with_document_info, photo_with_gps
    container = container_factory(SubmissionService, {**service_config, "REPORT_FILE_MAX_MB": 1})
    replace_dependencies(container, scoring=FakeScoring())
    container.start()
    headers = auth(register(url).json()["token"])
    too_large = requests.post(url("submission", "/v1/reports/files"), headers=headers,
                              data=b"%PDF-1.4\n" + bytes(2 ** 20))
    assert too_large.status_code == 422
    assert {key: too_large.json()["problems"]["file"][0][key] for key in ("code", "max_mb")} == \
        {"code": "file_too_large", "max_mb": 1}
    not_a_pdf = requests.post(url("submission", "/v1/reports/files"), headers=headers, data=b"MZ\x90\x00")
    assert not_a_pdf.status_code == 422 and not_a_pdf.json()["problems"]["file"][0]["code"] == "file_type"
    audit = requests.post(url("submission", "/v1/reports/files"), headers=headers, data=pdf_with_document_info())
    photo = requests.post(url("submission", "/v1/reports/files"), headers={**headers, "Content-Type": "text/plain"},
                          data=photo_with_gps())
    assert audit.status_code == photo.status_code == 201
    assert (audit.json()["content_type"], photo.json()["content_type"]) == ("application/pdf", "image/jpeg")

    evidence = [{**report["evidence"][0], "file": audit.json()["id"]}]
    unknown = requests.post(url("submission", "/v1/reports"), headers=headers, json={
        **report, "evidence": evidence, "plan_of_approach_file": "0123456789abcdef01234567"})
    assert unknown.status_code == 422
    assert unknown.json()["problems"] == {"plan_of_approach_file": [{
        "code": "unknown_file", "message": "No file of yours has this id: upload the file again."}]}
    sent = requests.post(url("submission", "/v1/reports"), headers=headers, json={
        **report, "evidence": evidence, "plan_of_approach_file": photo.json()["id"]})
    assert sent.status_code == 202, sent.text
    report_id = sent.json()["id"]
    shown = requests.get(url("submission", f"/v1/reports/{report_id}"), headers=headers).json()
    assert [each["content_type"] for each in shown["versions"][0]["files"]] == ["application/pdf", "image/jpeg"]
    assert shown["report"]["plan_of_approach_file"] == photo.json()["id"]
    got = requests.get(url("submission", f"/v1/reports/{report_id}/versions/1/files/{photo.json()['id']}"),
                       headers=auth(SECRETARIAT_TOKEN))
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["Content-Disposition"] == 'attachment; filename="report-file-2.jpg"'
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert b"Phone X Pro" not in got.content and b"PhoneMaker" not in got.content
    assert requests.get(url("submission", f"/v1/reports/{report_id}/versions/2/files/{photo.json()['id']}"),
                        headers=headers).status_code == 404
    with entrypoint_hook(container, "report_version_file") as report_version_file:
        kept = report_version_file(report_id, 1, audit.json()["id"])
        assert (kept["content_type"], kept["name"]) == ("application/pdf", "report-file-1.pdf")
        assert report_version_file(report_id, 1, "0123456789abcdef01234567") is None


def test_the_service_keeps_answering_while_it_cleans_a_pdf_of_many_pages(submission, url):
    """Cleaning a 9 MB PDF of 40,000 pages takes seconds: run in the worker's greenthread, it held up every
    other request of the process (here a company's reading of its reports) until it was done."""
    import io
    import threading
    import time

    import pikepdf
    pdf = pikepdf.new()
    for _ in range(40_000):
        pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    headers = auth(register(url).json()["token"])
    finished = {}

    def upload():
        answer = requests.post(url("submission", "/v1/reports/files"), headers=headers, data=out.getvalue())
        finished["upload"] = (time.monotonic(), answer.status_code)
    sending = threading.Thread(target=upload)
    sending.start()
    time.sleep(0.8)  # the body is in; the cleaning runs
    assert requests.get(url("submission", "/v1/reports"), headers=headers).status_code == 200
    answered = time.monotonic()
    sending.join()
    assert finished["upload"][1] == 201
    assert answered < finished["upload"][0], "answered while the PDF was being cleaned"
