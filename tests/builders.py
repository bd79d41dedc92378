"""Reports and companies for tests, built from a blank report that meets nothing."""
from __future__ import annotations

import copy
import uuid

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
