"""The portal's words: every text of every page has its Dutch, and the API's messages reach people in
plain words."""
import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from services.portal import domain, pages

PORTAL = Path(pages.__file__).resolve().parent


def texts_of_the_pages() -> set:
    """Every text the portal's pages and code give to be translated: a text, or (singular, plural)."""
    found = extract_from_dir(str(PORTAL), method_map=[("**/templates/**.j2", "jinja2"), ("**.py", "python")],
                             options_map={"**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
                             keywords={"_": None, "ngettext": (1, 2)})
    return {message for _, _, message, _, _ in found}


def test_every_text_of_every_page_has_its_dutch():
    dutch = pages.catalog("nl")
    chosen_by_code = set(domain.STANDING_WORDS.values()) | set(domain.CSV_HEADERS) | {
        text for status, title, body in pages.ERROR_PAGES.values() for text in (title, body)}
    texts = texts_of_the_pages() | chosen_by_code
    assert len(texts) > 150
    untranslated = sorted(str(text) for text in texts if text not in dutch or not dutch[text].string or (
        isinstance(text, tuple) and not all(dutch[text].string)))  # a plural: each of its forms
    assert untranslated == []
    assert any(isinstance(text, tuple) for text in texts), "plurals are checked too"


@pytest.mark.parametrize("said,english,dutch", [
    ("Field may not be null.", "Fill this in.", "Vul dit in."),
    ("Must be one of: basalt, granite.", "Choose one of the options.", "Kies een van de mogelijkheden."),
    ("Not an ISO 3166-1 alpha-2 country code: 'XX'.", "Choose a country.", "Kies een land."),
    ("Must be after the due date, 2020-12-31.", "Must be after the due date (2020-12-31).",
     "Moet na de uiterste datum liggen (2020-12-31)."),
    ("Must be between 0 and 1000000.", "Enter a value from 0 to 1000000.", "Vul een waarde in van 0 tot en met 1000000."),
])
def test_the_apis_messages_reach_people_in_plain_words(said, english, dutch):
    assert (pages.message(said, "en"), pages.message(said, "nl")) == (english, dutch)


def test_countries_are_named_and_sorted_in_the_pages_language():
    dutch = dict(pages.countries("nl"))
    assert (dutch["DE"], dutch["IN"], dutch["TR"]) == ("Duitsland", "India", "Turkije")
    assert [name for _, name in pages.countries("en")][:2] == ["Afghanistan", "Åland Islands"]


@pytest.mark.parametrize("text,dutch", [
    ("Only the chair or employers may move a case that is acknowledged.",
     "Alleen de onafhankelijk voorzitter of lid namens de werkgevers mag een zaak die bevestigd is verder zetten."),
    ("A case received can move to: acknowledged.", "Een zaak die ontvangen is, kan naar: bevestigd."),
    ("Say whether the case is admissible.", "Zeg of de zaak ontvankelijk is."),
    ("File 2 is not a photo (JPEG or PNG) or a PDF.", "Bestand 2 is geen foto (JPEG of PNG) of pdf."),
    ("This needs the role secretariat or company.", "Hiervoor is de rol secretariaat of onderneming nodig."),
    ("The commission has not asked your company to answer this case.",
     "De commissie heeft uw onderneming niet gevraagd op deze zaak te reageren."),
    ("Shorter than minimum length 2.", "Te kort: gebruik minstens 2 tekens."),
    ("Must be greater than or equal to 0 and less than 5.", "Vul 0 of meer en minder dan 5 in.")])
def test_the_commissions_and_filers_messages_name_no_code(text, dutch):
    assert pages.message(text, "nl") == dutch
    assert "_" not in pages.message(text, "en")


# --- every refusal a service can give a person, in Dutch ------------------------------------------------------

ROOT = PORTAL.parents[1]
# Where a refusal is said: an error raised or a message a rule gives for the services' APIs to return.
SAYING = {"errors.Invalid", "errors.Forbidden", "errors.NotFound", "ValidationError", "PlaceError",
          "RefusedTarget", "domain.RefusedTarget", "faults.append"}
# Said to whoever corrects a framework file (the rescore page shows it in a detail, as scoring wrote it).
FOR_THE_FRAMEWORKS_AUTHOR = ROOT / "services" / "scoring" / "domain.py"
# Said of an event a consumer refused, to the operator reading it parked (`trustone parked list`).
FOR_THE_OPERATOR = ROOT / "common" / "events.py"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _text(node) -> str | None:
    """A string, or an f-string with `{}` for each value put in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(each.value if isinstance(each, ast.Constant) else "{}" for each in node.values)
    return None


def _sentences(node) -> set[str]:
    found = set()
    for each in ast.walk(node):
        text = _text(each)
        if text and " " in text and text.rstrip().endswith(".") and (text[0].isupper() or text[0] == "{") \
                and not (isinstance(each, ast.Call) and ast.unparse(each.func).startswith("log")):
            found.add(text)
    return found


def _refusals_in(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in SAYING:
            found |= _sentences(ast.Module(body=[ast.Expr(arg) for arg in node.args], type_ignores=[]))
        if isinstance(node, ast.keyword) and node.arg == "error":  # validate.Range(..., error=...)
            found |= _sentences(node.value)
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "default_error_messages"
                                                for target in node.targets):
            found |= _sentences(node.value)
        if isinstance(node, ast.FunctionDef):
            said = ast.get_docstring(node) or ""
            raises_what_it_gathered = any(isinstance(each, ast.Raise) and isinstance(each.exc, ast.Call)
                                          and ast.unparse(each.exc.func) == "errors.Invalid"
                                          and isinstance(each.exc.args[0], ast.Name) for each in ast.walk(node))
            if said.startswith("Why") or raises_what_it_gathered:  # a rule saying why, or the faults gathered
                found |= _sentences(ast.Module(body=node.body[1:] if said else node.body, type_ignores=[]))
    return found


def marshmallows_messages() -> set[str]:
    """marshmallow's own messages for the fields and validators the services' schemas use."""
    import marshmallow
    from marshmallow import fields, validate
    used = set()
    for path in [*ROOT.glob("services/*/schemas.py"), ROOT / "common" / "schema.py"]:
        used |= {(node.value.id, node.attr) for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                 and node.value.id in ("fields", "validate")}
    found = set(marshmallow.Schema._default_error_messages.values())
    for module_name, name in used:
        kind = getattr({"fields": fields, "validate": validate}[module_name], name, None)
        for klass in getattr(kind, "__mro__", ()):
            found |= set(getattr(klass, "default_error_messages", {}).values())
            found |= {value for attribute, value in vars(klass).items()
                      if "message" in attribute and isinstance(value, str) and value.endswith(".")}
    range_ = validate.Range  # its messages are put together from the comparisons of its bounds
    for template in {each for each in found if "_op}" in each}:
        found.discard(template)
        found |= {template.format(min_op=low, max_op=high) for low in (range_.message_gte, range_.message_gt)
                  for high in (range_.message_lte, range_.message_lt)}
    return {each for each in found if each[:1].isupper()}  # "{input}" cannot be formatted: only when sending


def the_services_refusals() -> list[str]:
    """Every refusal the services' APIs can give, as found in their code (`{}` where a value goes)."""
    found = marshmallows_messages()
    for path in [*ROOT.glob("services/*/*.py"), *ROOT.glob("common/*.py")]:
        if path.parent.name != "portal" and path not in (FOR_THE_FRAMEWORKS_AUTHOR, FOR_THE_OPERATOR):
            found |= _refusals_in(ast.parse(path.read_text()))
    return sorted(found)


def test_the_refusals_are_found_in_the_services_code():
    found = the_services_refusals()
    assert len(found) > 50
    for expected in ("The commission has not asked your company to answer this case.", "This needs the role {}.",
                     "Shorter than minimum length {min}.", "Not a valid boolean.", "Not a known subdivision of {}: "
                     "give its ISO 3166-2 code.", "A case {} can move to: {}.", "No such member company."):
        assert expected in found


@pytest.mark.parametrize("refusal", the_services_refusals())
def test_every_refusal_a_service_gives_reaches_a_dutch_reader_in_dutch(refusal):
    said = PLACEHOLDER.sub("3", refusal)  # a number where a value goes: the patterns take any value
    assert pages.message(said, "nl") not in (said, pages.message(said, "en"))


def test_a_page_whose_database_or_broker_does_not_answer_says_so_and_asks_to_try_again():
    from pymongo.errors import AutoReconnect
    answer = pages.PageHandler("GET", "/anything").response_from_exception(AutoReconnect("no primary"))
    assert answer.status_code == 503 and "Probeer het over een paar minuten opnieuw" in answer.get_data(as_text=True)
