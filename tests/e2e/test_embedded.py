"""The README's run command: the whole platform in one process, nothing installed (no RabbitMQ, no MongoDB)."""
import json
import os
import re
import shutil
import subprocess

import pytest
import requests
import yaml

from common.vocabulary import SERVICES
from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from tests.support import TRUSTONE, assert_seed_figures, auth, free_port, wait_until

pytestmark = pytest.mark.e2e
DEMO_SECRETARIAT = auth("secretariat-demo-token")


class Embedded:
    """`trustone run` as a user starts it, with ports and a framework directory of its own."""

    def __init__(self, processes, tmp_path, *arguments: str, **settings: str):
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("AMQP_URI", "MONGO_URI", "SECRETARIAT_TOKEN")}
        self.env.update({f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        self.env["FRAMEWORKS_DIR"] = str(shutil.copytree(SHIPPED_FRAMEWORKS, tmp_path / "frameworks"))
        self.env["MIN_COMPANIES_PER_CELL"] = "1"  # one company's figures shown, to see what is counted
        self.env.update(settings)
        processes.start("embedded", [TRUSTONE, "run", *arguments], self.env)
        for service in SERVICES:
            wait_until(self.answers(service), f"embedded {service}")

    def url(self, service, path=""):
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def answers(self, service):
        def healthy():
            return requests.get(self.url(service, "/health"), timeout=1).ok
        return healthy

    def figures(self):
        """The figures as they stand (the secretariat's live view)."""
        return requests.get(self.url("reporting", "/v1/sector/1/live"), headers=DEMO_SECRETARIAT).json()

    def register(self, **company):
        created = requests.post(self.url("submission", "/v1/companies"), headers=DEMO_SECRETARIAT, json={
            "name": "Steen BV", "country": "NL", "role": "importer", "imports_directly": True,
            "joined_on": "2019-10-01", "language": "nl", "email": "dd@steen.example", **company})
        return auth(created.json()["token"])


@pytest.fixture
def embedded(processes, tmp_path):
    yield Embedded(processes, tmp_path)
    processes.stop("embedded")


def test_the_embedded_platform_takes_a_report_end_to_end(embedded, processes, report):
    log = processes.log("embedded")
    assert "broker: in-memory" in log and "documents: in-process engine" in log
    assert "nothing this process holds in memory survives a restart" in log
    headers = embedded.register(name="Vlaamse Steen NV", country="BE", joined_on="2019-11-15", language="en")
    assert requests.post(embedded.url("submission", "/v1/reports"), json=report, headers=headers).status_code == 202

    def counted():
        figures = embedded.figures()
        return figures if figures["assessed_reports"] == 1 else None

    def noticed():
        inbox = requests.get(embedded.url("notification", "/v1/notices"), headers=headers).json()
        return inbox if inbox["total"] == 2 else None

    assert wait_until(counted, "sector figures")["outcomes"]["compliant"] == 1
    assert {each["language"] for each in wait_until(noticed, "notices")["items"]} == {"en"}
    preview = requests.post(embedded.url("submission", "/v1/reports/preview"), json=report, headers=headers)
    assert preview.status_code == 200 and preview.json()["score"] == 47.8


def test_trustone_rescore_applies_a_corrected_framework(embedded, report):
    headers = embedded.register()
    report_id = requests.post(embedded.url("submission", "/v1/reports"), json=report, headers=headers).json()["id"]

    def outcomes(compliant, needs_more_time):
        def shown():
            figures = embedded.figures()
            return figures if figures["outcomes"] == {"compliant": compliant, "needs_more_time": needs_more_time} \
                else None
        return shown

    wait_until(outcomes(1, 0), "the report to count as compliant")
    framework_file = os.path.join(embedded.env["FRAMEWORKS_DIR"], "year-1.yaml")
    raw = yaml.safe_load(open(framework_file))
    raw.update(version=2, minimum_score=50)  # the report scores 47.8 %
    with open(framework_file, "w") as handle:
        yaml.safe_dump(raw, handle)
    done = subprocess.run([TRUSTONE, "rescore", "1"], env=embedded.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"covenant_year": 1, "framework_version": 2, "rescored": [report_id],
                                       "unchanged": 0}
    figures = wait_until(outcomes(0, 1), "the figures to follow the rescoring")
    assert figures["assessed_reports"] == 1


def test_the_demo_plays_year_1_in_releases_its_edition_and_appoints_a_demo_chair(processes, tmp_path):
    """README's `scripts/run --demo`, at the covenant's own disclosure thresholds."""
    embedded = Embedded(processes, tmp_path, "--demo", MIN_COMPANIES_PER_CELL="3")
    try:
        wait_until(lambda: "demo loaded" in processes.log("embedded"), "the demo to load", timeout=240)
        published = requests.get(embedded.url("reporting", "/v1/sector/1")).json()
        assert published["edition"]["number"] == 1
        assert_seed_figures(published)
        home = requests.get(embedded.url("portal", "/"), headers={"Accept-Language": "en"}).text
        assert 'href="/sector/1/report"' in home and "Edition 1, released on 15 December 2020" in home
        found = wait_until(lambda: re.search(r"commission's demo chair with the code (\S+?)\"",
                                             processes.log("embedded")), "the demo's chair", timeout=60)
        me = requests.get(embedded.url("submission", "/v1/me"), headers=auth(found.group(1))).json()
        assert (me["role"], me["member"]["seat"], me["member"]["status"]) == ("commission", "chair", "seated")
    finally:
        processes.stop("embedded")
