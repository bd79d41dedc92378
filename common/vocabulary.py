"""The covenant's words, each defined once: every code the platform stores or sends, with its English label
beside it, so that notices, pages and reports show words, never codes. The Dutch of each label is in
common's catalog (`common/translations/nl/LC_MESSAGES/messages.po`; see common.i18n).

Validation (`Terms.codes`), events, notices, pages and the sector report all read from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from common.i18n import COMMON, N_


@dataclass(frozen=True)
class Term:
    code: str
    text: str  # its label in English, the source text of the catalogs

    def label(self, language: str) -> str:
        return COMMON.gettext(self.text, language)


class Terms:
    """An ordered set of terms: `codes` for validation, `label(code, language)` for people."""

    def __init__(self, *terms: tuple[str, str]):
        self._terms = {code: Term(code, text) for code, text in terms}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms.values())

    def __contains__(self, code) -> bool:
        return code in self._terms

    def __len__(self) -> int:
        return len(self._terms)

    def label(self, code: str, language: str) -> str:
        """The word for `code`; an unknown code is shown as it is rather than hidden."""
        term = self._terms.get(code)
        return term.label(language) if term else str(code)

    def labels(self, language: str) -> dict[str, str]:
        return {term.code: term.label(language) for term in self}


LANGUAGES = Terms(("nl", N_("Dutch")), ("en", N_("English")))


def number(value, language: str) -> str:
    """A number as the language writes it: 47.8 in English, 47,8 in Dutch (no needless zeros: 20, not 20.0)."""
    text = f"{value:g}"
    return text.replace(".", ",") if language == "nl" else text

# --- the platform -----------------------------------------------------------------------------------

# The services, in the order they are started and listed; the portal is a client of the other four.
SERVICES = ("submission", "scoring", "notification", "reporting", "complaints", "attestation", "portal")

# How far a submitted report has come through the platform: the stages its lag is measured at
# (trustone_pipeline_lag_seconds{stage=...}), each by the service that reaches it.
PIPELINE_STAGES = Terms(
    ("assessed", N_("assessed")),                        # scoring
    ("receipt_noticed", N_("receipt noticed")),          # notification
    ("outcome_noticed", N_("outcome noticed")),          # notification
    ("counted", N_("in the sector figures")),            # reporting
)

# Who calls an endpoint.
SECRETARIAT, COMPANY, AUTHORITY, COMMISSION = "secretariat", "company", "authority", "commission"
CALLER_ROLES = Terms(
    (SECRETARIAT, N_("secretariat")),
    (COMPANY, N_("company")),
    (AUTHORITY, N_("contracting authority")),
    (COMMISSION, N_("complaints and disputes commission")),
)
# The commission's three seats (covenant §4.2.1).
COMMISSION_SEATS = Terms(
    ("chair", N_("independent chair")),
    ("employers", N_("member for the employers")),
    ("unions_and_ngos", N_("member for the trade unions and NGOs")),
)

# --- members ----------------------------------------------------------------------------------------

MEMBER_COUNTRIES = Terms(("NL", N_("Netherlands")), ("BE", N_("Flanders")))
MEMBER_ROLES = Terms(("importer", N_("importer")), ("processor", N_("processor")))

# --- the annual report (contract §1) ----------------------------------------------------------------

MATERIALS = Terms(
    ("basalt", N_("basalt")), ("granite", N_("granite")), ("limestone", N_("limestone")),
    ("slate", N_("slate")), ("marble", N_("marble")), ("sandstone", N_("sandstone")),
)
RISK_THEMES = Terms(
    ("health_and_safety", N_("health and safety")),
    ("living_wage", N_("living wage")),
    ("forced_labour", N_("forced labour")),
    ("child_labour", N_("child labour")),
    ("freedom_of_association", N_("freedom of association")),
    ("environment", N_("environment")),
    ("site_closure", N_("forced closure of production sites")),
)
LEVELS = Terms(("low", N_("low")), ("medium", N_("medium")), ("high", N_("high")))
RISK_SOURCES = Terms(
    ("site_visit", N_("site visit")),
    ("independent_audit", N_("independent audit")),
    ("public_report", N_("public report")),
    ("stakeholder_dialogue", N_("stakeholder dialogue")),
)
PRIORITISATIONS = Terms(
    ("severity_and_likelihood", N_("by severity and likelihood")),
    ("volume", N_("by volume")),
    ("none", N_("not prioritised")),
)
MITIGATION_KINDS = Terms(
    ("supplier_improvement", N_("improvement at a fixed supplier")),
    ("regional_project", N_("regional project")),
    ("certification_programme", N_("certification programme")),
)
EVIDENCE_KINDS = Terms(
    ("audit_report", N_("audit report")), ("certificate", N_("certificate")),
    ("other", N_("other")),
)
SUPPLY_CHAIN_LINKS = Terms(
    ("direct_suppliers", N_("direct suppliers")),
    ("factories", N_("factories")),
    ("quarry_regions", N_("quarry regions")),
    ("quarries", N_("quarries")),
)

# --- the assessment (contract §2) -------------------------------------------------------------------

STEPS = Terms(
    ("1", N_("Step 1: policy")),
    ("2.1", N_("Step 2.1: map the chain")),
    ("2.2", N_("Step 2.2: identify risks")),
    ("3", N_("Step 3: address risks")),
    ("4", N_("Step 4: monitor and evaluate")),
    ("5", N_("Step 5: communicate")),
    ("6", N_("Step 6: remediation")),
)
CRITERIA = Terms(
    ("policy_statement_adopted", N_("Policy statement adopted")),
    ("policy_embedded_in_management", N_("Policy embedded in management")),
    ("policy_shared_with_suppliers", N_("Policy shared with suppliers")),
    ("direct_suppliers_known", N_("Direct suppliers known")),
    ("factories_known", N_("Factories known")),
    ("quarry_regions_known", N_("Quarry regions known")),
    ("quarries_known", N_("Quarries known")),
    ("risk_reported", N_("Risk reported")),
    ("risk_independently_identified", N_("Risk identified independently")),
    ("risks_prioritised", N_("Risks prioritised by severity and likelihood")),
    ("plan_of_approach", N_("Plan of approach")),
    ("supplier_improvement", N_("Supplier improvement")),
    ("regional_project", N_("Regional project")),
    ("certification_programme", N_("Certification programme")),
    ("systematic_monitoring", N_("Systematic monitoring")),
    ("effectiveness_evaluated", N_("Effectiveness evaluated")),
    ("public_report", N_("Public communication")),
    ("grievance_mechanism", N_("Grievance mechanism")),
)
REQUIREMENTS = Terms(
    ("min_score", N_("minimum due-diligence score")),
    ("chain_insight", N_("insight into the chain")),
    ("plan_of_approach", N_("plan of approach")),
    ("core_questions", N_("core questions")),
)
OUTCOMES = Terms(("compliant", N_("meets the requirements")),
                 ("needs_more_time", N_("needs more time")))
# Score bands, lower bound inclusive.
BANDS = Terms(("<20", N_("below 20 %")), ("20-40", N_("20-40 %")),
              ("40-60", N_("40-60 %")), (">=60", N_("60 % and over")))
# What the sector figures count of a company's progress (report_scored v2 carries it per assessment), and
# the steps each rests on: scoring says it in words, so that no consumer reads step codes.
PROGRESS = Terms(
    ("policy_and_chain_mapping", N_("Steps 1 and 2.1 complete")),
)
PROGRESS_STEPS = {"policy_and_chain_mapping": ("1", "2.1")}


def progress(criteria: list[dict]) -> dict[str, bool]:
    """The progress an assessment's criteria show: each PROGRESS term met when all its steps' criteria are."""
    return {name: all(each["met"] for each in criteria if each["step"] in steps)
            for name, steps in PROGRESS_STEPS.items()}

# --- notices (contract §3) ---------------------------------------------------------------------------

NOTICE_KINDS = Terms(
    ("receipt", N_("receipt")),
    ("outcome", N_("assessment")),
    ("extension", N_("extension")),
    ("extension_granted", N_("extension granted")),
    ("now_compliant", N_("now compliant")),
    ("reminder", N_("reminder")),
    ("alert_needs_more_time", N_("alert: needs more time")),
    ("alert_missing", N_("alert: report missing")),
    ("alert_unknown_region", N_("alert: unknown quarry region")),
    ("alert_unknown_state", N_("alert: unknown province or state")),
    ("supplier_question", N_("question from a contracting authority")),
    ("report_sampled", N_("chosen for verification")),
    ("case_acknowledged", N_("receipt of your case")),
    ("case_received", N_("new case")),
    ("case_admissible", N_("case admissible")),
    ("case_decided", N_("decision")),
    ("case_message", N_("message from the commission")),
    ("case_time_limit", N_("time limit about to pass")),
    ("token_replaced", N_("sign-in code replaced")),
    ("commission_seat_awaiting", N_("seat awaiting confirmation")),
)

# --- what a contracting authority learns of a supplier (covenant §4.1.1) --------------------------------

# When a member reported for a year, against its dates.
REPORTING_TIMES = Terms(
    ("on_time", N_("on time")),
    ("by_catch_up_date", N_("after the due date, by the catch-up date")),
    ("by_own_date", N_("by its own date granted by the secretariat")),
    ("late", N_("after every date")),
    ("not_reported", N_("not reported")),
    ("not_yet_due", N_("not yet due")),
)

# --- complaints and disputes (covenant §4.2.1) ------------------------------------------------------------

CASE_KINDS = Terms(
    ("complaint", N_("complaint about a member or its supply chain")),
    ("dispute", N_("dispute between parties to the covenant")),
    ("secretariat_matter", N_("problem between a company and the secretariat")),
    ("assessment_appeal", N_("appeal against an assessment")),
)
CASE_STATES = Terms(
    ("received", N_("received")),
    ("acknowledged", N_("acknowledged")),
    ("admissibility_decided", N_("admissibility decided")),
    ("in_mediation", N_("in mediation")),
    ("in_investigation", N_("under investigation")),
    ("decided", N_("decided")),
    ("closed", N_("closed")),
)
APPEAL_DECISIONS = Terms(
    ("upheld", N_("upheld")), ("upheld_in_part", N_("upheld in part")),
    ("rejected", N_("rejected")),
)

# --- verifying what companies report (covenant §4.2.1) ---------------------------------------------------

VERIFICATION_RESULTS = Terms(
    ("confirmed", N_("confirmed")),
    ("corrected", N_("corrected")),
)
