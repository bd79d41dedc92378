"""What tests share: waiting, registering, the seed figures, fakes of the ports, and real peers (an SMTP
server, a webhook receiver, an event capture on the broker, processes of the platform).

Test modules import from here and from `tests.builders`, never from each other or from a conftest.
"""
from __future__ import annotations

import copy
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import requests

from common import errors, problems
from common.auth import Identity, token_hash
from common.events import new_event
from common.vocabulary import SERVICES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SECRETARIAT_TOKEN = "test-secretariat-token"
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


# --- reports and companies, built from a blank report that meets nothing ----------------------------------

LINKS = ("direct_suppliers", "factories", "quarry_regions", "quarries")


def blank_report(covenant_year: int = 1, **overrides) -> dict:
    """A valid report in which no criterion is met (an importer from India that knows nothing yet)."""
    report = {
        "covenant_year": covenant_year,
        "chains": None,
        "supply_chain": {link: {"known": 0, "total": 10} for link in LINKS},
        "production_countries": ["IN"],
        "quarry_regions": [],
        "materials": ["granite"],
        "risks": [],
        "risk_prioritisation": "none",
        "policy": {"statement_adopted": False, "embedded_in_management": False, "shared_with_suppliers": False},
        "mitigation": [],
        "plan_of_approach": False,
        "monitoring": {"systematic": False, "effectiveness_evaluated": False},
        "communication": {"public_report_url": None},
        "remediation": {"grievance_mechanism": False},
        "evidence": [],
    }
    report.update(copy.deepcopy(overrides))
    return report


def with_steps_1_and_21(report: dict) -> dict:
    """Steps 1 (policy) and 2.1 (every link of the chain fully known) complete."""
    report = copy.deepcopy(report)
    report["policy"] = {"statement_adopted": True, "embedded_in_management": True, "shared_with_suppliers": True}
    report["supply_chain"] = {link: {"known": 10, "total": 10} for link in LINKS}
    return report


def risk(theme="health_and_safety", country="IN", source="site_visit", **overrides) -> dict:
    return {"theme": theme, "country": country, "severity": "high", "likelihood": "medium", "actual": True,
            "source": source, **overrides}


def mitigation(kind="supplier_improvement", country="IN") -> dict:
    return {"kind": kind, "country": country, "description": f"A {kind.replace('_', ' ')}."}


def company(role="importer", imports_directly=True, country="NL", joined_on="2019-10-01", language="nl",
            company_id=None) -> dict:
    """A company snapshot as events carry it."""
    company_id = company_id or uuid.uuid4().hex
    return {"id": company_id, "name": f"Company {company_id[:6]}", "country": country, "role": role,
            "imports_directly": imports_directly, "joined_on": joined_on, "language": language,
            "email": f"{company_id[:6]}@example.nl"}


def submitted_event(report: dict, who: dict, version: int = 1, report_id: str = "r-1",
                    submitted_at: str = "2020-12-01T10:00:00+00:00") -> dict:
    """The data of a report_submitted event."""
    return {"report_id": report_id, "version": version, "previous_version": version - 1 or None,
            "covenant_year": report["covenant_year"], "submitted_at": submitted_at, "company": who,
            "report": report}


def scored_event(report: dict, who: dict, version: int = 1, report_id: str = "r-1", framework_version: int = 1,
                 previous: dict | None = None, submitted_at: str = "2020-12-01T10:00:00+00:00") -> dict:
    """The data of a report_scored event, scored with the shipped framework of the report's year (as
    scoring would make it, with the framework version the test names)."""
    from dataclasses import replace

    from services.scoring.dependencies import SHIPPED_FRAMEWORKS
    from services.scoring.domain import assess, load_frameworks, report_scored
    framework = replace(load_frameworks(SHIPPED_FRAMEWORKS)[report["covenant_year"]], version=framework_version)
    submitted = submitted_event(report, who, version, report_id, submitted_at)
    return report_scored(submitted, framework, assess(report, who, framework), previous)


def event_examples(who: dict) -> dict[str, dict]:
    """A valid example of every event type's data, as its producer sends it (about the company `who`)."""
    report = example_report()
    first = scored_event(report, who, report_id="r-v")
    corrected = "policy_statement_adopted"
    decision = {"outcome": "upheld", "corrections": [{"code": corrected, "met": True, "why": "Shown."}],
                "appeal": {"report_id": "r-v", "version": 2, "covenant_year": 1, "criteria": [corrected]},
                "decided_by": "chair"}
    case = {"number": "2021-0001", "kind": "assessment_appeal", "covenant_year": 1, "language": "nl"}
    return {
        "company_registered": {"company": who},
        "authority_registered": {"authority": {"id": "a-v", "name": "Gemeente Leiden", "country": "NL",
                                               "joined_on": "2020-03-01"}},
        "commission_member_registered": {"member": {"id": "m-v", "name": "Chair", "seat": "chair",
                                                    "email": "chair@example.org", "language": "en"},
                                         "seated": True},
        "commission_member_seated": {"member": {"id": "m-w", "name": "Member", "seat": "employers",
                                                "email": "member@example.org", "language": "nl"},
                                     "seated_by": "m-v", "seated_at": "2021-03-01T10:00:00+00:00"},
        "member_token_replaced": {"replacement_id": "t-v", "member": {
            "id": who["id"], "role": "company", "name": who["name"], "language": who["language"],
            "email": who["email"]}, "replaced_by": {"role": "secretariat", "id": None, "seat": None},
            "replaced_at": "2021-03-01T10:00:00+00:00"},
        "report_submitted": submitted_event(report, who, version=2, report_id="r-v"),
        "report_scored": scored_event(report, who, version=2, report_id="r-v", previous=first["assessment"]),
        "report_verified": {"covenant_year": 1, "company_id": who["id"], "report_id": "r-v", "version": 1,
                            "result": "confirmed", "verified_on": "2021-03-01", "ordinal": [1]},
        "verification_sample_drawn": {"covenant_year": 1, "seed": "s", "population": 1,
                                      "drawn_at": "2021-03-01T10:00:00+00:00",
                                      "sampled": [{"report_id": "r-v", "version": 1, "company": who}]},
        "case_received": {**case, "filed_at": "2021-01-05T10:00:00+00:00", "company_id": who["id"],
                          "deadline": "2021-01-10", "acknowledgement": False},
        "case_moved": {**case, "from_state": "in_investigation", "to_state": "decided",
                       "at": "2021-02-05T10:00:00+00:00", "company_id": who["id"], "admissible": True,
                       "company_asked": False, "deadline": None, "decision": decision},
        "case_time_limit_approaching": {"number": "2021-0001", "kind": "complaint", "state": "received",
                                        "deadline": "2021-01-10", "covenant_year": 1},
        "framework_corrected": {"covenant_year": 1, "version": 1},
        "unknown_region_reported": {"country": "IN", "state": "IN-RJ", "region": "Kalkberg", "covenant_year": 1},
        "unknown_state_reported": {"country": "IN", "state": "Rajastan", "region": "Kalkberg", "covenant_year": 1},
    }


