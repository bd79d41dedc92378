"""End to end: four processes, the real RabbitMQ, only public interfaces (HTTP, events, metrics)."""
import pytest
import requests
from nameko.standalone.events import event_dispatcher

from tests.conftest import SECRETARIAT_TOKEN
from tests.e2e.conftest import metric, wait_until
from tests.support import ApiContract, EventCapture

pytestmark = pytest.mark.e2e

SECRETARIAT = {"Authorization": f"Bearer {SECRETARIAT_TOKEN}"}


def register(platform, **overrides):
    body = {"name": "Natuursteen Import B.V.", "country": "NL", "role": "importer", "imports_directly": True,
            "joined_on": "2019-10-01", "language": "nl", "email": "dd@natuursteen.example", **overrides}
    created = requests.post(platform.url("submission", "/v1/companies"), json=body, headers=SECRETARIAT)
    assert created.status_code == 201, created.text
    return created.json()


def test_a_report_flows_through_every_service_and_counts_once(platform, report):
    submitted = EventCapture(platform.amqp_uri, "submission", "report_submitted")
    scored = EventCapture(platform.amqp_uri, "scoring", "report_scored")
    company = register(platform)
    headers = {"Authorization": f"Bearer {company['token']}"}

    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers)
    assert accepted.status_code == 202, accepted.text
    report_id = accepted.json()["id"]

    def sector():
        return requests.get(platform.url("reporting", "/v1/sector/1"), timeout=5).json()

    figures = wait_until(lambda: sector() if sector()["assessed_reports"] == 1 else None,
                         what="the report in the sector figures")
    assert figures["outcomes"] == {"compliant": 1, "needs_more_time": 0}
    assert figures["bands"]["compliant"]["40-60"] == 1

    notices = wait_until(lambda: (lambda inbox: inbox if inbox["total"] == 2 else None)(
        requests.get(platform.url("notification", "/v1/notices"), headers=headers, timeout=5).json()),
        what="receipt and outcome notices")
    assert {each["kind"] for each in notices["items"]} == {"receipt", "outcome"}
    assert all(each["about"]["report_id"] == report_id for each in notices["items"])

    assessment = requests.get(platform.url("scoring", f"/v1/reports/{report_id}/assessment"), headers=headers)
    assert assessment.status_code == 200 and assessment.json()["score"] == 47.8
    preview = requests.post(platform.url("submission", "/v1/reports/preview"), json=report, headers=headers)
    assert preview.status_code == 200
    assert preview.json() == {key: value for key, value in assessment.json().items()
                              if key not in ("report_id", "version")}, "a preview is the assessment to come"

    assert metric(platform, "submission", "trustone_reports_submitted_total", '{covenant_year="1"}') == 1
    assert metric(platform, "scoring", "trustone_assessments_total",
                  '{covenant_year="1",outcome="compliant"}') == 1
    assert metric(platform, "notification", "trustone_notices_total", '{kind="outcome"}') == 1
    assert metric(platform, "reporting", "trustone_contributions_applied_total", '{covenant_year="1"}') == 1

    # The same events once more, as a broker would redeliver them: no figure, notice or score moves.
    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri})
    dispatch("scoring", "report_scored", scored.wait_for(1)[0])
    dispatch("submission", "report_submitted", submitted.wait_for(1)[0])
    wait_until(lambda: metric(platform, "reporting", "trustone_contributions_skipped_total") >= 2,
               what="both duplicates to reach reporting")
    wait_until(lambda: metric(platform, "notification", "trustone_entrypoint_calls_total",
                              '{entrypoint="confirm_receipt",outcome="ok"}') >= 2,
               what="the duplicate receipt to reach notification")
    assert sector() == figures
    inbox = requests.get(platform.url("notification", "/v1/notices"), headers=headers).json()
    assert inbox["total"] == 2
    assert metric(platform, "scoring", "trustone_assessments_total",
                  '{covenant_year="1",outcome="compliant"}') == 1
    assert len({each["id"] for each in scored.wait_for(2)}) == 1
    submitted.close()
    scored.close()


def test_every_service_reports_health_metrics_and_its_api(platform):
    for service in ("submission", "scoring", "notification", "reporting"):
        health = requests.get(platform.url(service, "/health")).json()
        assert health == {"service": service, "status": "ok", "checks": {"mongodb": "ok"}}
        assert "trustone_entrypoint_calls_total" in requests.get(platform.url(service, "/metrics")).text
        contract = ApiContract(requests.get(platform.url(service, "/openapi.json")).json())
        assert contract.document["openapi"].startswith("3.")
        contract.check("GET", "/health", requests.get(platform.url(service, "/health")))


def test_a_bad_report_gets_field_errors_and_changes_nothing(platform, report):
    company = register(platform, name="Andere Steen B.V.")
    headers = {"Authorization": f"Bearer {company['token']}"}
    before = metric(platform, "submission", "trustone_reports_submitted_total", '{covenant_year="1"}')
    report["materials"] = ["granite", "plastic"]
    refused = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=headers)
    assert refused.status_code == 422
    assert refused.json() == {"errors": {"materials.1": [
        "Must be one of: basalt, granite, limestone, slate, marble, sandstone."]}}
    assert requests.post(platform.url("submission", "/v1/reports"), data="{", headers=headers).status_code == 400
    assert requests.get(platform.url("submission", "/v1/reports"), headers=headers).json() == []
    assert metric(platform, "submission", "trustone_reports_submitted_total", '{covenant_year="1"}') == before


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

    for service, entrypoint in (("submission", "submit_report"), ("scoring", "score_submitted_report"),
                                ("notification", "announce_outcome"), ("reporting", "apply_assessment")):
        found = wait_until(lambda: (lambda seen: seen if entrypoint in {each["entrypoint"] for each in seen}
                                    else None)(lines(service)), what=f"{service} to log {entrypoint}")
        assert all(each["correlation_id"] == trace and each["service"] == service for each in found)
        assert all("call_id" in each for each in found)
