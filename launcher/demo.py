"""The demo: a synthetic covenant year 1 (deploy/demo/year-1.json) registered and submitted through the
platform's public HTTP API, exactly as members and the secretariat would."""
from __future__ import annotations

import json
import time
from pathlib import Path

import requests

from common.vocabulary import SERVICES

DATA_FILE = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "year-1.json"


def data(path: Path = DATA_FILE) -> dict:
    return json.loads(Path(path).read_text())


def wait_until_up(urls: dict[str, str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for service in SERVICES:
        while True:
            try:
                if requests.get(f"{urls[service]}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {service} service does not answer at {urls[service]}")
            time.sleep(0.2)


def load(urls: dict[str, str], secretariat_token: str, dataset: dict | None = None) -> dict:
    """Registers the data set's members and authorities and submits its reports; returns what it did,
    with each demo company's token (they are fictional) so that one can look around as a company."""
    dataset = dataset or data()
    session = requests.Session()
    secretariat = {"Authorization": f"Bearer {secretariat_token}"}

    def post(url, body, headers, expected):
        answer = session.post(url, json=body, headers=headers, timeout=30)
        if answer.status_code != expected:
            raise RuntimeError(f"POST {url} answered {answer.status_code}: {answer.text[:500]}")
        return answer.json()

    companies = {}
    for company in dataset["companies"]:
        body = {key: value for key, value in company.items() if key != "ref"}
        created = post(f"{urls['submission']}/v1/companies", body, secretariat, 201)
        companies[company["ref"]] = {"id": created["id"], "name": created["name"], "token": created["token"]}
    for authority in dataset["authorities"]:
        post(f"{urls['submission']}/v1/authorities", authority, secretariat, 201)
    reports = {}
    for entry in dataset["reports"]:
        token = companies[entry["company"]]["token"]
        accepted = post(f"{urls['submission']}/v1/reports", entry["report"], {"Authorization": f"Bearer {token}"}, 202)
        reports[entry["company"]] = accepted["id"]
    edition = release_once_counted(urls, secretariat, dataset["covenant_year"], len(reports), session)
    return {"covenant_year": dataset["covenant_year"], "companies": companies,
            "authorities": len(dataset["authorities"]), "reports": reports, "edition": edition["number"]}


def release_once_counted(urls: dict[str, str], secretariat: dict, covenant_year: int, reports: int,
                         session: requests.Session, timeout: float = 120.0) -> dict:
    """Waits until the secretariat's live figures count every report, then releases the year's edition (the
    public reads editions only)."""
    deadline = time.monotonic() + timeout
    live = f"{urls['reporting']}/v1/sector/{covenant_year}/live"
    while session.get(live, headers=secretariat, timeout=30).json().get("assessed_reports") != reports:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {reports} reports were not all counted in {timeout:g} s")
        time.sleep(0.2)
    answer = session.post(f"{urls['reporting']}/v1/sector/{covenant_year}/editions", headers=secretariat, timeout=30)
    if answer.status_code != 201:
        raise RuntimeError(f"releasing the edition answered {answer.status_code}: {answer.text[:500]}")
    return answer.json()


DEMO_CHAIR = {"name": "Demo Voorzitter", "email": "voorzitter@trustone.example", "language": "nl"}


def appoint_chair(amqp_uri: str) -> dict | None:
    """The demo's (fictional) chair of the complaints commission, appointed as at a deployment: over the
    broker (on the embedded platform, from inside its process). None when the platform has a chair already."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from common import errors, rpc  # noqa: F401 - rpc: the platform's errors cross RPC as themselves
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
            return cluster.submission.appoint_chair(DEMO_CHAIR)
    except errors.Forbidden:
        return None
