"""End to end with two instances of each consumer (scoring, notification, reporting), each its own
`nameko run` process on the real RabbitMQ, competing for the same queues and sharing their databases (the
in-process engine served to every process, as MongoDB would be): work is spread, nothing is done twice."""
import shutil
from collections import Counter

import pytest
import requests
import yaml

from services.notification.domain import message_id
from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from tests.support import (SECRETARIAT_TOKEN, Platform, SharedEngine, auth, register_company,
                           wait_until)

pytestmark = pytest.mark.e2e
CONSUMERS = ("scoring", "notification", "reporting")


def second(service: str) -> str:
    return f"{service}-2"


@pytest.fixture(scope="module")
def frameworks(tmp_path_factory):
    """The framework files both scoring instances read (a volume they share, in production)."""
    return shutil.copytree(SHIPPED_FRAMEWORKS, tmp_path_factory.mktemp("shared") / "frameworks")


@pytest.fixture(scope="module")
def platform(vhost, processes, smtp, frameworks):
    engine = SharedEngine(processes)
    platform = Platform(vhost, processes, MONGO_URI=engine.uri("competing"), SMTP_HOST="127.0.0.1",
                        SMTP_PORT=str(smtp.port), FRAMEWORKS_DIR=str(frameworks)).start_all()
    for service in CONSUMERS:
        platform.start(service, instance=second(service))
    return platform


def handled(platform, instance: str, entrypoint: str) -> float:
    return platform.metric(instance, "trustone_entrypoint_calls_total", f'{{entrypoint="{entrypoint}",outcome="ok"}}')


def both_handled(platform, service: str, entrypoint: str) -> tuple[float, float]:
    return handled(platform, service, entrypoint), handled(platform, second(service), entrypoint)


def submit(platform, token: str, report: dict) -> dict:
    accepted = requests.post(platform.url("submission", "/v1/reports"), json=report, headers=auth(token), timeout=30)
    assert accepted.status_code == 202, accepted.text
    return accepted.json()


def proof(platform, year: int = 1) -> dict:
    return requests.get(platform.url("reporting", f"/v1/sector/{year}/proof"), headers=auth(SECRETARIAT_TOKEN),
                        timeout=30).json()


def test_two_instances_of_each_consumer_count_every_figure_once_and_send_every_notice_once(platform, smtp,
                                                                                            report):
    before = platform.figures()["assessed_reports"]
    companies = [register_company(platform.url("submission"), name=f"Concurrent {n} B.V.",
                                  email=f"concurrent{n}@example.nl") for n in range(8)]
    accepted = []
    for company in companies:
        accepted.append(submit(platform, company["token"], report))
    for company in companies[:4]:  # a second version each, racing its first through the consumers
        accepted.append(submit(platform, company["token"], report))

    def everything_counted():
        shown = proof(platform)
        return shown if shown["agrees"] and platform.figures()["assessed_reports"] == before + 8 else None
    wait_until(everything_counted, "8 companies' latest reports in the figures, agreeing with a recomputation",
               timeout=60)

    def inboxes():  # receipts and outcomes (an outcome may also bring an extension, as the year's rules say)
        return {company["id"]: [each for each in platform.inbox(company["token"])["items"]
                                if each["kind"] in ("receipt", "outcome")] for company in companies}

    def receipt_and_outcome_per_version():  # 12 versions: a receipt and an outcome each
        found = inboxes()
        return found if sum(len(items) for items in found.values()) == 24 else None
    notices = wait_until(receipt_and_outcome_per_version, "a receipt and an outcome for each of 12 versions",
                         timeout=60)
    keys = [(each["kind"], each["about"]["report_id"], each["about"].get("version"))
            for items in notices.values() for each in items]
    assert len(set(keys)) == len(keys) == 24, "no notice twice"

    def every_notice_mailed():
        return sum(message["To"].startswith("concurrent") for message in smtp.messages()) >= 24
    wait_until(every_notice_mailed, "an e-mail for every notice", timeout=60)
    receipts_and_outcomes = {message_id(each["key"], platform.env.get("SMTP_FROM", "noreply@trustone.example"))
                             for items in notices.values() for each in items}
    mailed = Counter(message["Message-ID"] for message in smtp.messages()
                     if message["To"].startswith("concurrent") and message["Message-ID"] in receipts_and_outcomes)
    assert len(mailed) == 24 and set(mailed.values()) == {1}, "every notice mailed exactly once"

    for service, entrypoint in (("scoring", "score_submitted_report"), ("notification", "confirm_receipt"),
                                ("reporting", "apply_assessment")):
        first, other = both_handled(platform, service, entrypoint)
        assert first > 0 and other > 0, f"both {service} instances took {entrypoint} work: {first}, {other}"
    assessed = sum(platform.metric_total(instance, "trustone_assessments_total")
                   for instance in ("scoring", second("scoring")))
    assert assessed >= 12, "every version assessed (once each: scoring keys assessments by version)"
    lag_counted = sum(platform.metric(instance, "trustone_pipeline_lag_seconds_count", '{stage="counted"}')
                      for instance in ("reporting", second("reporting")))
    assert lag_counted >= 8, "the lag into the figures measured on both instances together"


def test_a_framework_correction_reaches_every_scoring_instance_before_the_rescore_answers(platform, frameworks,
                                                                                         report):
    path = frameworks / "year-1.yaml"
    corrected = yaml.safe_load(path.read_text())
    corrected.update(version=corrected["version"] + 1, minimum_score=50)  # examples/report.json has 47.8 %
    path.write_text(yaml.safe_dump(corrected, allow_unicode=True))
    scored_before = both_handled(platform, "scoring", "score_submitted_report")

    rescored = requests.post(platform.url("scoring", "/v1/frameworks/1/rescore"), headers=auth(SECRETARIAT_TOKEN),
                             timeout=60)
    assert rescored.status_code == 200, rescored.text
    assert rescored.json()["framework_version"] == corrected["version"]
    companies = [register_company(platform.url("submission"), name=f"After the correction {n} B.V.")
                 for n in range(6)]
    report_ids = {submit(platform, company["token"], report)["id"] for company in companies}

    def assessed_all():
        overview = requests.get(platform.url("scoring", "/v1/assessments?covenant_year=1"),
                                headers=auth(SECRETARIAT_TOKEN), timeout=30).json()
        mine = [each for each in overview if each["report_id"] in report_ids]
        return mine if len(mine) == len(report_ids) else None
    assessments = wait_until(assessed_all, "the reports sent after the correction to be assessed", timeout=60)
    assert {(each["framework_version"], each["outcome"]) for each in assessments} == {
        (corrected["version"], "needs_more_time")}, "no report scored under the older framework"
    scored_after = both_handled(platform, "scoring", "score_submitted_report")
    assert all(after > before for after, before in zip(scored_after, scored_before)), \
        f"both instances scored some of them: {scored_before} -> {scored_after}"

    def both_show_the_correction():
        return all(requests.get(platform.url(instance, "/v1/frameworks/1"), timeout=5).json()["version"]
                   == corrected["version"] for instance in ("scoring", second("scoring")))
    wait_until(both_show_the_correction, "both scoring instances to serve the corrected framework")