def form_fields(state: dict) -> dict[str, list[str]]:
    """What a browser posts for the portal's report form showing `state` (the names its inputs have)."""
    from services.portal import domain
    fields: dict[str, list[str]] = {"chains": [state["chains"]], "risk_prioritisation": [state["risk_prioritisation"]],
                                    "communication.public_report_url": [state["communication"]["public_report_url"]],
                                    "materials": list(state["materials"])}
    for link, pair in state["supply_chain"].items():
        for part, value in pair.items():
            fields[f"supply_chain.{link}.{part}"] = [value]
    for group, names in domain.BOOLEANS.items():
        for name in names:
            if state[group][name]:
                fields[f"{group}.{name}"] = ["yes"]
    if state["plan_of_approach"]:
        fields["plan_of_approach"] = ["yes"]
    for index, code in enumerate(state["production_countries"]):
        fields[f"production_countries.{index}"] = [code]
    for group in ("quarry_regions", "risks", "mitigation", "evidence"):
        for index, row in enumerate(state[group]):
            for name, value in row.items():
                if isinstance(value, dict):
                    for part, each in value.items():
                        fields[f"{group}.{index}.{name}.{part}"] = [each]
                else:
                    fields[f"{group}.{index}.{name}"] = [value]
    return fields


# --- files a complainant sends, with what they say besides what they show --------------------------------

GPS_LATITUDE = (52.0, 5.0, 30.0)  # where the photo was taken, as a phone writes it


def photo_with_gps() -> bytes:
    """A JPEG photo as a phone takes one: EXIF naming the phone, its orientation and, in its GPS block,
    where it was taken; and a comment."""
    import io

    from PIL import Image
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "PhoneMaker", "Phone X Pro", 6  # make, model, rotated
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", GPS_LATITUDE, "E", (4.0, 53.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 140, 90)).save(out, "JPEG", exif=exif.tobytes(), comment=b"Jan's phone")
    return out.getvalue()


