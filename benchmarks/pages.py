"""Every page per role at N members: median, p95 and size, alone and while three secretariat users work.

    .venv/bin/python benchmarks/pages.py [--members 40 2000 5000] [--requests 10] [--base-port 8600]

For each N: starts a fresh embedded platform (`trustone run`, one process, in-memory broker and document
engine, the clock in year 2's round), loads N member companies through the public API, each with a year-1
report (one in ten with a second version) and a year-2 report, waits until every report is assessed and
counted, draws year 1's verification sample and has a contracting authority ask 120 questions about
members, signs in to the portal as the secretariat, a company and nobody, and times each page and the
endpoints behind them: one warm-up, then `--requests` requests. Then the contention case: three
secretariat users reload the overview without pause while a company's pages and the public report are
timed again. The figures check is timed from asking to its result. One run on a shared machine: read the
figures as +-30 %. The platform's own log goes to the file BENCH_LOG names (else nowhere).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from common.vocabulary import SERVICES

ROOT = Path(__file__).resolve().parent.parent
DEMO = json.loads((ROOT / "deploy" / "demo" / "year-1.json").read_text())
TOKEN = "benchmark-secretariat-token-long-enough-to-start"
CLOCK = "2021-11-15T09:00:00+00:00"  # year 2's round: both years' reports are there


def start(base_port: int) -> tuple[subprocess.Popen, dict[str, str]]:
    ports = {name: base_port + index for index, name in enumerate(SERVICES)}
    env = {**os.environ, "SECRETARIAT_TOKEN": TOKEN, "CLOCK": CLOCK,
           **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()}}
    env.pop("AMQP_URI", None), env.pop("MONGO_URI", None)
    process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "trustone"), "run"], env=env, cwd=ROOT,
                               stdout=(log := open(os.environ.get("BENCH_LOG", os.devnull), "w")), stderr=log)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    deadline = time.monotonic() + 120
    for name in SERVICES:
        while True:
            try:
                if requests.get(f"{urls[name]}/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"{name} did not start")
            time.sleep(0.5)
    return process, urls


def load(urls: dict[str, str], members: int) -> list[dict]:
    """Registers `members` companies and sends their reports (4 clients at once); returns the companies."""
    secretariat = {"Authorization": f"Bearer {TOKEN}"}
    reports = [each["report"] for each in DEMO["reports"]]

    def one(number: int) -> dict:
        session = requests.Session()
        template = DEMO["companies"][number % len(DEMO["companies"])]
        body = {**{key: value for key, value in template.items() if key != "ref"},
                "name": f"{template['name']} {number:05}", "email": f"dd{number}@member.example"}
        created = session.post(f"{urls['submission']}/v1/companies", json=body, headers=secretariat, timeout=60)
        created.raise_for_status()
        company = created.json()
        own = {"Authorization": f"Bearer {company['token']}"}
        report = reports[number % len(reports)]
        sent = [report] + ([report] if number % 10 == 0 else []) + [{**report, "covenant_year": 2}]
        for each in sent:
            answer = session.post(f"{urls['submission']}/v1/reports", json=each, headers=own, timeout=60)
            if answer.status_code != 202:
                raise SystemExit(f"a report was refused: {answer.status_code} {answer.text[:300]}")
        return company

    with ThreadPoolExecutor(4) as pool:
        companies = list(pool.map(one, range(members)))
    deadline = time.monotonic() + 60 + members * 0.2
    for year in (1, 2):
        while len(requests.get(f"{urls['scoring']}/v1/assessments", params={"covenant_year": year},
                               headers=secretariat, timeout=120).json()) < members:
            if time.monotonic() > deadline:
                raise SystemExit(f"year {year}'s reports were not all assessed in time")
            time.sleep(1)
    return companies


def drawn_and_asked(urls: dict[str, str], companies: list[dict], questions: int) -> tuple[int, int]:
    """Draws year 1's verification sample (the rules' share of the members) and has one contracting
    authority ask `questions` questions about members, so that the verification page and the questions
    page have something to show; the sample's size and the questions asked."""
    secretariat = {"Authorization": f"Bearer {TOKEN}"}
    drawn = requests.post(f"{urls['scoring']}/v1/verification/1/sample", json={"seed": "benchmark"},
                          headers=secretariat, timeout=300)
    drawn.raise_for_status()
    authority = requests.post(f"{urls['submission']}/v1/authorities", headers=secretariat, timeout=60, json={
        "name": "Gemeente Benchmark", "country": "NL", "joined_on": "2019-09-01"}).json()
    own, deadline = {"Authorization": f"Bearer {authority['token']}"}, time.monotonic() + 60
    while requests.get(f"{urls['notification']}/v1/supplier-questions", headers=own, timeout=60).status_code != 200:
        if time.monotonic() > deadline:  # the authority's registration is on its way to notification
            raise SystemExit("the authority was not known in time")
        time.sleep(0.5)
    for number in range(questions):
        asked = requests.post(f"{urls['notification']}/v1/supplier-questions", headers=own, timeout=60,
                              json={"company_id": companies[number * 7 % len(companies)]["id"]})
        asked.raise_for_status()
    return len(drawn.json()["sampled"]), questions


