"""What the figures check (the proof) asks of scoring's read model, page by page, as companies grow: each
company's latest assessed version of a year, 25 companies a page after the last one seen
(`ScoringStore.latest_of_year`, a range on `company_id` under `covenant_year`, sorted, limited), on the
in-process engine (or MongoDB: --mongo-uri).

    .venv/bin/python benchmarks/year_pages.py [--companies 5000] [--page 25] [--mongo-uri mongodb://.../bench]

Prints, per N, the time of one walk through every page (the proof's walk), a page's median, and the same
for an equality lookup of one company (the cheapest query the read model answers), as a yardstick. One run
on a shared machine: read the figures as +-30 %.
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid

from common.mongo import database
from services.scoring.dependencies import ScoringStore


def filled(uri: str, companies: int) -> ScoringStore:
    store = ScoringStore(database(uri, f"bench_{uuid.uuid4().hex[:8]}"))
    store.ensure_indexes()
    for year in (1, 2):  # two years of reports, as on the platform: a page reads one of them
        store.latest.insert_many([
            {"_id": f"{year}:company-{number:05d}", "covenant_year": year, "company_id": f"company-{number:05d}",
             "report_id": f"report-{year}-{number}", "version": 1,
             "assessed": {"id": f"report-{year}-{number}:1:1", "framework_version": 1, "correction": 0,
                          "score": 70, "band": "B", "outcome": "passed"}}
            for number in range(companies)])
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, nargs="+", default=[5000])
    parser.add_argument("--page", type=int, default=25)
    parser.add_argument("--mongo-uri", default="mongomock://localhost/bench")
    arguments = parser.parse_args()
    print(f"{'companies':>9} | {'walk (all pages)':>16} | {'page median':>11} | {'one company':>11}")
    for companies in arguments.companies:
        store = filled(arguments.mongo_uri, companies)
        pages, after, started = [], None, time.perf_counter()
        while True:
            began = time.perf_counter()
            page = store.latest_of_year(1, after=after, limit=arguments.page)
            pages.append(time.perf_counter() - began)
            if not page:
                break
            after = page[-1]["company_id"]
        walk = time.perf_counter() - started
        assert len(pages) - 1 == -(-companies // arguments.page)
        lookups = []
        for number in range(0, companies, max(1, companies // 50)):
            began = time.perf_counter()
            store.latest.find_one({"covenant_year": 1, "company_id": f"company-{number:05d}"})
            lookups.append(time.perf_counter() - began)
        print(f"{companies:>9} | {walk * 1000:>13.0f} ms | {statistics.median(pages) * 1000:>8.2f} ms | "
              f"{statistics.median(lookups) * 1000:>8.2f} ms")


if __name__ == "__main__":
    main()
