"""Framework files: a broken one stops the service; a corrected one rescores exactly what it changes."""
import shutil

import pytest
import requests
import yaml
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from services.scoring.domain import FrameworkError
from services.scoring.service import ScoringService
from tests.support import blank_report, company, submitted_event, with_steps_1_and_21
from tests.support import SECRETARIAT_TOKEN, auth


@pytest.fixture
def frameworks(tmp_path):
    directory = tmp_path / "frameworks"
    shutil.copytree(SHIPPED_FRAMEWORKS, directory)
    return directory


def edit(directory, year, change):
    path = directory / f"year-{year}.yaml"
    raw = yaml.safe_load(path.read_text())
    change(raw)
    path.write_text(yaml.safe_dump(raw))


def test_a_broken_framework_file_stops_the_service_naming_the_fault(container_factory, service_config, frameworks):
    edit(frameworks, 2, lambda raw: raw.update(maximum=99))
    container = container_factory(ScoringService, {**service_config, "FRAMEWORKS_DIR": str(frameworks)})
    with pytest.raises(FrameworkError, match=r"year-2.yaml: maximum: The criteria's points add up to 100, not 99."):
        container.start()


def test_a_corrected_framework_rescores_exactly_the_reports_it_changes(
        container_factory, service_config, members, frameworks, publish, capture, url):
    container = container_factory(ScoringService, {**service_config, "FRAMEWORKS_DIR": str(frameworks)})
    replace_dependencies(container, identity=members.identity())
    container.start()
    members.add("company-token", "company", "someone")
    scored = capture("scoring", "report_scored")

    def factories_known(percent):
        report = with_steps_1_and_21(blank_report(1, plan_of_approach=True))
        report["supply_chain"]["factories"] = {"known": percent, "total": 100}
        return report

    reports = {"r-55": factories_known(55), "r-100": factories_known(100), "r-40": factories_known(40)}
    for report_id, report in reports.items():
        with entrypoint_waiter(container, "score_submitted_report"):
            publish("submission", "report_submitted", submitted_event(report, company(), report_id=report_id))
    assert len(scored.wait_for(3)) == 3

    rescore = url("scoring", "/v1/frameworks/1/rescore")
    assert requests.post(rescore, headers=auth("company-token")).status_code == 403

    edit(frameworks, 1, lambda raw: raw.update(maximum=91))  # a broken correction changes nothing
    refused = requests.post(rescore, headers=auth(SECRETARIAT_TOKEN))
    assert refused.status_code == 422
    assert "year-1.yaml: maximum: The criteria's points add up to 90, not 91." in refused.json()["errors"]["framework"][0]

    def correct(raw):  # the factories threshold was meant to be 60 %
        raw.update(maximum=90, version=2)
        raw["chain_thresholds"]["factories"] = 60
    edit(frameworks, 1, correct)
    answer = requests.post(rescore, headers=auth(SECRETARIAT_TOKEN))
    assert answer.status_code == 200
    assert answer.json() == {"covenant_year": 1, "framework_version": 2, "rescored": ["r-55"], "unchanged": 2}
    event = scored.wait_for(4)[3]
    assert event["data"]["report_id"] == "r-55" and event["data"]["ordinal"] == {"report_version": 1, "framework_version": 2, "correction": 0}
    assert event["data"]["previous_assessment"]["outcome"] == "compliant"
    assert event["data"]["assessment"]["outcome"] == "needs_more_time"
    assert requests.get(url("scoring", "/v1/frameworks/1")).json()["chain_thresholds"]["factories"] == 60

    again = requests.post(rescore, headers=auth(SECRETARIAT_TOKEN)).json()
    assert again["rescored"] == [], "rescoring twice changes nothing more"
    assert scored.nothing_waiting(), "the rescore answered after publishing: a fifth event would be here"
