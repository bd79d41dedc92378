"""End to end: every service its own process, the real RabbitMQ, only public interfaces (HTTP, events, metrics)."""
import pytest
import requests
from nameko.standalone.events import event_dispatcher

from tests.support import OPERATOR, ApiContract, EventCapture, auth, register_company, wait_until

pytestmark = pytest.mark.e2e


def register(platform, **overrides):
    return register_company(platform.url("submission"), **overrides)


def test_a_report_flows_through_every_service_and_counts_once(platform, report):
    submitted = EventCapture(platform.amqp_uri, "submission", "report_submitted")
    scored = EventCapture(platform.amqp_uri, "scoring", "report_scored")
    company = register(platform)
    headers = auth(company["token"])
    before = platform.figures()
    counters = {
        ("submission", "trustone_reports_submitted_total", '{covenant_year="1"}'): 1,
        ("scoring", "trustone_assessments_total", '{covenant_year="1"}'): 1,
        ("notification", "trustone_notices_total", ''): 2,  # the receipt and the outcome
        ("reporting", "trustone_contributions_applied_total", '{covenant_year="1"}'): 1,
    }
    counted_before = {key: platform.metric(*key) for key in counters}

    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers)
    assert accepted.status_code == 202, accepted.text
    report_id = accepted.json()["id"]

    def counted():
        figures = platform.figures()
        return figures if figures["assessed_reports"] == before["assessed_reports"] + 1 else None

    def receipt_and_outcome():
        inbox = platform.inbox(company["token"])
        return inbox if inbox["total"] == 2 else None

    figures = wait_until(counted, "the report in the sector figures")
    assert figures["outcomes"]["compliant"] == before["outcomes"]["compliant"] + 1
    assert figures["bands"]["compliant"]["40-60"] == before["bands"]["compliant"]["40-60"] + 1

    notices = wait_until(receipt_and_outcome, "receipt and outcome notices")
    assert {each["kind"] for each in notices["items"]} == {"receipt", "outcome"}
    assert all(each["about"]["report_id"] == report_id for each in notices["items"])

    assessment = requests.get(platform.url("scoring", f"/v1/reports/{report_id}/assessment"), headers=headers)
    assert assessment.status_code == 200 and assessment.json()["score"] == 47.8
    preview = requests.post(platform.url("submission", "/v1/reports/preview"), json=report, headers=headers)
    assert preview.status_code == 200
    assert preview.json() == {key: value for key, value in assessment.json().items()
                              if key not in ("report_id", "version")}, "a preview is the assessment to come"
    for key, added in counters.items():
        assert platform.metric(*key) == counted_before[key] + added, key

    # The same events once more, as a broker would redeliver them: no figure, notice or score moves.
    skipped = platform.metric("reporting", "trustone_contributions_skipped_total")
    receipts = platform.metric("notification", "trustone_entrypoint_calls_total",
                               '{entrypoint="confirm_receipt",outcome="ok"}')
    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri})
    dispatch("scoring", "report_scored", scored.wait_for(1)[0])
    dispatch("submission", "report_submitted", submitted.wait_for(1)[0])

    def both_duplicates_handled():
        # at least ours: on a loaded machine the outbox relay may send an event again too, another duplicate
        return platform.metric("reporting", "trustone_contributions_skipped_total") >= skipped + 1 and \
            platform.metric("notification", "trustone_entrypoint_calls_total",
                            '{entrypoint="confirm_receipt",outcome="ok"}') >= receipts + 1
    wait_until(both_duplicates_handled, "both duplicates to reach reporting and notification")
    assert platform.figures() == figures
    assert platform.inbox(company["token"])["total"] == 2
    for key, added in counters.items():
        assert platform.metric(*key) == counted_before[key] + added, key
    assert len({each["id"] for each in scored.wait_for(2)}) == 1
    submitted.close()
    scored.close()


def test_a_member_attests_its_standing_and_anyone_checks_it_over_http(platform):
    company = register(platform, name="Attest Steen B.V.")
    issued = requests.post(platform.url("attestation", f"/v1/companies/{company['id']}/attestations"),
                           headers=auth(company["token"]))
    assert issued.status_code == 201, issued.text
    assert issued.json()["member"]["name"] == "Attest Steen B.V."
    checked = requests.post(platform.url("attestation", "/v1/attestations/verification"),
                            json={"attestation": issued.json()["attestation"]}).json()
    assert (checked["genuine"], checked["holds"], checked["standing_changed"]) == (True, True, False), checked
    listed = requests.get(platform.url("attestation", f"/v1/companies/{company['id']}/attestations"),
                          headers=auth(company["token"])).json()
    assert [each["verifications"] for each in listed] == [1]


def test_every_service_reports_health_metrics_and_its_api(platform):
    for service in ("submission", "scoring", "notification", "reporting", "attestation"):
        health = requests.get(platform.url(service, "/health")).json()
        assert health == {"service": service, "status": "ok", "checks": {"mongodb": "ok", "rabbitmq": "ok", "consumers": "ok"}}
        assert "trustone_entrypoint_calls_total" in requests.get(platform.url(service, "/metrics"),
                                                                 headers=OPERATOR).text
        contract = ApiContract(requests.get(platform.url(service, "/openapi.json")).json())
        assert contract.document["openapi"].startswith("3.")
        contract.check("GET", "/health", requests.get(platform.url(service, "/health")))


def test_a_bad_report_gets_field_errors_and_changes_nothing(platform, report):
    company = register(platform, name="Andere Steen B.V.")
    headers = auth(company["token"])
    before = platform.metric("submission", "trustone_reports_submitted_total", '{covenant_year="1"}')
    report["materials"] = ["granite", "plastic"]
    refused = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"materials.1": [
        "Must be one of: basalt, granite, limestone, slate, marble, sandstone."]}
    assert refused.json()["problems"] == {"materials.1": [{
        "code": "one_of", "choices": ["basalt", "granite", "limestone", "slate", "marble", "sandstone"],
        "message": "Must be one of: basalt, granite, limestone, slate, marble, sandstone."}]}
    assert requests.post(platform.url("submission", "/v1/reports"), data="{",
                         headers={**headers, "Content-Type": "application/json"}).status_code == 400
    assert requests.get(platform.url("submission", "/v1/reports"), headers=headers).json() == []
    assert platform.metric("submission", "trustone_reports_submitted_total", '{covenant_year="1"}') == before


def test_one_submission_can_be_followed_through_the_logs_of_every_service(platform, report):
    import json
    import uuid
    company = register(platform, name="Traceersteen B.V.")
    trace = f"trace-{uuid.uuid4().hex}"
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report,
                             headers={"Authorization": f"Bearer {company['token']}", "X-Correlation-ID": trace})
    assert accepted.headers["X-Correlation-ID"] == trace

    def lines(service):
        found = []
        for line in platform.processes.log(service).splitlines():
            if trace in line and line.startswith("{") and line.endswith("}"):  # not one being written
                found.append(json.loads(line))
        return found

    def logged(service, entrypoint):
        def found():
            seen = lines(service)
            return seen if entrypoint in {each["entrypoint"] for each in seen} else None
        return found

    for service, entrypoint in (("submission", "submit_report"), ("scoring", "score_submitted_report"),
                                ("notification", "announce_outcome"), ("reporting", "apply_assessment")):
        found = wait_until(logged(service, entrypoint), f"{service} to log {entrypoint}")
        assert all(each["correlation_id"] == trace and each["service"] == service for each in found)
        assert all("call_id" in each for each in found)
