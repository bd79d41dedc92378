"""The README's run command: the whole platform in one process, nothing installed (no RabbitMQ, no MongoDB)."""
import json
import os
import shutil
import subprocess

import pytest
import requests
import yaml

from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from tests.conftest import free_port
from tests.e2e.conftest import SERVICES, TRUSTONE, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def embedded(processes, tmp_path):
    ports = {name: free_port() for name in SERVICES}
    env = {key: value for key, value in os.environ.items()
           if key not in ("AMQP_URI", "MONGO_URI", "SECRETARIAT_TOKEN")}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["FRAMEWORKS_DIR"] = str(shutil.copytree(SHIPPED_FRAMEWORKS, tmp_path / "frameworks"))
    processes.start("embedded", [TRUSTONE, "run"], env)

    def url(service, path):
        return f"http://127.0.0.1:{ports[service]}{path}"
    url.env = env
    for service in SERVICES:
        wait_until(lambda: requests.get(url(service, "/health"), timeout=1).ok, what=f"embedded {service}")
    yield url
    processes.stop("embedded")


def test_the_embedded_platform_takes_a_report_end_to_end(embedded, processes, report):
    log = processes.log("embedded")
    assert "broker: in-memory" in log and "documents: in-process engine" in log
    assert "nothing this process holds in memory survives a restart" in log
    secretariat = {"Authorization": "Bearer secretariat-demo-token"}
    company = requests.post(embedded("submission", "/v1/companies"), headers=secretariat, json={
        "name": "Vlaamse Steen NV", "country": "BE", "role": "importer", "imports_directly": True,
        "joined_on": "2019-11-15", "language": "en", "email": "dd@steen.example"}).json()
    headers = {"Authorization": f"Bearer {company['token']}"}
    assert requests.post(embedded("submission", "/v1/reports"), json=report, headers=headers).status_code == 202
    figures = wait_until(lambda: (lambda f: f if f["assessed_reports"] == 1 else None)(
        requests.get(embedded("reporting", "/v1/sector/1")).json()), what="sector figures")
    assert figures["outcomes"]["compliant"] == 1
    inbox = wait_until(lambda: (lambda i: i if i["total"] == 2 else None)(
        requests.get(embedded("notification", "/v1/notices"), headers=headers).json()), what="notices")
    assert {each["language"] for each in inbox["items"]} == {"en"}
    preview = requests.post(embedded("submission", "/v1/reports/preview"), json=report, headers=headers)
    assert preview.status_code == 200 and preview.json()["score"] == 47.8


def test_trustone_rescore_applies_a_corrected_framework(embedded, report):
    secretariat = {"Authorization": "Bearer secretariat-demo-token"}
    company = requests.post(embedded("submission", "/v1/companies"), headers=secretariat, json={
        "name": "Steen BV", "country": "NL", "role": "importer", "imports_directly": True,
        "joined_on": "2019-10-01", "language": "nl", "email": "dd@steen.example"}).json()
    headers = {"Authorization": f"Bearer {company['token']}"}
    report_id = requests.post(embedded("submission", "/v1/reports"), json=report, headers=headers).json()["id"]
    wait_until(lambda: requests.get(embedded("reporting", "/v1/sector/1")).json()["outcomes"]["compliant"] == 1,
               what="the report to count as compliant")

    framework_file = os.path.join(embedded.env["FRAMEWORKS_DIR"], "year-1.yaml")
    raw = yaml.safe_load(open(framework_file))
    raw.update(version=2, minimum_score=50)  # the report scores 47.8 %
    with open(framework_file, "w") as handle:
        yaml.safe_dump(raw, handle)
    done = subprocess.run([TRUSTONE, "rescore", "1"], env=embedded.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"covenant_year": 1, "framework_version": 2, "rescored": [report_id],
                                       "unchanged": 0}
    figures = wait_until(lambda: (lambda f: f if f["outcomes"]["needs_more_time"] == 1 else None)(
        requests.get(embedded("reporting", "/v1/sector/1")).json()), what="the figures to follow the rescoring")
    assert figures["assessed_reports"] == 1 and figures["outcomes"]["compliant"] == 0