def signed_in(portal: str, code: str | None) -> requests.Session:
    session = requests.Session()
    if code:
        page = session.get(f"{portal}/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = session.post(f"{portal}/sign-in", data={"csrf_token": token, "token": code}, allow_redirects=False)
        assert answer.status_code == 303, answer.status_code
    return session


def timed(session: requests.Session, url: str, count: int, **kwargs) -> tuple[float, float, int]:
    """Median and p95 in ms, and the size in bytes, of `count` requests after a warm-up."""
    session.get(url, timeout=300, **kwargs).raise_for_status()
    times, size = [], 0
    for _ in range(count):
        began = time.perf_counter()
        answer = session.get(url, timeout=300, **kwargs)
        times.append((time.perf_counter() - began) * 1000)
        answer.raise_for_status()
        size = len(answer.content)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], size


def proof_time(session: requests.Session, portal: str) -> float:
    """Seconds from asking for a check of year 1's figures to its result."""
    page = session.get(f"{portal}/secretariat/years/1/proof")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    began = time.perf_counter()
    session.post(f"{portal}/secretariat/years/1/proof", data={"csrf_token": token}, allow_redirects=False)
    while "data-refresh" in session.get(f"{portal}/secretariat/years/1/proof").text:
        time.sleep(0.1)
    return time.perf_counter() - began


def measure(members: int, count: int, base_port: int) -> list[tuple[str, str, str]]:
    process, urls = start(base_port)
    try:
        began = time.perf_counter()
        companies = load(urls, members)
        loaded = time.perf_counter() - began
        sample, questions = drawn_and_asked(urls, companies, 120)
        portal, secretariat_api = urls["portal"], {"Authorization": f"Bearer {TOKEN}"}
        secretariat = signed_in(portal, TOKEN)
        one = companies[len(companies) // 2]
        company, public, api = signed_in(portal, one["token"]), signed_in(portal, None), requests.Session()
        report_id = re.search(r'href="/reports/([^"]+)"', company.get(f"{portal}/company").text).group(1)
        pages = [
            ("secretariat", "overview, year 1", secretariat, f"{portal}/secretariat?year=1"),
            ("secretariat", "overview, year 1, missing", secretariat, f"{portal}/secretariat?year=1&status=missing"),
            ("secretariat", "overview as CSV", secretariat, f"{portal}/secretariat/members.csv?year=1"),
            ("secretariat", "a company's page", secretariat, f"{portal}/secretariat/companies/{one['id']}"),
            ("secretariat", f"verification, year 1 ({sample} drawn)", secretariat,
             f"{portal}/secretariat/years/1/verification"),
            ("secretariat", f"questions about suppliers ({questions} asked)", secretariat,
             f"{portal}/secretariat/questions"),
            ("secretariat", "cases (none filed)", secretariat, f"{portal}/secretariat/cases"),
            ("secretariat", "figures to release", secretariat, f"{portal}/secretariat/years/1/figures"),
            ("secretariat", "alerts", secretariat, f"{portal}/secretariat/alerts"),
            ("API", "GET /v1/assessments?covenant_year=1", api,
             f"{urls['scoring']}/v1/assessments?covenant_year=1"),
            ("API", "GET /v1/companies", api, f"{urls['submission']}/v1/companies"),
            ("company", "home", company, f"{portal}/company"),
            ("company", "notices", company, f"{portal}/notices"),
            ("company", "its report's assessments", company, f"{portal}/reports/{report_id}"),
            ("public", "home", public, f"{portal}/"),
        ]
        rows = []
        for role, name, session, url in pages:
            headers = secretariat_api if role == "API" else {}
            median, p95, size = timed(session, url, count, headers=headers)
            rows.append((role, name, f"{median:.0f} / {p95:.0f} ms, {size / 1024:.0f} KB"))
        rows.append(("secretariat", "figures check, asked to result", f"{proof_time(secretariat, portal):.2f} s"))

        busy, stop = [], threading.Event()

        def reload_overview():
            user = signed_in(portal, TOKEN)
            while not stop.is_set():
                began = time.perf_counter()
                user.get(f"{portal}/secretariat?year=1", timeout=300)
                busy.append((time.perf_counter() - began) * 1000)

        users = [threading.Thread(target=reload_overview) for _ in range(3)]
        for each in users:
            each.start()
        time.sleep(1)
        for role, name, session, url in [each for each in pages if each[0] in ("company", "public")]:
            median, p95, _ = timed(session, url, count)
            rows.append((role, f"{name}, while 3 secretariat users reload the overview", f"{median:.0f} / {p95:.0f} ms"))
        stop.set()
        for each in users:
            each.join()
        busy.sort()
        rows.append(("secretariat", "overview, each of 3 users at once",
                     f"{statistics.median(busy):.0f} / {busy[round(0.95 * (len(busy) - 1))]:.0f} ms"))
        rows.append(("-", "loading through the API", f"{loaded:.0f} s"))
        return rows
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[40])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--base-port", type=int, default=8600)  # below the ephemeral range (32768-)
    args = parser.parse_args()
    results = {members: measure(members, args.requests, args.base_port) for members in args.members}
    print(f"| role | page or endpoint (median / p95, size) | {' | '.join(str(each) for each in results)} |")
    print(f"| --- | --- | {' | '.join('---' for _ in results)} |")
    first = results[args.members[0]]
    for index, (role, name, _) in enumerate(first):
        print(f"| {role} | {name} | {' | '.join(results[each][index][2] for each in results)} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