def pdf_with_document_info() -> bytes:
    """A one-page PDF whose document information and XMP name its author and the program that made it."""
    import io

    import pikepdf
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"], pdf.docinfo["/Producer"] = "Jan Jansen", "Scanner 3000"
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = ["Jan Jansen"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


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


# --- registering through the public API -----------------------------------------------------------------

def register_company(submission_url: str, **overrides) -> dict:
    """Registers a company as the secretariat (`submission_url` is the service's base address); the
    answer, with the company's token."""
    created = requests.post(f"{submission_url}/v1/companies", json={**COMPANY, **overrides},
                            headers=auth(SECRETARIAT_TOKEN), timeout=30)
    assert created.status_code == 201, created.text
    return created.json()


# --- the commission: its first chair, appointed at deployment, and the seats the chair confirms --------------

CHAIR = {"name": "Anna Voorzitter", "email": "chair@example.org", "language": "nl"}


def appoint_chair(env: dict, **appointment: str) -> dict:
    """The commission's first chair, appointed as an operator does it at deployment: `trustone appoint-chair`
    over the broker in `env` (AMQP_URI); its member id and sign-in code, as the command prints them."""
    chosen = {**CHAIR, **appointment}
    done = subprocess.run([TRUSTONE, "appoint-chair", "--name", chosen["name"], "--email", chosen["email"],
                           "--language", chosen["language"]], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {"id": re.search(r"member id (\w+)", done.stdout).group(1), "name": chosen["name"], "seat": "chair",
            "token": re.search(r"shown this once: (\S+)", done.stdout).group(1)}


def appoint_chair_in_process(amqp_uri: str, **appointment: str) -> dict:
    """The same appointment, by the same call over the broker, from this (eventlet) process: for services in
    containers of this process."""
    from nameko.standalone.rpc import ClusterRpcProxy
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        return cluster.submission.appoint_chair({**CHAIR, **appointment})


def seat_commission_member(submission_url: str, chair_token: str, seat: str = "employers", **overrides) -> dict:
    """A member of the commission as the covenant seats one: the secretariat registers the seat (no code),
    the chair confirms it (the member's code, shown to the chair once). The confirmed member, with its token."""
    registration = {"name": f"Member {seat}", "seat": seat, "email": f"{seat}@example.org", "language": "nl",
                    **overrides}
    registered = requests.post(f"{submission_url}/v1/commission-members", json=registration,
                               headers=auth(SECRETARIAT_TOKEN), timeout=30)
    assert registered.status_code == 201, registered.text
    confirmed = requests.post(f"{submission_url}/v1/commission-members/{registered.json()['id']}/confirmation",
                              headers=auth(chair_token), timeout=30)
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


# --- the portal, in containers ---------------------------------------------------------------------------

def start_portal(container_factory, config, url) -> str:
    """Every service in a nameko container, the portal too, its clock in year 1's reporting round; the
    portal's address."""
    from nameko.testing.services import replace_dependencies
    for name in SERVICES:
        module = __import__(f"services.{name}.service", fromlist=["SERVICE"])
        container = container_factory(module.SERVICE, config)
        if name == "portal":
            replace_dependencies(container, clock=SettableClock("2020-12-15T10:00:00"))
        container.start()
    return url("portal", "")


def form_token(page: str) -> str:
    """The form token (CSRF) a portal page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(browser: requests.Session, portal: str, token: str) -> requests.Response:
    """Signs `browser` in to the portal with a sign-in code, as a person does on its sign-in page."""
    page = browser.get(f"{portal}/sign-in")
    return browser.post(f"{portal}/sign-in", data={"csrf_token": form_token(page.text), "token": token},
                        allow_redirects=False)


# --- the seed's figures ---------------------------------------------------------------------------------

def assert_seed_figures(shown: dict) -> None:
    """Every figure of covenant year 1 in the covenant's first annual report."""
    assert shown["assessed_reports"] == 26
    assert shown["outcomes"] == {"compliant": 21, "needs_more_time": 5}
    assert shown["bands"]["compliant"] == {"<20": 0, "20-40": 8, "40-60": 11, ">=60": 2}
    assert shown["requirements"]["min_score"] == {"met": 21, "applicable": 26}
    assert shown["requirements"]["chain_insight"] == {"met": 21, "applicable": 26}
    assert shown["requirements"]["plan_of_approach"] == {"met": 20, "applicable": 25}
    assert shown["supply_chain"] == {"mean_quarries_known_percent": 37.0, "mean_factories_known_percent": 58.0}
    assert shown["chains_per_company"] == {"<5": 2, "5-10": 4, "11-50": 17, ">50": 1, "unknown": 2}
    countries = {each["country"]: each["companies"] for each in shown["production_countries"]}
    assert {code: countries[code] for code in ("IN", "CN", "VN", "PT", "IT", "TR")} == \
        {"IN": 20, "CN": 14, "VN": 12, "PT": 5, "IT": 4, "TR": 4}
    assert len(countries) == 6  # a country is named from 3 companies ...
    assert len(countries) + shown["other_production_countries"] == 20  # ... of "about 20 countries in all"
    assert [(each["region"], each["state_name"], each["country"]) for each in shown["quarry_regions"]] == [
        ("Bundi", "Rajasthan", "IN"), ("Chittoor", "Andhra Pradesh", "IN"), ("Prakasam", "Andhra Pradesh", "IN"),
        ("Rangareddy", "Telangana", "IN"), ("Yên Định", "Thanh Hóa", "VN")]
    members = shown["participation"]["members"]
    assert (members["NL"]["importer"]["end"], members["NL"]["processor"]["end"]) == (15, 5)
    assert (members["BE"]["importer"]["end"], members["BE"]["processor"]["end"]) == (14, 2)
    assert (members["NL"]["importer"]["start"], members["NL"]["processor"]["start"],
            members["BE"]["importer"]["start"], members["BE"]["processor"]["start"]) == (10, 1, 13, 0)
    assert members["NL"]["importer"]["target_end"] == 29
    assert shown["participation"]["contracting_authorities"] == {"start": 31, "end": 37, "target": 30}
    assert shown["steps"] == {
        "policy_and_chain_mapping_complete": 21,
        "mitigation": {"any": 11, "supplier_improvement": 7, "regional_project": 3, "certification_programme": 2},
        "systematic_monitoring": 3, "public_communication": 2}
    assert 11 <= shown["risks"]["companies_with_any_risk"] <= 15  # "about half"


# --- fakes of the ports ---------------------------------------------------------------------------------

class SettableClock:
    """A clock the test sets (the services' clock port: `now()`); without an instant it starts at the real
    now (what a store that expires documents by real time needs)."""

    def __init__(self, instant: str | None = None):
        if instant:
            self.set(instant)
        else:
            self.instant = datetime.now(timezone.utc)

    def set(self, instant: str) -> None:
        self.instant = datetime.fromisoformat(instant).replace(tzinfo=timezone.utc)

    def advance(self, **delta) -> None:
        self.instant += timedelta(**delta)

    def now(self) -> datetime:
        return self.instant


class RecordingPublisher:
    """The publisher port in memory: events are validated as the real one does, and recorded; `failing`
    makes publishing raise, as a broker that is down would."""

    def __init__(self, producer: str = "test"):
        self.producer = producer
        self.published = []
        self.failing = False

    def new(self, event_type: str, data: dict):
        return new_event(event_type, data, producer=self.producer, correlation_id="test")

    def publish(self, event) -> None:
        if self.failing:
            raise ConnectionError("the broker is down")
        self.published.append(event)

    def of_type(self, event_type: str) -> list:
        return [event for event in self.published if event.type == event_type]


class FakeScoring:
    """The scoring service's RPC methods, with the real frameworks and scoring function."""

    def __init__(self):
        from services.scoring.dependencies import SHIPPED_FRAMEWORKS
        from services.scoring.domain import load_frameworks
        self.frameworks = load_frameworks(SHIPPED_FRAMEWORKS)
        self.asked_frameworks = 0

    def get_framework(self, year):
        self.asked_frameworks += 1
        if year not in self.frameworks:
            raise errors.NotFound(problems.NO_FRAMEWORK(covenant_year=year, known=sorted(self.frameworks)))
        return self.frameworks[year].to_dict()

    def assess(self, report, company):
        from services.scoring.domain import assess
        self.get_framework(report["covenant_year"])
        return assess(report, company, self.frameworks[report["covenant_year"]])

    def list_calendars(self):
        return [{"covenant_year": year, "due_date": each.due_date.isoformat(),
                 "catch_up_date": each.catch_up_date.isoformat()} for year, each in sorted(self.frameworks.items())]


class Members:
    """Tokens of test members, looked up like the submission service does (the identity port)."""

    def __init__(self):
        self.by_hash: dict[str, dict] = {}

    def add(self, token, role, member_id):
        self.by_hash[token_hash(token)] = {"role": role, "id": member_id}

    def identity(self) -> Identity:
        return Identity(SECRETARIAT_TOKEN, self.by_hash.get)


# --- real peers -----------------------------------------------------------------------------------------

class EventCapture:
    """A queue of our own bound to a service's event exchange: sees what the service publishes."""

    def __init__(self, amqp_uri: str, source_service: str, event_type: str):
        from kombu import Connection, Queue
        from nameko.standalone.events import get_event_exchange
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        exchange = get_event_exchange(source_service, {})
        self.queue = Queue(f"test-capture-{source_service}-{event_type}-{uuid.uuid4().hex[:8]}", exchange,
                           routing_key=event_type, auto_delete=True, durable=False)
        self.queue(self.channel).declare()
        self.received: list[dict] = []

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """The first `count` events (at least), waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        bound = self.queue(self.channel)
        while len(self.received) < count and time.monotonic() < deadline:
            message = bound.get(no_ack=True)
            if message is None:
                time.sleep(0.05)
            else:
                self.received.append(message.payload)
        assert len(self.received) >= count, f"{len(self.received)} of {count} events arrived"
        return self.received

    def nothing_waiting(self) -> bool:
        """True when no event waits on the queue now (for what was published before this call returned)."""
        return self.queue(self.channel).get(no_ack=True) is None

    def close(self):
        self.connection.release()


class ApiContract:
    """A service's OpenAPI document, used to check that real responses are the documented ones."""

    def __init__(self, document: dict):
        from openapi_spec_validator import validate
        validate(document)  # raises when the document is not valid OpenAPI 3
        self.document = document

    def check(self, method: str, path: str, response) -> None:
        """`response` (a requests.Response) to `method path` (the documented path template) is documented:
        its status is listed, and its JSON body matches the documented schema."""
        from openapi_schema_validator import OAS30Validator
        operation = self.document["paths"][path][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path} answered {status}, not documented"
        content = operation["responses"][status].get("content", {}).get("application/json")
        if content and "schema" in content:
            schema = {**content["schema"], "components": self.document.get("components", {})}
            OAS30Validator(schema).validate(response.json())


def publish_raw(amqp_uri: str, exchange: str, routing_key: str, body: bytes, headers: dict | None = None,
                **properties) -> None:
    """Publishes one message exactly as given (body bytes, headers, AMQP properties such as content_type,
    reply_to, correlation_id), as a publisher with access to the broker may: the exchange must exist."""
    from kombu import Connection
    properties.setdefault("content_type", "application/json")
    properties.setdefault("content_encoding", "utf-8")
    with Connection(amqp_uri) as connection:
        connection.Producer().publish(body, exchange=exchange, routing_key=routing_key, headers=headers or {},
                                      retry=False, **properties)


class SmtpServer:
    """A real SMTP server (aiosmtpd, in its own process) that files every mail it gets in a Maildir."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.maildir = directory / "maildir"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox",
             "-l", f"127.0.0.1:{self.port}", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        wait_for_listener(self.port, "the SMTP server to start", timeout=10, interval=0.05)

    def messages(self):
        import mailbox
        if not self.maildir.exists():
            return []
        return list(mailbox.Maildir(str(self.maildir), create=False))

    def wait_for(self, count: int, timeout: float = 10.0):
        def enough_mail():
            return len(self.messages()) >= count
        wait_until(enough_mail, f"{count} e-mail(s)", timeout=timeout)
        return self.messages()

    def stop(self):
        self.process.terminate()
        self.process.wait(5)


class WebhookReceiver:
    """A real HTTP server in this process that checks each webhook's signature; it can fail its first
    `fail_first` calls with a 500 to make the platform retry, or answer each with a redirect to
    `redirect_to`."""

    def __init__(self, secret: str, fail_first: int = 0, redirect_to: str | None = None):
        import eventlet
        import eventlet.wsgi
        self.secret = secret
        self.failures_left = fail_first
        self.redirect_to = redirect_to
        self.calls: list[dict] = []
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/hooks/trustone"
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        import hashlib
        import hmac
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(environ.get("HTTP_X_TRUSTONE_SIGNATURE", ""), expected)
        failing = self.failures_left > 0
        self.failures_left -= failing
        self.calls.append({"notice": json.loads(body) if body else None, "signed": signed,
                           "answered": 500 if failing else 302 if self.redirect_to else 204,
                           "key": environ.get("HTTP_X_TRUSTONE_NOTICE"), "method": environ["REQUEST_METHOD"]})
        if self.redirect_to:
            start_response("302 Found", [("Location", self.redirect_to)])
        else:
            start_response("500 Internal Server Error" if failing else "204 No Content", [])
        return [b""]

    def delivered(self) -> list[dict]:
        return [call for call in self.calls if call["answered"] == 204]

    def close(self):
        self.thread.kill()
        self.socket.close()


class Processes:
    """Started OS processes with their logs, stopped at the end."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict, cwd: Path = ROOT) -> None:
        log = open(self.directory / f"{name}.log", "ab")
        self.running[name] = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self, name: str) -> None:
        """SIGKILL: the process dies where it stands, as in a crash or an out-of-memory kill."""
        process = self.running.pop(name)
        process.kill()
        process.wait()

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


class TcpLink:
    """A TCP forwarder to `target` (host, port) that can be cut: every connection through it closed and new
    ones refused, as when the network to a broker goes."""

    def __init__(self, target: tuple[str, int]):
        import eventlet
        self.target = target
        self.server = eventlet.listen(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list = []
        self.thread = eventlet.spawn(self._accept)

    def _accept(self):
        import eventlet
        while True:
            client, _ = self.server.accept()
            upstream = eventlet.connect(self.target)
            self.sockets += [client, upstream]
            eventlet.spawn(self._pipe, client, upstream)
            eventlet.spawn(self._pipe, upstream, client)

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except (OSError, EOFError):
            pass
        finally:  # either side gone: the other goes too
            for each in (source, sink):
                try:
                    each.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def uri(self, amqp_uri: str) -> str:
        """`amqp_uri` with this link's address in place of the broker's."""
        scheme, rest = amqp_uri.split("://", 1)
        credentials, _, address = rest.partition("@")
        path = address.partition("/")[2]
        return f"{scheme}://{credentials}@127.0.0.1:{self.port}/{path}"

    def restore(self):
        """Listens again on the same port, as when the network comes back."""
        import eventlet
        self.server = eventlet.listen(("127.0.0.1", self.port))
        self.thread = eventlet.spawn(self._accept)

    def cut(self):
        """Closes the link; each pipe sees its end and stops."""
        self.thread.kill()
        self.server.close()
        for each in self.sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Platform:
    """Every service as its own `nameko run` process, on a vhost of the real RabbitMQ; only its public
    interfaces (HTTP, events, metrics) are used."""

    def __init__(self, amqp_uri: str, processes: Processes, root: Path = ROOT, nameko: str = NAMEKO,
                 **settings: str):
        """`root` and `nameko`: where the code is and the nameko that runs it (by default this checkout's)."""
        self.amqp_uri = amqp_uri
        self.processes = processes
        self.root, self.nameko = root, nameko
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {
            **os.environ, "AMQP_URI": amqp_uri,
            "MONGO_URI": f"mongomock://localhost/e2e_{uuid.uuid4().hex[:8]}",
            "SECRETARIAT_TOKEN": SECRETARIAT_TOKEN, "METRICS_TOKEN": METRICS_TOKEN, "HTTP_HOST": "127.0.0.1", "LOG_LEVEL": "INFO",
            "PORTAL_SERVICE_KEY": PORTAL_SERVICE_KEY,
            "OUTBOX_GRACE_SECONDS": "2",
            **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
            **settings,
        }

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def metric(self, service: str, name: str, labels: str = "") -> float:
        return metric(self.url(service, "/metrics"), name, labels)

    def start(self, service: str, instance: str | None = None, **settings: str) -> None:
        """Starts `service`; with `instance` (e.g. "scoring-2"), one more instance of it under that name, on
        an HTTP port of its own, competing for the same queues. `settings` are this process's own."""
        name = instance or service
        port = self.ports.setdefault(name, free_port())
        self.processes.start(name, [self.nameko, "run", "--config", "deploy/config.yaml",
                                    f"services.{service}.service"],
                             {**self.env, f"{service.upper()}_PORT": str(port), **settings}, cwd=self.root)

        def healthy():
            return requests.get(self.url(name, "/health"), timeout=1).status_code == 200
        wait_until(healthy, f"{name} to answer /health")

    def metric_total(self, instance: str, name: str) -> float:
        """The sum of every sample of a metric (all its labels) on one instance's /metrics."""
        return metric_total(self.url(instance, "/metrics"), name)

    def start_all(self) -> "Platform":
        for service in SERVICES:
            self.start(service)
        return self

    def stop(self, service: str) -> None:
        self.processes.stop(service)

    def start_proxy(self) -> str:
        """deploy/Caddyfile, the compose file's proxy, in front of this platform's processes (Debian's caddy);
        returns its address."""
        import shutil
        assert shutil.which("caddy"), "Debian's caddy runs the proxy's own configuration; .ci/run installs it"
        port = free_port()
        state = self.processes.directory / "caddy"
        env = {"PATH": os.environ["PATH"], "HOME": str(state), "XDG_DATA_HOME": str(state),
               "XDG_CONFIG_HOME": str(state), "PROXY_PORT": str(port),
               **{f"{name.upper()}_HOST": "127.0.0.1" for name in API_SERVICES},
               **{f"{name.upper()}_PORT": str(self.ports[name]) for name in API_SERVICES}}
        self.processes.start("proxy", ["caddy", "run", "--config", str(ROOT / "deploy" / "Caddyfile"),
                                       "--adapter", "caddyfile"], env)

        wait_for_listener(port, "the proxy to listen")
        return f"http://127.0.0.1:{port}"

    def figures(self, year: int = 1) -> dict:
        """The year's figures as they stand (the secretariat's live view: the public reads released editions)."""
        return requests.get(self.url("reporting", f"/v1/sector/{year}/live"), headers=auth(SECRETARIAT_TOKEN),
                            timeout=10).json()

    def published(self, year: int = 1) -> dict:
        """The year's figures as the public reads them: its latest released edition."""
        return requests.get(self.url("reporting", f"/v1/sector/{year}"), timeout=10).json()

    def release(self, year: int = 1) -> requests.Response:
        return requests.post(self.url("reporting", f"/v1/sector/{year}/editions"), headers=auth(SECRETARIAT_TOKEN),
                             timeout=30)

    def inbox(self, token: str) -> dict:
        return requests.get(self.url("notification", "/v1/notices?per_page=200"), headers=auth(token),
                            timeout=10).json()

    def chair(self) -> dict:
        """The commission's chair, appointed at this platform's deployment on first asking (`trustone
        appoint-chair`, which opens once): its id and token."""
        if not hasattr(self, "_chair"):
            self._chair = appoint_chair(self.env)
        return self._chair

    def commission_member(self, seat: str, **overrides) -> dict:
        """A member of the commission in `seat`, registered by the secretariat and confirmed by the chair (the
        chair itself for "chair": the one appointed at deployment)."""
        if seat == "chair" and not overrides:
            return self.chair()
        return seat_commission_member(self.url("submission"), self.chair()["token"], seat, **overrides)


class SharedEngine:
    """`trustone engine`: the in-process document engine served to the processes of this machine
    (`mongomock+tcp://`), so that several instances of a service share their databases."""

    def __init__(self, processes: "Processes", name: str = "engine"):
        self.port = free_port()
        self.uri_base = f"mongomock+tcp://127.0.0.1:{self.port}"
        processes.start(name, [TRUSTONE, "engine", "--port", str(self.port)], dict(os.environ))

        wait_for_listener(self.port, "the shared document engine to listen", timeout=20)

    def uri(self, name: str) -> str:
        return f"{self.uri_base}/{name}"


def copy_what_the_image_copies(destination: Path) -> Path:
    """Copies exactly what deploy/Dockerfile COPYs from the build context (less what .dockerignore leaves
    out) to where the Dockerfile puts it, below `destination` (its WORKDIR); returns `destination`."""
    import fnmatch
    import shlex
    import shutil
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]

    def left_out(relative: str) -> bool:
        parts = relative.split("/")
        return any(fnmatch.fnmatch(relative, pattern) or any(fnmatch.fnmatch(part, pattern.removeprefix("**/"))
                                                              for part in parts) for pattern in ignored)

    for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines():
        if not line.startswith("COPY "):
            continue
        *sources, target = [word for word in shlex.split(line)[1:] if not word.startswith("--")]
        for source in sources:
            into = destination / target / Path(source).name if target.endswith("/") else destination / target
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, into, ignore=lambda folder, names: [
                    name for name in names if left_out(str((Path(folder) / name).relative_to(ROOT)))])
            else:
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, into)
    return destination


