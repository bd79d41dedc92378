"""The portal's words: every text of every page has its Dutch, and the API's messages reach people in
plain words."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from services.portal import domain, pages

PORTAL = Path(pages.__file__).resolve().parent


def texts_of_the_pages() -> set[str]:
    found = extract_from_dir(str(PORTAL), method_map=[("**/templates/**.j2", "jinja2"), ("**.py", "python")],
                             options_map={"**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
                             keywords={"_": None})
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_text_of_every_page_has_its_dutch():
    dutch = pages.catalog("nl")
    chosen_by_code = set(domain.STANDING_WORDS.values()) | set(domain.CSV_HEADERS) | {
        text for status, title, body in pages.ERROR_PAGES.values() for text in (title, body)}
    texts = texts_of_the_pages() | chosen_by_code
    assert len(texts) > 150
    untranslated = sorted(text for text in texts if text not in dutch or not dutch[text].string)
    assert untranslated == []


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
    ("File 2 is not a photo (JPEG or PNG) or a PDF.", "Bestand 2 is geen foto (JPEG of PNG) of pdf.")])
def test_the_commissions_and_filers_messages_name_no_code(text, dutch):
    assert pages.message(text, "nl") == dutch
    assert "_" not in pages.message(text, "en")
