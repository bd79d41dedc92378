"""The notification service in a container: notices from events, once each, in the inbox."""
import requests
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from services.notification.service import NotificationService
from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from services.scoring.domain import assess, load_frameworks
from tests.builders import blank_report, company
from tests.service.conftest import auth

FRAMEWORK = load_frameworks(SHIPPED_FRAMEWORKS)[1]


def test_receipt_and_outcome_notices_exist_once_in_the_company_language(
        container_factory, service_config, members, publish, url):
    container = container_factory(NotificationService, service_config)
    replace_dependencies(container, identity=members.identity())
    container.start()
    who = company(language="en")
    members.add("token-a", "company", who["id"])
    members.add("token-b", "company", company()["id"])
    report = blank_report()
    submitted = {"report_id": "r-1", "version": 1, "previous_version": None, "covenant_year": 1,
                 "submitted_at": "2020-12-01T10:00:00+00:00", "company": who, "report": report}
    scored = {"report_id": "r-1", "version": 1, "covenant_year": 1, "company": who, "ordinal": [1, 1],
              "report": report, "assessment": assess(report, who, FRAMEWORK), "previous_assessment": None}
    wires = {}
    for _ in range(2):  # the second round is a redelivery of the very same events
        with entrypoint_waiter(container, "confirm_receipt"):
            wires["s"] = publish("submission", "report_submitted", submitted, wire=wires.get("s"))
        with entrypoint_waiter(container, "announce_outcome"):
            wires["o"] = publish("scoring", "report_scored", scored, wire=wires.get("o"))
    inbox = requests.get(url("notification", "/v1/notices"), headers=auth("token-a")).json()
    assert inbox["total"] == 2
    kinds = {each["kind"]: each for each in inbox["items"]}
    assert set(kinds) == {"receipt", "outcome"}
    assert kinds["outcome"]["body"] == ("Version 1 of your report for covenant year 1 scores 0.0 %: "
                                        "your company is needs more time.")
    assert kinds["receipt"]["language"] == "en"
    other = requests.get(url("notification", "/v1/notices"), headers=auth("token-b")).json()
    assert other["total"] == 0
    assert requests.get(url("notification", "/v1/notices")).status_code == 401
    metrics = requests.get(url("notification", "/metrics")).text
    assert 'trustone_notices_total{kind="receipt"} 1.0' in metrics
