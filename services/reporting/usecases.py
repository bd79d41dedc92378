"""What the reporting service does, as plain functions taking their ports (no nameko).

Ports: `store` (SectorStore), `publication` (targets and disclosure rules), `scoring` and `submission`
(the other services: `latest_assessments`, `list_members`), used by the proof only.
"""
from __future__ import annotations

from dataclasses import dataclass

from common import errors, vocabulary
from common.logging import get_logger
from services.reporting import domain
from services.reporting.domain import PARTICIPATION

log = get_logger(__name__)
REGISTRATION = [1, 0]  # the ordinal of a registration, which is never replaced


@dataclass(frozen=True)
class Applied:
    covenant_year: int
    changed: bool


def apply_assessment(event_id: str, scored: dict, *, store) -> Applied:
    """Replaces the company's contribution to its year's figures with this assessment's; a redelivery, or
    an assessment older than the one applied, changes nothing."""
    changed = store.apply(
        scored["covenant_year"], scored["company"]["id"], scored["ordinal"],
        domain.contribution(scored["report"], scored["assessment"], scored["company"], scored["progress"]),
        event_id)
    log.info("assessment applied to the sector figures" if changed
             else "assessment already applied or superseded", report_id=scored["report_id"],
             ordinal=scored["ordinal"])
    return Applied(scored["covenant_year"], changed)


def apply_case(event_id: str, case: dict, ordinal: list[int], *, store) -> Applied:
    """Counts a complaints case in its covenant year's figures, as it now stands (once per step)."""
    decision = case.get("decision") or {}
    upheld = decision.get("outcome") in ("upheld", "upheld_in_part")
    state = case.get("to_state", "received")
    changed = store.apply(case["covenant_year"], domain.case_contributor(case["number"]), ordinal,
                          domain.case_contribution(case["kind"], state, upheld), event_id)
    return Applied(case["covenant_year"], changed)


def apply_verification(event_id: str, verified: dict, *, store) -> Applied:
    """Counts a sampled company's latest verification in its year's figures (once; a later record replaces
    an earlier one)."""
    changed = store.apply(verified["covenant_year"], domain.verification_contributor(verified["company_id"]),
                          verified["ordinal"], domain.verification_contribution(verified), event_id)
    return Applied(verified["covenant_year"], changed)


def count_member(event_id: str, company: dict, *, store) -> bool:
    """Counts a member company once; returns whether this call counted it."""
    return store.apply(PARTICIPATION, company["id"], REGISTRATION, domain.member_contribution(company), event_id)


def count_authority(event_id: str, authority: dict, *, store) -> bool:
    """Counts a contracting authority once; returns whether this call counted it."""
    return store.apply(PARTICIPATION, authority["id"], REGISTRATION, domain.authority_contribution(authority),
                       event_id)


def figures(covenant_year: int, *, store, publication) -> dict:
    """The published figures of a year; NotFound for a year with neither data nor targets."""
    counters = store.counters(covenant_year)
    targets = publication.targets_of(covenant_year)
    if counters is None and targets is None:
        raise errors.NotFound(f"No figures for covenant year {covenant_year}.")
    return domain.figures(covenant_year, counters or {}, store.counters(PARTICIPATION) or {}, targets,
                          publication.disclosure)


def prove(covenant_year: int, *, store, scoring, submission, complaints) -> dict:
    """Recomputes the year's counters from scoring's latest assessments, and participation from
    submission's members (a different path from the events), and compares them with the incremental
    state."""
    latest = scoring.latest_assessments(covenant_year)
    recomputed = domain.summed(
        domain.contribution(each["report"], each["assessment"], each["company"],
                            # a scoring instance not yet upgraded answers without `progress`
                            each.get("progress") or vocabulary.progress(each["assessment"]["criteria"]))
        for each in latest)
    verified = scoring.latest_verifications(covenant_year)
    recomputed = domain.summed([recomputed, *(domain.verification_contribution(each) for each in verified),
                                *(domain.case_contribution(each["kind"], each["state"], each["appeal_upheld"])
                                  for each in complaints.cases_of_year(covenant_year))])
    found = domain.differences(recomputed, store.counters(covenant_year) or {})
    members = submission.list_members()
    participation = domain.summed([domain.member_contribution(each) for each in members["companies"]] +
                                  [domain.authority_contribution(each) for each in members["authorities"]])
    found += domain.differences(participation, store.counters(PARTICIPATION) or {})
    if found:
        log.error("sector figures differ from a recomputation", covenant_year=covenant_year,
                  differences=len(found))
    return {"covenant_year": covenant_year, "reports": len(latest),
            "members": len(members["companies"]) + len(members["authorities"]),
            "agrees": not found, "differences": found}
