"""The operators' dashboard (deploy/grafana/) against what the running platform and RabbitMQ's Prometheus
plugin really export, and the pipeline's lag as a report moves through every stage."""
from urllib.parse import urlparse

import pytest
import requests

from common.vocabulary import PIPELINE_STAGES, SERVICES
from tests.support import (OPERATOR, ROOT, auth, dashboard_queries, exported_metric_names, promql_metric_names,
                           register_company, wait_until)

pytestmark = pytest.mark.e2e
RABBITMQ_METRICS = ROOT / "deploy" / "grafana" / "rabbitmq-metrics.txt"
PROMETHEUS_OWN = {"up"}  # Prometheus records it for every target it scrapes


@pytest.fixture(scope="module")
def rabbitmq_metrics(request, platform):
    """What RabbitMQ's own plugin exports per object (as deploy/prometheus.yml scrapes it), once the
    platform's queues exist."""
    host = urlparse(request.config.getoption("RABBIT_AMQP_URI")).hostname
    answer = requests.get(f"http://{host}:15692/metrics/per-object", timeout=30)
    assert answer.status_code == 200, "RabbitMQ's rabbitmq_prometheus plugin answers on :15692 (.ci/run enables it)"
    return exported_metric_names(answer.text)


def documented_rabbitmq_metrics() -> set[str]:
    lines = RABBITMQ_METRICS.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_every_metric_the_dashboard_queries_is_exported(platform, rabbitmq_metrics):
    services = set().union(*(exported_metric_names(requests.get(platform.url(name, "/metrics"), headers=OPERATOR,
                                                                timeout=10).text)
                             for name in SERVICES))
    queried = set().union(*(promql_metric_names(expr) for expr in dashboard_queries()))
    assert queried - services - rabbitmq_metrics - PROMETHEUS_OWN == set()
    used = {name for name in queried if name.startswith("rabbitmq_")}
    assert used == documented_rabbitmq_metrics(), "deploy/grafana/rabbitmq-metrics.txt lists what the dashboard uses"
    assert used <= rabbitmq_metrics


def test_a_report_s_lag_is_measured_once_at_every_stage(platform, report):
    where = {"assessed": "scoring", "receipt_noticed": "notification", "outcome_noticed": "notification",
             "counted": "reporting"}
    assert set(where) == set(PIPELINE_STAGES.codes)

    def observed():
        return {stage: platform.metric(service, "trustone_pipeline_lag_seconds_count", f'{{stage="{stage}"}}')
                for stage, service in where.items()}
    before = observed()
    company = register_company(platform.url("submission"), name="Lag B.V.")
    assert requests.post(platform.url("submission", "/v1/reports"), json=report,
                         headers=auth(company["token"])).status_code == 202

    def every_stage_reached():
        now = observed()
        return now if all(now[stage] == before[stage] + 1 for stage in where) else None
    wait_until(every_stage_reached, "the report's lag at every stage")
    within_a_minute = {stage: platform.metric(service, "trustone_pipeline_lag_seconds_bucket",
                                              f'{{le="60.0",stage="{stage}"}}') for stage, service in where.items()}
    assert all(within_a_minute[stage] >= before[stage] + 1 for stage in where), within_a_minute
