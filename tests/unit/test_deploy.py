"""docker-compose.yml, checked without a Docker engine: valid, and in step with the code's configuration."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from common.settings import load_config
from common.vocabulary import SERVICES
from tests.support import ROOT


@pytest.fixture(scope="module")
def compose():
    assert shutil.which("docker-compose"), "docker-compose (Debian package) validates the file; .ci/run installs it"
    resolved = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                              env={"SECRETARIAT_TOKEN": "a-secret", "PORTAL_SECRET_KEY": "a-key", "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True)
    assert resolved.returncode == 0, resolved.stderr
    return yaml.safe_load(resolved.stdout)


@pytest.mark.parametrize("secret", ["SECRETARIAT_TOKEN", "PORTAL_SECRET_KEY"])
def test_compose_refuses_to_start_without_its_secrets(secret):
    given = {"SECRETARIAT_TOKEN": "a-secret", "PORTAL_SECRET_KEY": "a-key"}
    given.pop(secret)
    refused = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                             env={"PATH": "/usr/bin:/bin", **given}, capture_output=True, text=True)
    assert refused.returncode != 0 and secret in refused.stderr


def test_compose_runs_broker_database_monitoring_and_every_service(compose):
    assert set(compose["services"]) == {"rabbitmq", "mongodb", "prometheus", *SERVICES}
    assert compose["services"]["rabbitmq"]["image"].startswith("rabbitmq:") and \
        compose["services"]["rabbitmq"]["image"].endswith("-management")
    assert compose["services"]["mongodb"]["image"].startswith("mongo:")
    for name, service in compose["services"].items():
        assert service.get("restart") == "unless-stopped", name
        if name != "prometheus":
            assert "healthcheck" in service, name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_container_matches_the_code(compose, name):
    service = compose["services"][name]
    port = load_config()["HTTP_PORTS"][name]
    assert service["command"] == ["nameko", "run", "--config", "deploy/config.yaml", f"services.{name}.service"]
    assert (ROOT / "services" / name / "service.py").exists()
    assert [(int(each["published"]), int(each["target"])) for each in service["ports"]] == [(port, port)]
    environment = service["environment"]
    assert environment["AMQP_URI"].startswith("amqp://") and "@rabbitmq:5672" in environment["AMQP_URI"]
    assert environment["MONGO_URI"].startswith("mongodb://mongodb:27017/")
    assert environment["HTTP_HOST"] == "0.0.0.0"
    assert environment[f"{name.upper()}_PORT"] == str(port)
    assert f":{port}/health" in " ".join(service["healthcheck"]["test"])
    read_by_code = set(re.findall(r"\$\{(\w+):", (ROOT / "deploy" / "config.yaml").read_text()))
    assert set(environment) <= read_by_code, "compose sets a variable the code never reads"
    assert {dep for dep in service["depends_on"]} == {"rabbitmq", "mongodb"}


def test_prometheus_scrapes_every_service_where_it_listens(compose):
    mounted = compose["services"]["prometheus"]["volumes"][0]
    source, target = mounted.split(":")[:2] if isinstance(mounted, str) else (mounted["source"], mounted["target"])
    assert (Path(source).resolve(), target) == ((ROOT / "deploy" / "prometheus.yml").resolve(),
                                                "/etc/prometheus/prometheus.yml")
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in scrape["scrape_configs"]}
    ports = load_config()["HTTP_PORTS"]
    for name in SERVICES:
        assert targets[name] == [f"{name}:{ports[name]}"]


def test_the_image_installs_the_project_and_carries_the_config():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --no-cache-dir -c deploy/constraints.txt -e ." in dockerfile
    assert "COPY deploy/config.yaml deploy/constraints.txt deploy/" in dockerfile
    for package in ("common", "services", "launcher"):
        assert f"COPY {package} {package}" in dockerfile, f"the image lacks the {package} package"


def promtool(*args):
    assert shutil.which("promtool"), "Debian's prometheus package ships promtool; .ci/run installs it"
    return subprocess.run(["promtool", *args], cwd=ROOT / "deploy", capture_output=True, text=True)


def test_the_prometheus_config_and_its_alert_rules_are_valid():
    checked = promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 6 rules found" in checked.stdout


def test_the_alerts_fire_when_they_should_and_only_then():
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_compose_mounts_the_alert_rules_beside_the_config(compose):
    mounted = compose["services"]["prometheus"]["volumes"]
    targets = {(each.split(":")[1] if isinstance(each, str) else each["target"]) for each in mounted}
    assert targets == {"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"}
