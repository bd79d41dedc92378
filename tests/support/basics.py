"""Constants, tokens, ports, waiting and metrics: what every other support module and test uses."""
from __future__ import annotations

import json
import random
import re
import socket
import sys
import time
from pathlib import Path
from typing import Callable

import requests

from common.vocabulary import SERVICES


ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SECRETARIAT_TOKEN = "test-secretariat-token-long-enough-to-be-accepted"  # 32 characters at least
METRICS_TOKEN = "test-metrics-token"  # the operators' (Prometheus's) token for /metrics
PORTAL_SERVICE_KEY = "test-portal-service-key"  # the portal vouches for its visitors with it (an HMAC)
NAMEKO = str(Path(sys.executable).with_name("nameko"))
TRUSTONE = str(Path(sys.executable).with_name("trustone"))
API_SERVICES = tuple(name for name in SERVICES if name != "portal")  # the portal is a client of their API

COMPANY = {"name": "Steenhandel B.V.", "country": "NL", "role": "importer", "imports_directly": True,
           "joined_on": "2019-10-01", "language": "nl", "email": "dd@steenhandel.nl"}
AUTHORITY = {"name": "Gemeente Leiden", "country": "NL", "joined_on": "2020-03-01"}


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


OPERATOR = auth(METRICS_TOKEN)


def configured_disclosure():
    """The publication thresholds as deploy/config.yaml sets them (3 companies per cell, 6 per region)."""
    from common.settings import Settings, load_config
    from services.reporting.domain import Disclosure
    return Disclosure.configured(Settings.from_config(load_config()))


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, below the kernel's ephemeral range (32768 and up on Linux): a port the kernel
    handed out with bind(0) can be taken by an outgoing connection before the service binds it, and did."""
    candidates = random.Random().sample(range(20000, 32000), 12000)
    for port in candidates:
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port between 20000 and 32000")


def example_report() -> dict:
    """examples/report.json: a complete, valid year-1 report (47.8 %, compliant), a fresh copy."""
    return json.loads((EXAMPLES / "report.json").read_text())


# --- waiting ------------------------------------------------------------------------------------------

def wait_for_listener(port: int, what: str, **waiting) -> None:
    """Waits until something listens on 127.0.0.1:`port` (`waiting`: wait_until's timeout, interval)."""
    def accepts_connections():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False
    wait_until(accepts_connections, what, **waiting)


def wait_until(predicate: Callable[[], object], what: str, timeout: float = 20.0, interval: float = 0.1):
    """Calls `predicate` until it returns something truthy, and returns that; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


def metric(metrics_url: str, name: str, labels: str = "") -> float:
    """The value of one sample on a /metrics page, 0 when absent."""
    text = requests.get(metrics_url, headers=OPERATOR, timeout=5).text
    found = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def metric_total(metrics_url: str, name: str) -> float:
    """The sum of every sample named `name` on a /metrics page, whatever its labels."""
    from prometheus_client.parser import text_string_to_metric_families
    text = requests.get(metrics_url, headers=OPERATOR, timeout=5).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name)


# --- the operators' dashboard ----------------------------------------------------------------------------

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "trustone.json"
PROMQL_WORDS = {"sum", "min", "max", "avg", "count", "rate", "increase", "irate", "histogram_quantile", "by",
                "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "topk", "bottomk", "abs", "clamp_min", "clamp_max", "time", "vector", "scalar"}


def dashboard_queries() -> list[str]:
    """Every PromQL expression of the dashboard's panels, with Grafana's range variables as a fixed range."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"].replace("$__rate_interval", "5m").replace("$__range", "1h")
            for panel in panels for target in panel.get("targets", [])]


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: what remains once strings, label matchers, grouping
    clauses, ranges, numbers, functions and operators' words are taken out."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr))
    return {name for name in names if name not in PROMQL_WORDS}


def exported_metric_names(metrics_text: str) -> set[str]:
    """The sample names a /metrics page exports (declared ones too, before their first sample)."""
    from prometheus_client.parser import text_string_to_metric_families
    names = set()
    for family in text_string_to_metric_families(metrics_text):
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
                    "summary": ("_sum", "_count", "")}.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
        names.update(sample.name for sample in family.samples)
    return names
