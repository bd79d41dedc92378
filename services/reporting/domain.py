"""Sector figures from per-company contributions. Pure: no nameko, no storage.

A contribution is a flat map of counter keys to numbers for one company's latest assessed report. The
sector figures are the sums of the contributions; a new version replaces its company's contribution by
adding the difference, so nothing is recomputed over all reports and nothing counts twice.
"""
from __future__ import annotations

from urllib.parse import quote, unquote

from common import covenant

SEP = ":"


def key(*parts) -> str:
    """A counter key, safe as a MongoDB field name (no '.', no leading '$')."""
    return SEP.join(quote(str(part), safe="").replace(".", "%2E") for part in parts)


def split(counter_key: str) -> list[str]:
    return [unquote(part) for part in counter_key.split(SEP)]


def contribution(report: dict, assessment: dict) -> dict[str, int]:
    """What one company's assessed report adds to its year's figures."""
    counters = {key("assessed"): 1, key("outcome", assessment["outcome"]): 1,
                key("band", "all", assessment["band"]): 1}
    if assessment["outcome"] == "compliant":
        counters[key("band", "compliant", assessment["band"])] = 1
    for requirement in assessment["requirements"]:
        if requirement["applicable"]:
            counters[key("requirement", requirement["code"], "applicable")] = 1
            if requirement["met"]:
                counters[key("requirement", requirement["code"], "met")] = 1
    return counters


def difference(new: dict[str, int], old: dict[str, int]) -> dict[str, int]:
    """What to add to the sums so that `old` is replaced by `new` (zero changes left out)."""
    changes = {name: new.get(name, 0) - old.get(name, 0) for name in new.keys() | old.keys()}
    return {name: change for name, change in changes.items() if change}


def figures(covenant_year: int, counters: dict[str, int]) -> dict:
    """The published figures of a year from its summed counters."""
    def count(*parts):
        return counters.get(key(*parts), 0)

    return {
        "covenant_year": covenant_year,
        "assessed_reports": count("assessed"),
        "outcomes": {outcome: count("outcome", outcome) for outcome in covenant.OUTCOMES},
        "bands": {
            "all": {band: count("band", "all", band) for band in covenant.BANDS},
            "compliant": {band: count("band", "compliant", band) for band in covenant.BANDS},
        },
        "requirements": {
            code: {"met": count("requirement", code, "met"), "applicable": count("requirement", code, "applicable")}
            for code in ("min_score", "chain_insight", "plan_of_approach", "core_questions")
        },
    }
