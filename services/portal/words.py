"""The portal's words: its catalog (English, the source text, in the templates and code; Dutch in
translations/nl/LC_MESSAGES/messages.po, falling back on common's for the covenant's words), and the words of
every refusal the services give, from its code and parameters (common.problems), never from its message.

The services' messages speak to programs ("Field may not be null."); a page speaks to people ("Fill this
in."), in their language, and names no code a person did not see.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from common import i18n, places, problems, vocabulary
from common.i18n import N_

WORDS = i18n.Catalog(Path(__file__).resolve().parent, fallback=i18n.COMMON)

Worded = tuple[str, dict]  # a text of the catalog and its values (each a value, or a function of the language)
INVALID = N_("This is not a valid value.")
TYPES = {"object": N_("This is not a valid group of fields."), "list": N_("This is not a valid list."),
         "text": N_("Enter text."), "integer": N_("Enter a whole number."), "number": N_("Enter a number."),
         "boolean": N_("Choose yes or no."), "date": N_("Enter a real date.")}


def _labels(terms: vocabulary.Terms, codes, joined: dict[str, str]) -> i18n.Said:
    """Codes of the vocabulary named in the reader's language, joined (", ", or " or " as `joined` says)."""
    return lambda language: WORDS.gettext(joined["text"], language).join(
        terms.label(code, language) for code in codes)


_COMMA = {"text": ", "}
_OR = {"text": N_(" or ")}


