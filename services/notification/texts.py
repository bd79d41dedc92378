"""What notices say, in English (the source text) and, through the service's catalog
(translations/nl/LC_MESSAGES/messages.po), in Dutch. The domain decides which notice goes to whom; this module
only words it."""
from __future__ import annotations

from pathlib import Path

from common import i18n
from common.i18n import N_

WORDS = i18n.Catalog(Path(__file__).resolve().parent, fallback=i18n.COMMON)

# kind -> (subject, body); fields in braces are filled in per notice, each in the notice's language.
TEMPLATES = {
    "receipt": (
        N_("Receipt of your annual report, year {year}"),
        N_("We received version {version} of your due-diligence report for covenant year {year}. The assessment "
           "follows.")),
    "outcome": (
        N_("Assessment of your annual report, year {year}"),
        N_("Version {version} of your report for covenant year {year} scores {score} %: your company {outcome}. "
           "{to_fix}")),
    "extension": (
        N_("Extension to {date} for year {year}"),
        N_("Your report for covenant year {year} does not yet meet the requirements. You have until {date} to "
           "submit a report that does.")),
    "extension_granted": (
        N_("Extension granted to {date} for year {year}"),
        N_("The secretariat granted you an extension: your report for covenant year {year} is due by {date}.")),
    "now_compliant": (
        N_("Your report for year {year} now meets the requirements"),
        N_("With version {version}, your report for covenant year {year} meets the requirements.")),
    "reminder": (
        N_("Reminder: report for year {year} due by {date}"),
        N_("We have not yet received a report for covenant year {year} that meets the requirements. It is due by "
           "{date}: {days_left}.")),
    "alert_needs_more_time": (
        N_("Alert: {company} needs more time (year {year})"),
        N_("Version {version} of the report of {company} for covenant year {year} scores {score} % and does not "
           "yet meet the requirements. Not met: {failed}.")),
    "supplier_question": (
        N_("{authority} asked about your reporting"),
        N_("{authority} (a contracting authority) asked on {date} whether your company reported for the covenant "
           "years, when, and with what outcome. Your score, your report and the assessment itself are never "
           "shared.")),
    "report_sampled": (
        N_("Your report for year {year} will be verified"),
        N_("Your report for covenant year {year} was chosen for the verification of what companies report. The "
           "secretariat will contact you.")),
    "case_acknowledged": (
        N_("Your case {number} has been received"),
        N_("The complaints and disputes commission of the TruStone covenant received your case as number "
           "{number}. With this number and the code you were given when you filed it, you can follow it.")),
    "case_received": (
        N_("New case {number}: {case_kind}"),
        N_("Case {number} ({case_kind}) was filed. Its first step is due by {deadline}.")),
    "case_admissible": (
        N_("A case about your company is admissible: {number}"),
        N_("The complaints and disputes commission found case {number} ({case_kind}) about your company "
           "admissible. {asked}")),
    "case_decided": (
        N_("Decision in case {number}"),
        N_("The complaints and disputes commission decided case {number} ({case_kind}). {outcome}")),
    "case_message": (
        N_("The commission wrote to you about case {number}"),
        N_("The complaints and disputes commission wrote to you about case {number} ({case_kind}). Read its "
           "message on the case's page in the portal; you can answer it there.")),
    "case_time_limit": (
        N_("The time limit of case {number} passes on {deadline}"),
        N_("Case {number} ({case_kind}) is {state}; this step's time limit passes on {deadline}.")),
    "alert_unknown_state": (
        N_("Unknown name of a province or state: {state} ({country})"),
        N_("A company wrote the province or state ‘{state}’ ({country}) for the quarry region ‘{region}’ in its "
           "report for covenant year {year}; nobody knows that name yet. Say in the portal which province or "
           "state it is: then the sector figures count the regions written with it there.")),
    "alert_unknown_region": (
        N_("New name of a quarry region: {region} ({place})"),
        N_("A company named the quarry region ‘{region}’ ({place}) in its report for covenant year {year}; it is "
           "not yet in the list of quarry regions. The sector figures count it as written. Add it in the portal "
           "as a new region, or as another spelling of a known one: then the figures count it there.")),
    "token_replaced": (
        N_("Your sign-in code was replaced"),
        N_("On {date}, {by} made a new sign-in code for {name}; the previous code no longer works. If you did not "
           "ask for this, contact {whom} at once.")),
    "commission_seat_awaiting": (
        N_("A new seat awaits confirmation: {name}"),
        N_("The secretariat registered {name} as {seat} on the complaints and disputes commission. The seat "
           "counts only once the chair confirms it in the portal; only then does the member get a sign-in code. "
           "If the commission does not know this member, do not confirm the seat.")),
    "alert_missing": (
        N_("Alert: reports for year {year} missing after {date}: {companies_count}"),
        N_("After {date}, a report that meets the requirements is still missing from: {companies}.")),
}

TO_FIX = N_("To meet the requirements, improve: {requirements}. The assessment in the portal says why for each.")
ASKED = N_("You are asked to answer the case: read what it is about in the portal.")
APPEAL_OUTCOME = N_("Your appeal is {outcome}.")
# Who replaced a member's sign-in code, and whom to tell if the member did not ask for it.
REPLACED_BY = {"secretariat": N_("the secretariat"),
               "chair": N_("the chair of the complaints and disputes commission"),
               "self": N_("you yourself")}
TO_CONTACT = {"secretariat": N_("the secretariat"), "chair": N_("the commission's chair"),
              "operators": N_("the platform's operators")}


IN_DAYS, TOMORROW = N_("{days} days from today"), N_("tomorrow")
ONE_COMPANY, COMPANIES = N_("1 company"), N_("{count} companies")


def company_count(count: int) -> i18n.Said:
    """A number of companies in words: "1 company", "3 companies"."""
    return said(ONE_COMPANY) if count == 1 else said(COMPANIES, count=count)


def in_days(days: int) -> i18n.Said:
    """How far off a date is, in words: "tomorrow", or "16 days from today"."""
    return said(TOMORROW) if days == 1 else said(IN_DAYS, days=days)


def said(text: str, **values) -> i18n.Said:
    """A text of this module as a value of a notice: said in whichever language the notice is written in."""
    return lambda language: WORDS.said(text, language, **values)


def written(kind: str, year: int | None, **values) -> dict[str, dict[str, str]]:
    """A notice of `kind` in every language: {language: {"subject", "body"}}, its fields filled in with
    `values` (each said in that language) and the covenant year."""
    subject, body = TEMPLATES[kind]
    return {language: {"subject": WORDS.said(subject, language, year=year, **values),
                       "body": WORDS.said(body, language, year=year, **values).strip()} for language in i18n.LANGUAGES}
