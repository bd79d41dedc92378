"""Every text a person reads has its Dutch: each catalog (common's and each service's) holds the Dutch of every
text its tree of code marks, with the same fields filled in, and nothing it does not use."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from common import i18n
from services.notification.texts import WORDS as NOTIFICATION
from services.portal.words import WORDS as PORTAL
from services.reporting.render import WORDS as REPORTING
from services.scoring.domain import WORDS as SCORING

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = {"common": i18n.COMMON, "scoring": SCORING, "notification": NOTIFICATION, "reporting": REPORTING,
            "portal": PORTAL}
# Written alike in both languages.
SAME_IN_DUTCH = {"basalt", "20-40 %", "40-60 %", "Score", "Scores", "Criteria", "E-mail", "score %(score)s %%",
                 "Score %(score)s %%"}


def texts_of(directory: Path) -> set:
    """Every text a tree of code marks for its catalog (as `pybabel extract -F babel.cfg` finds them): a
    text, or (singular, plural)."""
    found = extract_from_dir(str(directory), method_map=[("**/templates/**.j2", "jinja2"), ("**.py", "python")],
                             options_map={"**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}})
    return {message for _, _, message, _, _ in found}


@pytest.mark.parametrize("name", CATALOGS)
def test_every_text_has_its_dutch_in_its_own_catalog_or_commons(name):
    catalog = CATALOGS[name]
    texts = texts_of(catalog.directory)
    assert texts, "a catalog of a tree that marks no text is one too many"
    own, common = catalog.po("nl"), i18n.COMMON.po("nl")

    def dutch(text):
        for po in (own, common):
            if text in po and po[text].string and (all(po[text].string) if isinstance(text, tuple) else True):
                return po[text].string
        return None
    untranslated = sorted(str(text) for text in texts if dutch(text) is None)
    assert untranslated == []
    unchanged = sorted(text for text in texts if isinstance(text, str) and dutch(text) == text
                       and text not in SAME_IN_DUTCH)
    assert unchanged == [], "a Dutch text that is the English one (list it in SAME_IN_DUTCH if it is meant)"


@pytest.mark.parametrize("name", CATALOGS)
def test_a_catalog_holds_only_what_its_code_says(name):
    catalog = CATALOGS[name]
    texts = texts_of(catalog.directory)
    unused = sorted(str(message.id) for message in catalog.po("nl") if message.id and message.id not in texts)
    assert unused == [], "remove them (pybabel update marks them obsolete), or mark where they are said"


@pytest.mark.parametrize("name", CATALOGS)
def test_the_dutch_fills_in_the_same_fields_as_the_english(name):
    po = CATALOGS[name].po("nl")
    for message in po:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for each in strings:
            assert i18n.placeholders(each) == i18n.placeholders(ids[0]), (message.id, each)
    assert [(message.id, errors) for message, errors in po.check()] == [], "Jinja's %(name)s fields too"


def test_a_service_says_the_covenants_words_as_common_does():
    common = {message.id: message.string for message in i18n.COMMON.po("nl") if message.id}
    for name, catalog in CATALOGS.items():
        for message in catalog.po("nl"):
            if message.id in common:
                assert message.string == common[message.id], (name, message.id)


def test_english_is_the_source_text_and_dutch_comes_from_the_catalog():
    assert i18n.COMMON.gettext("meets the requirements", "en") == "meets the requirements"
    assert i18n.COMMON.gettext("meets the requirements", "nl") == "voldoet aan de eisen"
    assert SCORING.said("All {count} core questions are met.", "nl", count=2) == \
        "Aan alle 2 kernvragen is voldaan."
    assert PORTAL.gettext("meets the requirements", "nl") == "voldoet aan de eisen", "the portal falls back on common"
    assert NOTIFICATION.in_every_language("Your appeal is {outcome}.", outcome=lambda language: language) == {
        "nl": "Uw bezwaar is nl.", "en": "Your appeal is en."}


def test_dates_are_written_as_each_language_writes_them():
    from datetime import date
    assert (i18n.day(date(2021, 4, 1), "nl"), i18n.day(date(2021, 4, 1), "en")) == ("1 april 2021", "1 April 2021")