def in_memory(repository_cls):
    """A service's repository on a fresh database of the in-process engine, indexes declared."""
    from common.mongo import database
    repository = repository_cls(database(f"mongomock://localhost/unit_{uuid.uuid4().hex[:12]}", "unit"))
    repository.ensure_indexes()
    return repository


class FakeChannels:
    """The notification service's ways out, in memory: what was mailed and posted; `failing` channels
    raise, as a server that is down would."""

    def __init__(self, email_enabled=True, max_attempts=3, backoff_seconds=0.0):
        self.email_enabled = email_enabled
        self.secretariat_email = "secretariaat@trustone.example"
        self.commission_email = "commissie@trustone.example"
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.mailed: list[tuple[str, str]] = []
        self.posted: list[tuple[str, str]] = []
        self.failing: set[str] = set()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def mail(self, notice: dict, to: str) -> None:
        if "email" in self.failing:
            raise ConnectionRefusedError("the SMTP server is down")
        self.mailed.append((notice["_id"], to))

    def post(self, notice: dict, webhook: dict) -> None:
        if "webhook" in self.failing:
            raise ConnectionRefusedError("the receiver is down")
        self.posted.append((notice["_id"], webhook["url"]))


class Browser:
    """Debian's Chromium driven by Playwright (by path: no browser is downloaded), with a screenshot of
    every page a test looks at (test-artifacts/<test>/) and axe-core's check of it."""

    SERIOUS = ("serious", "critical")

    def __init__(self, artifacts: Path):
        import shutil

        from playwright.sync_api import sync_playwright
        executable = shutil.which("chromium")
        assert executable, "Debian's chromium drives the browser tests; .ci/run installs it"
        self.artifacts = artifacts
        shutil.rmtree(artifacts, ignore_errors=True)  # the artefacts of this run only
        artifacts.mkdir(parents=True)
        self.shots = 0
        self._playwright = sync_playwright().start()
        self.chromium = self._playwright.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])

    def person(self, locale: str = "nl-NL", phone: bool = False):
        """A new browser window of its own (its own cookies), as a person in `locale` would have."""
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        return self.chromium.new_context(locale=locale, viewport=size, is_mobile=phone, has_touch=phone)

    def look(self, page, name: str) -> list[dict]:
        """Saves a screenshot of the page and returns axe-core's serious or critical violations on it."""
        from axe_playwright_python.sync_playwright import Axe
        self.shots += 1
        page.screenshot(path=str(self.artifacts / f"{self.shots:02d}-{name}.png"), full_page=True)
        found = Axe().run(page).response["violations"]
        return [{"id": each["id"], "impact": each["impact"], "help": each["help"],
                 "nodes": [node["target"] for node in each["nodes"]][:3]}
                for each in found if each["impact"] in self.SERIOUS]

    def close(self):
        for context in self.chromium.contexts:
            context.close()
        self.chromium.close()
        self._playwright.stop()


