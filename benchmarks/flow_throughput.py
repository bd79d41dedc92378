"""Reports through the whole platform: submission latency and end-to-end throughput.

    python benchmarks/flow_throughput.py [--reports 300] [--companies 100]

Against the services that deploy/config.yaml points at (start them first: `scripts/run`, or each service
with `nameko run` on RabbitMQ). Registers companies, submits their year-1 reports (first versions, then
new versions for the rest), and prints the submission latency (p50, p95), the rate at which reports were
accepted, and the time until the sector figures counted every one.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path

import requests

from common.settings import Settings, load_config

EXAMPLE = json.loads((Path(__file__).resolve().parent.parent / "examples" / "report.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--companies", type=int, default=100)
    args = parser.parse_args()
    settings = Settings.from_config(load_config())
    address = settings.local_urls()
    secretariat = {"Authorization": f"Bearer {settings.secretariat_token}"}
    session = requests.Session()
    before = session.get(f"{address['reporting']}/v1/sector/1").json()
    already = before.get("assessed_reports", 0) if isinstance(before, dict) else 0
    tokens, run = [], uuid.uuid4().hex[:8]  # each run its own names: a member's name is registered once
    for number in range(args.companies):
        created = session.post(f"{address['submission']}/v1/companies", headers=secretariat, json={
            "name": f"Benchmark {run} {number}", "country": "NL", "role": "importer", "imports_directly": True,
            "joined_on": "2019-10-01", "language": "nl", "email": f"bench{number}@example.nl"}).json()
        tokens.append(created["token"])
    latencies = []
    started = time.perf_counter()
    for number in range(args.reports):
        report = {**EXAMPLE, "chains": number % 60}
        sent = time.perf_counter()
        answer = session.post(f"{address['submission']}/v1/reports", json=report,
                              headers={"Authorization": f"Bearer {tokens[number % len(tokens)]}"})
        latencies.append(time.perf_counter() - sent)
        assert answer.status_code == 202, answer.text
    accepted = time.perf_counter() - started
    expected = already + min(args.companies, args.reports)
    applied = f"{address['reporting']}/metrics"
    while True:  # every version, first or later, is applied once
        text = session.get(applied, headers={"Authorization": f"Bearer {settings.metrics_token}"}).text
        done = sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("trustone_contributions_applied_total"))
        if done >= args.reports or time.perf_counter() - started > 600:
            break
        time.sleep(0.05)
    through = time.perf_counter() - started
    figures = session.get(f"{address['reporting']}/v1/sector/1").json()
    latencies.sort()
    print(f"{args.reports} reports from {args.companies} companies on {settings.amqp_uri.split('//')[0]}// "
          f"and {settings.mongo_uri.split('//')[0]}//")
    print(f"submission latency: p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms")
    print(f"accepted: {args.reports / accepted:.1f} reports/s; "
          f"scored, noticed and counted: {args.reports / through:.1f} reports/s ({through:.1f} s)")
    print(f"sector figures count {figures['assessed_reports']} companies (expected {expected})")


if __name__ == "__main__":
    main()
