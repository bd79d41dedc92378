"""The reporting service in a container: contributions applied once, replaced by newer versions."""
import requests
from nameko.testing.services import entrypoint_waiter

from services.reporting.service import ReportingService
from tests.builders import blank_report, company, scored_event, with_steps_1_and_21


def scored(who, report, version):
    return scored_event(report, who, version)


def test_figures_count_each_company_once_whatever_arrives(container_factory, service_config, publish, url):
    container = container_factory(ReportingService, service_config)
    container.start()
    who = company()
    late, compliant = blank_report(), with_steps_1_and_21(blank_report(plan_of_approach=True))

    def deliver(data=None, wire=None):
        with entrypoint_waiter(container, "apply_assessment"):
            return publish("scoring", "report_scored", data, wire=wire)

    def sector():
        return requests.get(url("reporting", "/v1/sector/1")).json()

    first = deliver(scored(who, late, 1))
    deliver(wire=first)  # redelivered
    assert sector()["assessed_reports"] == 1
    assert sector()["outcomes"] == {"compliant": 0, "needs_more_time": 1}

    deliver(scored(who, compliant, 2))  # a new version moves the company
    assert sector()["assessed_reports"] == 1
    assert sector()["outcomes"] == {"compliant": 1, "needs_more_time": 0}
    assert sector()["bands"]["all"] == {"<20": 0, "20-40": 1, "40-60": 0, ">=60": 0}

    deliver(scored(who, late, 1))  # an older version arriving late changes nothing
    assert sector()["outcomes"] == {"compliant": 1, "needs_more_time": 0}
    metrics = requests.get(url("reporting", "/metrics")).text
    assert 'trustone_contributions_applied_total{covenant_year="1"} 2.0' in metrics
    assert "trustone_contributions_skipped_total 2.0" in metrics
