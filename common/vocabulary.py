"""The covenant's words, each defined once: every code the platform stores or sends, with its Dutch and
English label beside it, so that notices, pages and reports show words, never codes.

Validation (`Terms.codes`), events, notices, pages and the sector report all read from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

@dataclass(frozen=True)
class Term:
    code: str
    nl: str
    en: str

    def label(self, language: str) -> str:
        return getattr(self, language)


class Terms:
    """An ordered set of terms: `codes` for validation, `label(code, language)` for people."""

    def __init__(self, *terms: tuple[str, str, str]):
        self._terms = {code: Term(code, nl, en) for code, nl, en in terms}

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


LANGUAGES = Terms(("nl", "Nederlands", "Dutch"), ("en", "Engels", "English"))


def number(value, language: str) -> str:
    """A number as the language writes it: 47.8 in English, 47,8 in Dutch (no needless zeros: 20, not 20.0)."""
    text = f"{value:g}"
    return text.replace(".", ",") if language == "nl" else text

# --- the platform -----------------------------------------------------------------------------------

# The services, in the order they are started and listed; the portal is a client of the other four.
SERVICES = ("submission", "scoring", "notification", "reporting", "complaints", "portal")

# How far a submitted report has come through the platform: the stages its lag is measured at
# (trustone_pipeline_lag_seconds{stage=...}), each by the service that reaches it.
PIPELINE_STAGES = Terms(
    ("assessed", "beoordeeld", "assessed"),                                   # scoring
    ("receipt_noticed", "ontvangst bevestigd", "receipt noticed"),           # notification
    ("outcome_noticed", "beoordeling gemeld", "outcome noticed"),            # notification
    ("counted", "in de sectorcijfers", "in the sector figures"),             # reporting
)

# Who calls an endpoint.
SECRETARIAT, COMPANY, AUTHORITY, COMMISSION = "secretariat", "company", "authority", "commission"
CALLER_ROLES = Terms(
    (SECRETARIAT, "secretariaat", "secretariat"),
    (COMPANY, "onderneming", "company"),
    (AUTHORITY, "aanbestedende dienst", "contracting authority"),
    (COMMISSION, "klachten- en geschillencommissie", "complaints and disputes commission"),
)
# The commission's three seats (covenant §4.2.1).
COMMISSION_SEATS = Terms(
    ("chair", "onafhankelijk voorzitter", "independent chair"),
    ("employers", "lid namens de werkgevers", "member for the employers"),
    ("unions_and_ngos", "lid namens vakbonden en ngo's", "member for the trade unions and NGOs"),
)

# --- members ----------------------------------------------------------------------------------------

MEMBER_COUNTRIES = Terms(("NL", "Nederland", "Netherlands"), ("BE", "Vlaanderen", "Flanders"))
MEMBER_ROLES = Terms(("importer", "importeur", "importer"), ("processor", "verwerker", "processor"))

# --- the annual report (contract §1) ----------------------------------------------------------------

MATERIALS = Terms(
    ("basalt", "basalt", "basalt"), ("granite", "graniet", "granite"), ("limestone", "kalksteen", "limestone"),
    ("slate", "leisteen", "slate"), ("marble", "marmer", "marble"), ("sandstone", "zandsteen", "sandstone"),
)
RISK_THEMES = Terms(
    ("health_and_safety", "gezondheid en veiligheid", "health and safety"),
    ("living_wage", "leefbaar loon", "living wage"),
    ("forced_labour", "dwangarbeid", "forced labour"),
    ("child_labour", "kinderarbeid", "child labour"),
    ("freedom_of_association", "vrijheid van vakvereniging", "freedom of association"),
    ("environment", "milieu", "environment"),
    ("site_closure", "gedwongen sluiting van productielocaties", "forced closure of production sites"),
)
LEVELS = Terms(("low", "laag", "low"), ("medium", "gemiddeld", "medium"), ("high", "hoog", "high"))
RISK_SOURCES = Terms(
    ("site_visit", "bezoek ter plaatse", "site visit"),
    ("independent_audit", "onafhankelijke audit", "independent audit"),
    ("public_report", "openbaar rapport", "public report"),
    ("stakeholder_dialogue", "dialoog met belanghebbenden", "stakeholder dialogue"),
)
PRIORITISATIONS = Terms(
    ("severity_and_likelihood", "naar ernst en waarschijnlijkheid", "by severity and likelihood"),
    ("volume", "naar inkoopvolume", "by volume"),
    ("none", "niet geprioriteerd", "not prioritised"),
)
MITIGATION_KINDS = Terms(
    ("supplier_improvement", "verbetering bij een vaste leverancier", "improvement at a fixed supplier"),
    ("regional_project", "regionaal project", "regional project"),
    ("certification_programme", "certificeringsprogramma", "certification programme"),
)
EVIDENCE_KINDS = Terms(
    ("audit_report", "auditrapport", "audit report"), ("certificate", "certificaat", "certificate"),
    ("other", "anders", "other"),
)
SUPPLY_CHAIN_LINKS = Terms(
    ("direct_suppliers", "directe leveranciers", "direct suppliers"),
    ("factories", "fabrieken", "factories"),
    ("quarry_regions", "groevegebieden", "quarry regions"),
    ("quarries", "groeves", "quarries"),
)

# --- the assessment (contract §2) -------------------------------------------------------------------

STEPS = Terms(
    ("1", "Stap 1: beleid", "Step 1: policy"),
    ("2.1", "Stap 2.1: de keten in kaart", "Step 2.1: map the chain"),
    ("2.2", "Stap 2.2: risico's vaststellen", "Step 2.2: identify risks"),
    ("3", "Stap 3: risico's aanpakken", "Step 3: address risks"),
    ("4", "Stap 4: monitoren en evalueren", "Step 4: monitor and evaluate"),
    ("5", "Stap 5: communiceren", "Step 5: communicate"),
    ("6", "Stap 6: herstel", "Step 6: remediation"),
)
CRITERIA = Terms(
    ("policy_statement_adopted", "Beleidsverklaring vastgesteld", "Policy statement adopted"),
    ("policy_embedded_in_management", "Beleid verankerd in het management", "Policy embedded in management"),
    ("policy_shared_with_suppliers", "Beleid gedeeld met leveranciers", "Policy shared with suppliers"),
    ("direct_suppliers_known", "Directe leveranciers bekend", "Direct suppliers known"),
    ("factories_known", "Fabrieken bekend", "Factories known"),
    ("quarry_regions_known", "Groevegebieden bekend", "Quarry regions known"),
    ("quarries_known", "Groeves bekend", "Quarries known"),
    ("risk_reported", "Risico gerapporteerd", "Risk reported"),
    ("risk_independently_identified", "Risico onafhankelijk vastgesteld", "Risk identified independently"),
    ("risks_prioritised", "Risico's naar ernst en waarschijnlijkheid geprioriteerd",
     "Risks prioritised by severity and likelihood"),
    ("plan_of_approach", "Plan van aanpak", "Plan of approach"),
    ("supplier_improvement", "Verbetering bij leveranciers", "Supplier improvement"),
    ("regional_project", "Regionaal project", "Regional project"),
    ("certification_programme", "Certificeringsprogramma", "Certification programme"),
    ("systematic_monitoring", "Systematisch gemonitord", "Systematic monitoring"),
    ("effectiveness_evaluated", "Effectiviteit geëvalueerd", "Effectiveness evaluated"),
    ("public_report", "Publiek gecommuniceerd", "Public communication"),
    ("grievance_mechanism", "Klachtenmechanisme", "Grievance mechanism"),
)
REQUIREMENTS = Terms(
    ("min_score", "minimale due-diligencescore", "minimum due-diligence score"),
    ("chain_insight", "inzicht in de keten", "insight into the chain"),
    ("plan_of_approach", "plan van aanpak", "plan of approach"),
    ("core_questions", "kernvragen", "core questions"),
)
OUTCOMES = Terms(("compliant", "voldoet aan de eisen", "meets the requirements"),
                 ("needs_more_time", "heeft meer tijd nodig", "needs more time"))
# Score bands, lower bound inclusive.
BANDS = Terms(("<20", "onder 20 %", "below 20 %"), ("20-40", "20-40 %", "20-40 %"),
              ("40-60", "40-60 %", "40-60 %"), (">=60", "60 % en meer", "60 % and over"))
# What the sector figures count of a company's progress (report_scored v2 carries it per assessment), and
# the steps each rests on: scoring says it in words, so that no consumer reads step codes.
PROGRESS = Terms(
    ("policy_and_chain_mapping", "Stap 1 en 2.1 afgerond", "Steps 1 and 2.1 complete"),
)
PROGRESS_STEPS = {"policy_and_chain_mapping": ("1", "2.1")}


def progress(criteria: list[dict]) -> dict[str, bool]:
    """The progress an assessment's criteria show: each PROGRESS term met when all its steps' criteria are."""
    return {name: all(each["met"] for each in criteria if each["step"] in steps)
            for name, steps in PROGRESS_STEPS.items()}

# --- notices (contract §3) ---------------------------------------------------------------------------

NOTICE_KINDS = Terms(
    ("receipt", "ontvangstbevestiging", "receipt"),
    ("outcome", "beoordeling", "assessment"),
    ("extension", "uitstel", "extension"),
    ("extension_granted", "uitstel verleend", "extension granted"),
    ("now_compliant", "voldoet nu", "now compliant"),
    ("reminder", "herinnering", "reminder"),
    ("alert_needs_more_time", "signaal: meer tijd nodig", "alert: needs more time"),
    ("alert_missing", "signaal: rapportage ontbreekt", "alert: report missing"),
    ("alert_unknown_region", "signaal: onbekend groevegebied", "alert: unknown quarry region"),
    ("alert_unknown_state", "signaal: onbekende provincie of deelstaat", "alert: unknown province or state"),
    ("supplier_question", "vraag van een aanbestedende dienst", "question from a contracting authority"),
    ("report_sampled", "gekozen voor verificatie", "chosen for verification"),
    ("case_acknowledged", "ontvangst van uw melding", "receipt of your case"),
    ("case_received", "nieuwe zaak", "new case"),
    ("case_admissible", "zaak ontvankelijk", "case admissible"),
    ("case_decided", "uitspraak", "decision"),
    ("case_time_limit", "termijn loopt af", "time limit about to pass"),
    ("token_replaced", "aanmeldcode vervangen", "sign-in code replaced"),
    ("commission_seat_awaiting", "zetel wacht op bevestiging", "seat awaiting confirmation"),
)

# --- what a contracting authority learns of a supplier (covenant §4.1.1) --------------------------------

# When a member reported for a year, against its dates.
REPORTING_TIMES = Terms(
    ("on_time", "op tijd", "on time"),
    ("by_catch_up_date", "na de uiterste datum, vóór de inhaaldatum", "after the due date, by the catch-up date"),
    ("by_own_date", "vóór de eigen datum die het secretariaat verleende", "by its own date granted by the secretariat"),
    ("late", "na alle data", "after every date"),
    ("not_reported", "niet gerapporteerd", "not reported"),
    ("not_yet_due", "nog niet verplicht", "not yet due"),
)

# --- complaints and disputes (covenant §4.2.1) ------------------------------------------------------------

CASE_KINDS = Terms(
    ("complaint", "klacht over een lid of zijn keten", "complaint about a member or its supply chain"),
    ("dispute", "geschil tussen partijen van het convenant", "dispute between parties to the covenant"),
    ("secretariat_matter", "probleem tussen een onderneming en het secretariaat",
     "problem between a company and the secretariat"),
    ("assessment_appeal", "bezwaar tegen een beoordeling", "appeal against an assessment"),
)
CASE_STATES = Terms(
    ("received", "ontvangen", "received"),
    ("acknowledged", "bevestigd", "acknowledged"),
    ("admissibility_decided", "ontvankelijkheid beslist", "admissibility decided"),
    ("in_mediation", "in bemiddeling", "in mediation"),
    ("in_investigation", "in onderzoek", "under investigation"),
    ("decided", "uitspraak gedaan", "decided"),
    ("closed", "gesloten", "closed"),
)
APPEAL_DECISIONS = Terms(
    ("upheld", "gegrond", "upheld"), ("upheld_in_part", "gedeeltelijk gegrond", "upheld in part"),
    ("rejected", "ongegrond", "rejected"),
)

# --- verifying what companies report (covenant §4.2.1) ---------------------------------------------------

VERIFICATION_RESULTS = Terms(
    ("confirmed", "bevestigd", "confirmed"),
    ("corrected", "gecorrigeerd", "corrected"),
)
