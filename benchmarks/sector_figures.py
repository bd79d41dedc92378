"""The sector figures' cost as companies grow: applying a contribution and reading the figures, beside a
full recomputation, on the in-process engine (or MongoDB: --mongo-uri), with the largest documents' sizes.

    python benchmarks/sector_figures.py [--companies 1000 10000 100000] [--mongo-uri mongodb://.../bench]

Each company contributes what a typical year-1 report does (examples/report.json, varied); applying is a
new version of one company's report (its contribution replaced, the difference added to its shard);
reading is the year's published figures; recomputing is summing every company's contribution, as the
proof does.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path

import bson

from common.mongo import database
from common.settings import Settings, load_config
from services.reporting import usecases
from services.reporting.dependencies import Publication, SectorStore
from services.reporting.domain import Disclosure, summed
from services.scoring.dependencies import SHIPPED_FRAMEWORKS
from services.scoring.domain import assess, load_frameworks, report_scored

EXAMPLE = json.loads((Path(__file__).resolve().parent.parent / "examples" / "report.json").read_text())
COUNTRIES = ("IN", "CN", "VN", "PT", "IT", "TR", "BR", "ES", "DE", "FR")


class Publisher:
    def new(self, event_type, data):
        from common.events import new_event
        return new_event(event_type, data, producer="benchmark", correlation_id="benchmark")

    def publish(self, event):
        pass


FRAMEWORK = load_frameworks(SHIPPED_FRAMEWORKS)[1]


def scored(number: int, version: int) -> dict:
    """report_scored's data for a version of company `number`'s report, as scoring makes it."""
    report = {**EXAMPLE, "chains": (number + version) % 60,
              "production_countries": list(COUNTRIES[number % 4: number % 4 + 4])}
    company = {"id": f"company-{number}", "name": f"Company {number}", "country": "NL", "role": "importer",
               "imports_directly": True, "joined_on": "2019-10-01", "language": "nl",
               "email": f"company-{number}@example.nl"}
    submitted = {"report_id": f"report-{number}", "version": version, "previous_version": version - 1 or None,
                 "covenant_year": 1, "submitted_at": "2020-12-01T10:00:00+00:00", "company": company,
                 "report": report}
    return report_scored(submitted, FRAMEWORK, assess(report, company, FRAMEWORK), None)


def milliseconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(companies: int, uri: str) -> dict:
    store = SectorStore(database(uri.replace("{run}", uuid.uuid4().hex[:8]), "reporting"))
    store.ensure_indexes()
    publisher, publication = Publisher(), Publication({1: {}}, Disclosure.configured(Settings.from_config(load_config())))
    started = time.perf_counter()
    for number in range(companies):
        usecases.apply_assessment(f"fill-{number}", scored(number, 1), store=store, publisher=publisher)
    filled = time.perf_counter() - started
    versions = iter(range(2, 10_000))
    apply = milliseconds(lambda: usecases.apply_assessment(
        uuid.uuid4().hex, scored(companies // 2, next(versions)), store=store, publisher=publisher), 50)
    read = milliseconds(lambda: usecases.figures(1, store=store, publication=publication), 20)
    recompute = milliseconds(lambda: summed(each["counters"] for each in store.contributions.find({"figures": 1})), 3)
    largest_shard = max(len(bson.encode(each)) for each in store.shards.find({"figures": 1}))
    contribution = len(bson.encode(store.contributions.find_one({"figures": 1})))
    return {"companies": companies, "fill_s": filled, "apply_ms": apply, "read_ms": read,
            "recompute_ms": recompute, "largest_shard_kb": largest_shard / 1024,
            "contribution_kb": contribution / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--mongo-uri", default="mongomock://localhost/bench_{run}")
    args = parser.parse_args()
    print("| companies | apply (ms) | read (ms) | recompute (ms) | recompute / read | largest shard (KB) "
          "| a contribution (KB) | filled in (s) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for companies in args.companies:
        found = measure(companies, args.mongo_uri)
        print(f"| {found['companies']:,} | {found['apply_ms']:.2f} | {found['read_ms']:.2f} | "
              f"{found['recompute_ms']:.0f} | {found['recompute_ms'] / found['read_ms']:,.0f} | "
              f"{found['largest_shard_kb']:.1f} | {found['contribution_kb']:.1f} | {found['fill_s']:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