class RabbitCluster:
    """RabbitMQ nodes of a test's own, each a host of its own: a network namespace with one end of a veth
    pair, the other ends on a bridge of the test's own where this machine has an address too (traffic only
    between them and this machine: nothing is forwarded or routed further). Each node has its own name,
    data and log folders under `directory`; all share one Erlang cookie of their own (their HOME holds it:
    the machine's cookie is not read nor changed) and find each other's addresses in an Erlang hosts file
    of their own (ERL_INETRC: /etc/hosts is not touched). Started from Debian's rabbitmq-server as this
    user (root: namespaces need it), joined into one cluster, and removed with everything they were given.
    The machine's own RabbitMQ is not touched.

    `pause_minority` (as `deploy/rabbitmq-cluster.conf` sets for the compose cluster): a node cut off from
    the majority pauses itself, and carries on when it sees the others again; `net_ticktime` 8 s, so that
    a node cut off is noticed in seconds rather than a minute."""

    SBIN = Path("/usr/lib/rabbitmq/bin")  # Debian's scripts; /usr/sbin's wrappers would switch to the user rabbitmq
    AMQP_PORT = 5672  # in each node's namespace

    def __init__(self, directory: Path, size: int = 3):
        self.directory = directory
        self.stem = f"ts{uuid.uuid4().hex[:6]}"
        taken = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=True).stdout
        subnets = [f"10.{second}.{third}" for second in range(200, 250) for third in range(0, 250, 7)]
        random.shuffle(subnets)
        self.subnet = next(each for each in subnets if f"{each}." not in taken)
        self.bridge = f"b{self.stem}"
        self.hosts = {f"{self.stem}{chr(ord('a') + index)}": f"{self.subnet}.{index + 2}" for index in range(size)}
        self.nodes = [f"rabbit@{host}" for host in self.hosts]
        self.home = directory / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(uuid.uuid4().hex.upper())
        cookie.chmod(0o400)
        self.inetrc = directory / "inetrc"
        self.inetrc.write_text("".join(f'{{host, {{{address.replace(".", ",")}}}, ["{host}"]}}.\n'
                                       for host, address in self.hosts.items()) + "{lookup, [file, native]}.\n")
        self.running: dict[str, subprocess.Popen] = {}
        self.cut: set[str] = set()

    @staticmethod
    def host_of(node: str) -> str:
        return node.split("@")[1]

    def address(self, node: str) -> str:
        return self.hosts[self.host_of(node)]

    def uri(self, vhost: str = "") -> str:
        """kombu's failover list naming every node (nameko and kombu take it as AMQP_URI)."""
        return ";".join(self.node_uri(node, vhost) for node in self.nodes)

    def node_uri(self, node: str, vhost: str = "") -> str:
        return f"amqp://guest:guest@{self.address(node)}:{self.AMQP_PORT}/{vhost}"

    def _network(self) -> None:
        def ip(*args):
            subprocess.run(["ip", *args], check=True, capture_output=True)
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for host, address in self.hosts.items():
            ip("netns", "add", host)
            ip("link", "add", f"v{host}", "type", "veth", "peer", "name", "eth0", "netns", host)
            ip("link", "set", f"v{host}", "master", self.bridge, "up")
            ip("-n", host, "addr", "add", f"{address}/24", "dev", "eth0")
            ip("-n", host, "link", "set", "eth0", "up")
            ip("-n", host, "link", "set", "lo", "up")

    def _env(self, node: str) -> dict:
        host = self.host_of(node)
        base = self.directory / host
        (base / "log").mkdir(parents=True, exist_ok=True)
        (base / "mnesia").mkdir(parents=True, exist_ok=True)
        config = base / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.1 = {self.address(node)}:{self.AMQP_PORT}\n"
            "loopback_users = none\n"  # guest, from this machine's address on the bridge
            "cluster_partition_handling = pause_minority\n"
            "log.console = false\nlog.file.level = info\n")
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        interface = "{" + self.address(node).replace(".", ",") + "}"
        return {"PATH": os.environ["PATH"], "HOME": str(self.home), "LANG": "C.UTF-8",
                "ERL_INETRC": str(self.inetrc), "RABBITMQ_NODENAME": node,
                "RABBITMQ_NODE_PORT": str(self.AMQP_PORT), "RABBITMQ_DIST_PORT": "25672",
                "RABBITMQ_CONFIG_FILE": str(config), "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
                "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
                "RABBITMQ_PID_FILE": str(base / "pid"),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                    f"-kernel net_ticktime 8 -kernel inet_dist_use_interface {interface}"}

    def ctl(self, node: str, *args: str, timeout: float = 60, check: bool = True,
            tool: str = "rabbitmqctl") -> subprocess.CompletedProcess:
        """A CLI tool asking `node`, from the node's own namespace: a CLI tool is a node too, named after the
        node it asks, that the others must reach at that name (with what the node lists, say)."""
        done = subprocess.run(["ip", "netns", "exec", self.host_of(node), str(self.SBIN / tool), "-n", node, *args],
                              env=self._env(node),
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} on {node}: {done.stdout}{done.stderr}")
        return done

    def start_node(self, node: str) -> None:
        """Starts `node` in its namespace (again: it keeps its data and its place in the cluster) and waits
        until it serves."""
        log = open(self.directory / f"{self.host_of(node)}.out", "ab")
        self.running[node] = subprocess.Popen(["ip", "netns", "exec", self.host_of(node),
                                               str(self.SBIN / "rabbitmq-server")], env=self._env(node),
                                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.await_node(node, lambda: self.running[node].poll() is None)

    def await_node(self, node: str, alive=lambda: True, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.ctl(node, "await_startup", "--timeout", str(int(timeout)), timeout=timeout + 10,
                       check=False).returncode:
            # not yet known to its epmd (still booting its VM), or paused
            if not alive() or time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {node} does not serve: see {self.directory}")
            time.sleep(0.5)

    def stop_node(self, node: str) -> None:
        """Stops `node` the way an operator or a shutdown does (its clients' connections close)."""
        process = self.running.pop(node)
        self.ctl(node, "stop", timeout=60, check=False)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def cut_off(self, node: str) -> None:
        """A partition: `node` and the other nodes no longer reach each other (a blackhole route each way,
        in their namespaces); this machine still reaches every one of them."""
        for other in self.nodes:
            if other != node:
                for source, target in ((node, other), (other, node)):
                    subprocess.run(["ip", "-n", self.host_of(source), "route", "add", "blackhole",
                                    f"{self.address(target)}/32"], check=True, capture_output=True)
        self.cut.add(node)

    def reconnect(self, node: str) -> None:
        """Ends the partition of `node`."""
        for other in self.nodes:
            if other != node:
                for source, target in ((node, other), (other, node)):
                    subprocess.run(["ip", "-n", self.host_of(source), "route", "del", "blackhole",
                                    f"{self.address(target)}/32"], capture_output=True)
        self.cut.discard(node)

    def start(self) -> "RabbitCluster":
        first, *others = self.nodes
        self._network()
        for node in self.nodes:
            self.start_node(node)
        for node in others:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first)
            self.ctl(node, "start_app")
        return self

    def running_nodes(self, asking: str) -> list[str]:
        answer = self.ctl(asking, "eval", "rabbit_nodes:all_running().", check=False)
        return re.findall(r"'?(rabbit@[\w-]+)'?", answer.stdout)

    def queues(self, vhost: str, *columns: str) -> list[dict]:
        """Each queue of `vhost` as RabbitMQ lists it (asked of a node that runs and is not cut off)."""
        columns = columns or ("name", "type", "messages", "leader", "members")
        asking = next(node for node in self.running if node not in self.cut)
        answer = self.ctl(asking, "list_queues", "-p", vhost, "--formatter", "json", *columns, timeout=60)
        return json.loads(answer.stdout or "[]")

    def stop(self) -> None:
        """Stops every node it started (one that does not stop is killed) and removes what it was given:
        whatever still runs in its namespace (its epmd), the namespace, its veth pair and the bridge."""
        for node in list(self.cut):
            self.reconnect(node)
        for node in list(self.running):
            try:
                self.stop_node(node)
            except Exception:  # noqa: BLE001 - whatever failed, the node goes
                process = self.running.pop(node, None)
                if process is not None:
                    process.kill()
                    process.wait()
        for host in self.hosts:
            pids = subprocess.run(["ip", "netns", "pids", host], capture_output=True, text=True).stdout.split()
            for pid in pids:  # started in the namespace by the node (epmd): ours
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", host], capture_output=True)
            subprocess.run(["ip", "link", "del", f"v{host}"], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


class ReportStream:
    """Companies submitting reports in turn, each again and again (new versions, a blank report and one that
    meets steps 1 and 2.1 by turns), with `pause` seconds between them (0.05: about fifteen a second here),
    from `start()` until `finish()` once at least `at_least` were accepted; every answer is kept with its
    time. `held` pauses it (a service that takes reports is about to stop)."""

    def __init__(self, platform: "Platform", tokens: list[str], at_least: int, pause: float = 0.05):
        import threading
        self.platform, self.tokens, self.at_least, self.pause = platform, tokens, at_least, pause
        self.accepted: list[tuple[str, str, int, float]] = []  # token, report id, version, when answered
        self.refused: list[str] = []
        self.longest_wait = 0.0  # the slowest answer since it was last set to 0
        self.stop, self.held = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "ReportStream":
        self.thread.start()
        return self

    def finish(self) -> None:
        self.held.clear()
        self.stop.set()
        self.thread.join(timeout=600)
        assert not self.refused, self.refused[:5]
        assert not self.thread.is_alive() and len(self.accepted) >= self.at_least

    def _run(self):
        session = requests.Session()
        reports = [blank_report(), with_steps_1_and_21(blank_report(plan_of_approach=True))]
        number = 0
        while not self.stop.is_set() or len(self.accepted) < self.at_least:
            if self.held.is_set():
                time.sleep(0.05)
                continue
            token = self.tokens[number % len(self.tokens)]
            asked = time.monotonic()
            try:
                answer = session.post(self.platform.url("submission", "/v1/reports"), timeout=30,
                                      json=reports[number // len(self.tokens) % 2], headers=auth(token))
            except requests.RequestException as exc:
                self.refused.append(f"{type(exc).__name__}: {exc}")
                continue
            finally:
                self.longest_wait = max(self.longest_wait, time.monotonic() - asked)
            if answer.status_code != 202:
                self.refused.append(f"{answer.status_code} {answer.text}")
                continue
            self.accepted.append((token, answer.json()["id"], answer.json()["version"], time.monotonic()))
            number += 1
            time.sleep(self.pause)

    def assessments(self, report_id: str) -> int:
        answer = requests.get(self.platform.url("scoring", f"/v1/reports/{report_id}/assessments"),
                              headers=auth(SECRETARIAT_TOKEN), timeout=10)
        return len(answer.json()) if answer.status_code == 200 else 0

    def through(self, entry: tuple[str, str, int, float]) -> bool:
        """Whether the accepted report `entry` was assessed and its outcome is in its company's inbox (with
        those of the company's earlier ones)."""
        token, report_id, version, _ = entry
        if self.assessments(report_id) < version:
            return False
        before = sum(1 for each in self.accepted if each[0] == token and each[3] <= entry[3])
        return [each["kind"] for each in self.platform.inbox(token)["items"]].count("outcome") >= before


def assert_each_report_once(platform: "Platform", accepted: list[tuple]) -> None:
    """Every report version `accepted` (token, report id, version, ...) was assessed once, every company is
    counted once in year 1's figures, each version's receipt and outcome are in its company's inbox once,
    and the proof agrees (waits for the pipeline to finish first)."""
    latest: dict[str, int] = {}
    for _, report_id, version, *_ in accepted:
        latest[report_id] = max(latest.get(report_id, 0), version)
    companies = {token for token, *_ in accepted}

    def assessments(report_id: str) -> list:
        answer = requests.get(platform.url("scoring", f"/v1/reports/{report_id}/assessments"),
                              headers=auth(SECRETARIAT_TOKEN), timeout=10)
        return answer.json() if answer.status_code == 200 else []

    def everything_done():
        return platform.figures()["assessed_reports"] == len(companies) and all(
            len(assessments(report_id)) >= versions for report_id, versions in latest.items())
    wait_until(everything_done, "every version assessed and every company counted", timeout=120)
    for report_id, versions in latest.items():
        assert len(assessments(report_id)) == versions, "every version assessed once"
    for token in companies:
        mine = [each for each in accepted if each[0] == token]
        notices = [each["kind"] for each in platform.inbox(token)["items"]]
        assert notices.count("receipt") == len(mine), "one receipt per version, none lost, none twice"
        assert notices.count("outcome") == len(mine), "one outcome per version, none lost, none twice"
    proof = requests.get(platform.url("reporting", "/v1/sector/1/proof"), headers=auth(SECRETARIAT_TOKEN),
                         timeout=60).json()
    assert proof["agrees"], proof["differences"]