def _day(value) -> i18n.Said | object:
    """An ISO date as people write it, in the reader's language; anything else as it is."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    return lambda language: i18n.day(day, language)


def _range(params: dict) -> Worded:
    low, high = params.get("min"), params.get("max")
    low_inclusive, high_inclusive = params.get("min_inclusive", True), params.get("max_inclusive", True)
    values = {"min": _day(low), "max": _day(high)}
    if low is not None and high is not None and low_inclusive and high_inclusive:
        return N_("Enter a value from {min} to {max}."), values
    parts = []
    if low is not None:
        parts.append(N_("{min} or more") if low_inclusive else N_("more than {min}"))
    if high is not None:
        parts.append(N_("{max} or less") if high_inclusive else N_("less than {max}"))
    bounds = (lambda language: WORDS.said(N_("{low} and {high}"), language,
                                          low=WORDS.said(parts[0], language, **values),
                                          high=WORDS.said(parts[1], language, **values))) if len(parts) == 2 \
        else (lambda language: WORDS.said(parts[0], language, **values)) if parts else ""
    return N_("Enter {bounds}."), {"bounds": bounds}


def _file(params: dict, one: str, numbered: str) -> Worded:
    return (numbered if params.get("file") else one), params


def _already_a_name(params: dict) -> Worded:
    state, country = params.get("state"), params.get("country")
    if params.get("region"):
        return N_("This is already a name of {region} ({where})."), {
            "region": params["region"],
            "where": lambda language: places.state_label(state, language) or places.country_name(country, language)}
    return N_("This is already a name of {state}."), {"state": lambda language: places.state_label(state, language)}


def _wait(text: str, unit: str, one: str, many: str) -> Callable[[dict], Worded]:
    """A refusal that says how long to wait, in proper plurals ("1 minute", "20 minutes")."""
    def words(params: dict) -> Worded:
        count = params.get(unit)
        return text, {"wait": (lambda language: WORDS.said(one, language)) if count == 1 else
                      (lambda language: WORDS.said(many, language, count=count))}
    return words


def _move(params: dict) -> Worded:
    state = _labels(vocabulary.CASE_STATES, [params.get("state")], _COMMA)
    if not params.get("allowed"):
        return N_("A case that is {state} cannot move on."), {"state": state}
    return N_("A case that is {state} can move to: {allowed}."), {
        "state": state, "allowed": _labels(vocabulary.CASE_STATES, params["allowed"], _COMMA)}


# Each code (common.problems) and its words: a text of the catalog (its `{fields}` filled in with the
# problem's parameters), or a function of the parameters giving a text and its values.
PROBLEMS: dict[str, str | Callable[[dict], Worded]] = {
    "required": N_("Fill this in."),
    "null": N_("Fill this in."),
    "unknown_field": N_("This field is not known."),
    "invalid": INVALID,
    "type": lambda params: (TYPES.get(params.get("expected"), INVALID), {}),
    "too_large": N_("This number is too large."),
    "not_finite": N_("Enter a number."),
    "min_length": lambda params: (N_("Fill this in."), {}) if params.get("min") == 1 else
    (N_("Too short: use at least {min} characters."), params),
    "max_length": N_("Too long: use at most {max} characters."),
    "length": N_("Use exactly {equal} characters."),
    "range": _range,
    "one_of": N_("Choose one of the options."),
    "pattern": N_("This is not written in the expected form."),
    "email": N_("Enter an e-mail address like name@example.nl."),
    "url": N_("Enter a web address."),
    "https_url": N_("Enter a web address starting with https://."),
    "country": N_("Choose a country."),
    "duplicate": lambda params: ({"country": N_("This country is listed twice."),
                                  "quarry_region": N_("This quarry region is listed twice.")}.get(
                                      params.get("what"), N_("This is listed twice.")), {}),
    "bidi_controls": N_("Remove the invisible characters that change the direction of the text."),
    "control_characters": lambda params: (N_("Use letters, digits, spaces and line breaks only.")
                                          if params.get("line_breaks") else N_("Use letters, digits and spaces only."),
                                          {}),
    "looks_like_member": N_("Looks the same as the name of a member already registered, {member}, but is written "
                            "with other characters. If it is that member, it is registered already."),
    "name_taken": N_("A member with this name is already registered. If this is another one, add what sets it "
                     "apart, such as its place or legal form."),
    "place_markup": N_("Write only the name of the place, without < or >."),
    "place_formula": N_("Start with a letter or digit, not with =, +, - or @."),
    "place_no_letters": N_("Write the name of a place."),
    "place_reserved": N_("This word cannot be a place name: the published figures use it for hidden values."),
    "state_of_another_country": N_("This state or province is not in the country chosen."),
    "unknown_state_code": N_("Write the name of a state or province of the country chosen."),
    "unknown_subdivision": N_("Write the name of a state or province of the country chosen."),
    "role_needed": lambda params: (N_("This needs the role {roles}."), {
        "roles": _labels(vocabulary.CALLER_ROLES, params.get("roles", []), _OR)}),
    "chair_only": N_("Only the commission's chair may do this."),
    "chair_exists": N_("The commission has a chair already: a new chair is registered by the secretariat and "
                       "confirmed by the chair."),
    "secretariat_not_for_commission_codes": N_("The secretariat cannot give a member of the commission a new "
                                               "code: the chair or the member itself can."),
    "chair_or_member_only": N_("Only the chair or the member itself may give a member a new code."),
    "no_member": N_("This member is not known."),
    "no_commission_member": N_("This member of the commission is not known."),
    "already_seated": N_("This member already sits on the commission."),
    "awaiting_confirmation": N_("This seat waits for the chair's confirmation, which gives the member its code."),
    "no_such_company": N_("This company is not a member."),
    "ambiguous_name": N_("{count} or more members match this name; choose one of them."),
    "company_or_name": N_("Choose a member, or give its name."),
    "exceeds_total": N_("Enter a number no larger than the total."),
    "no_framework": N_("Covenant year {covenant_year} has no assessment framework."),
    "framework_file": N_("The assessment framework file has a fault: {fault}"),
    "sample_drawn": lambda params: (N_("Year {covenant_year}'s sample was drawn on {drawn_on} with seed {seed}."),
                                    {**params, "drawn_on": _day(params.get("drawn_on"))}),
    "nothing_to_sample": N_("No report of covenant year {covenant_year} has been assessed yet: there is nothing to "
                            "draw from."),
    "no_sample": N_("No sample has been drawn for covenant year {covenant_year}."),
    "not_sampled": N_("Not in covenant year {covenant_year}'s sample."),
    "in_the_future": lambda params: (N_("Enter the day the verification was done: today, {today}, or earlier."),
                                     {"today": _day(params.get("today"))}),
    "corrections_needed": N_("Say what was corrected and why."),
    "after_due_date": lambda params: (N_("Must be after the due date ({due_date})."),
                                      {"due_date": _day(params.get("due_date"))}),
    "within_a_year": lambda params: (N_("Must be no later than {latest}, a year after the due date."),
                                     {"latest": _day(params.get("latest"))}),
    "url_credentials": N_("The address may not hold a user name or password."),
    "url_no_host": N_("The address must name a host."),
    "url_port": N_("The port is not a number from 1 to 65535."),
    "url_numeric_host": N_("Name the host by its DNS name or a plain IP address."),
    "host_unresolved": N_("The name of the host cannot be found."),
    "host_not_public": N_("The host resolves to an address that is not public."),
    "name_not_code": N_("Give the name as companies wrote it, not a code."),
    "already_a_name": _already_a_name,
    "no_edition": N_("Covenant year {covenant_year} has no edition {edition}."),
    "not_published": N_("The figures of covenant year {covenant_year} are not published yet."),
    "too_few_changed": N_("{needed} more companies' contributions must change before a new edition can be "
                          "released."),
    "no_figures": N_("Covenant year {covenant_year} has no figures yet."),
    "too_many_cases": _wait(N_("Too many cases from your address in 24 hours. Please try again in {wait}."),
                            "hours", N_("1 hour"), N_("{count} hours")),
    "too_many_codes": _wait(N_("Too many wrong follow-up codes for this case. Please try again in {wait}."),
                            "minutes", N_("1 minute"), N_("{count} minutes")),
    "party_needed": N_("Name the member or party the complaint is about."),
    "file_type": lambda params: _file(params, N_("The file is not a photo (JPEG or PNG) or a PDF."),
                                      N_("File {file} is not a photo (JPEG or PNG) or a PDF.")),
    "file_too_large": lambda params: _file(params, N_("The file is larger than {max_mb} MB."),
                                           N_("File {file} is larger than {max_mb} MB.")),
    "files_too_large": N_("Together the files are larger than {max_mb} MB."),
    "unknown_file": N_("This file is no longer kept: choose it again."),
    "unsent_files": N_("You have {max} files waiting in no sent report: send your report, or choose this file "
                       "again tomorrow."),
    "files_kept_full": N_("Together your files would be larger than {max_mb} MB, the most the platform keeps "
                          "for one company: ask the secretariat."),
    "not_an_attestation": N_("This text is not a TruStone proof of membership (check that it was copied whole)."),
    "unknown_key": N_("It is signed with a key the platform never used: it is not the platform's."),
    "withdrawn_key": N_("The key it was signed with was withdrawn, so nothing signed with it is believed."),
    "forged": N_("Its signature is not the platform's: it was forged."),
    "altered": N_("It does not match what the platform issued under its number: it was changed, or copied from another."),
    "expired": N_("It was genuine, but it no longer holds."),
    "too_many_files": N_("Add {max} files at most."),
    "no_assessment_to_contest": N_("This version of your report has no assessment to contest."),
    "not_criteria_of_assessment": lambda params: (N_("Not criteria of this assessment: {criteria}."), {
        "criteria": _labels(vocabulary.CRITERIA, params.get("criteria", []), _COMMA)}),
    "move_not_allowed": _move,
    "seat_not_allowed": lambda params: (N_("Only the {seats} may move a case that is {state}."), {
        "seats": _labels(vocabulary.COMMISSION_SEATS, params.get("seats", []), _OR),
        "state": _labels(vocabulary.CASE_STATES, [params.get("state")], _COMMA)}),
    "admissible_needed": N_("Say whether the case is admissible."),
    "only_with_step": lambda params: ({"decided": N_("Only with the step to decided.")}.get(
        params.get("step"), N_("Only with the step to admissibility decided.")), {}),
    "inadmissible_only_closed": N_("A case that is not admissible can only be closed."),
    "outcome_needed": N_("Say whether the appeal is upheld, upheld in part or rejected."),
    "corrections_named": N_("Tick each corrected criterion, say whether it is met, and why."),
    "not_criteria_of_appeal": lambda params: (N_("Not criteria of the appeal: {criteria}."), {
        "criteria": _labels(vocabulary.CRITERIA, params.get("criteria", []), _COMMA)}),
    "not_yet_admissible": N_("The company learns of a case only once it is found admissible."),
    "not_asked": N_("The commission has not asked your company to answer this case."),
    "form_expired": N_("This form has expired. Please try again."),
    "unknown_code": N_("This sign-in code is not known. Check it and try again."),
    "too_many_attempts": _wait(N_("Too many attempts. Try again in {wait}."), "minutes", N_("1 minute"),
                               N_("{count} minutes")),
}


def worded(problem: problems.Problem, language: str) -> str:
    """A refusal in the reader's words and language, from its code and parameters. A code this portal does
    not know yet (a service newer than it) is shown as the service said it."""
    words = PROBLEMS.get(problem.code)
    if words is None:
        return str(problem)
    text, values = words(problem.params) if callable(words) else (words, problem.params)
    return WORDS.said(text, language, **values)


def message(said, language: str) -> str:
    """What a page shows of an error: a refusal (a Problem) worded from its code; the portal's own text
    (marked N_ where it is written) from the catalog."""
    if isinstance(said, problems.Problem):
        return worded(said, language)
    return WORDS.gettext(str(said), language)
