"""Places as people type them: states as ISO 3166-2 subdivisions, and the rules that make two spellings of
one place compare equal. Pure; the data beside it (`places.yaml`) gives the English and Dutch names in use
where pycountry's own names and translations are not what people write.

A region's canonical name is kept by the reporting service's gazetteer (the secretariat extends it); what
is here is shared by every service that takes or shows a place.
"""
from __future__ import annotations

import functools
import gettext
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pycountry
import yaml

DATA = Path(__file__).resolve().parent / "places.yaml"
# The languages whose names of subdivisions are accepted besides the official one: the covenant's own,
# English, and German and French (which write the Chinese provinces without "Sheng", as people do).
NAME_LANGUAGES = ("nl", "en", "de", "fr")
# Words around a name that say what kind of place it is, not which: "Bundi district", "Provincie Antwerpen".
GENERIC_WORDS = frozenset({
    "district", "distrikt", "dist", "region", "regio", "province", "provincie", "prov", "state", "staat",
    "county", "mandal", "tehsil", "taluk", "zila", "jila", "sheng", "shi", "tinh", "huyen", "the"})
SUPPRESSION_MARKERS = frozenset({"suppressed", "afgeschermd"})  # what the published figures print instead
FORMULA_LEADS = ("=", "+", "-", "@")  # a spreadsheet opening the CSV export would run these
CODE = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")


class PlaceError(ValueError):
    """A place that cannot be taken, with the message a person reads."""


def comparison_form(name: str) -> str:
    """What two spellings of one place have in common: no case, accents, punctuation or surrounding words
    such as "district" ("Bundi district" and " bundi" are both "bundi")."""
    decomposed = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    words = re.sub(r"[\W_]+", " ", plain).split()
    while len(words) > 1 and words[0] in GENERIC_WORDS:
        words.pop(0)
    while len(words) > 1 and words[-1] in GENERIC_WORDS:
        words.pop()
    return " ".join(words)


def cleaned(name: str) -> str:
    """The name as written, without surrounding space and with single spaces inside."""
    return " ".join(name.split())


def refusal(name: str) -> str | None:
    """Why `name` is not the name of a place (None when it can be one)."""
    # a line or paragraph separator (U+2028, U+2029) is no more a place's than a line feed is
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for char in name):
        return "Must not contain control characters."
    if any(char in name for char in "<>{}"):
        return "Must be a place name, without markup."
    if cleaned(name).startswith(FORMULA_LEADS):
        return "Must start with a letter or digit, not with =, +, - or @."
    if not any(char.isalpha() for char in name):
        return "Must be a place name: it has no letters."
    if comparison_form(name) in SUPPRESSION_MARKERS:
        return "Must be a place name: this word is what the published figures print for hidden values."
    return None


@dataclass(frozen=True)
class Subdivision:
    code: str      # ISO 3166-2, e.g. IN-RJ
    name: str      # the official name, e.g. Rājasthān

    @property
    def country(self) -> str:
        return self.code.split("-")[0]

    def label(self, language: str = "en") -> str:
        """The name people read in `language`: the one in use (places.yaml), else pycountry's translation."""
        in_use = _names_in_use().get(self.code, {}).get(language)
        if in_use:
            return in_use[0]
        return _translations(language).gettext(self.name) if language != "en" else self.name


@functools.cache
def _names_in_use() -> dict[str, dict[str, list[str]]]:
    return (yaml.safe_load(DATA.read_text()) or {}).get("subdivisions", {})


@functools.cache
def _translations(language: str):
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language], fallback=True)


@functools.cache
def _index(country: str) -> dict[str, Subdivision]:
    """The country's subdivisions by the comparison form of every name they are known by."""
    found = sorted(pycountry.subdivisions.get(country_code=country) or [], key=lambda each: each.code)
    index: dict[str, Subdivision] = {}
    for each in found:  # official names first: they win over a translation that happens to be the same
        index.setdefault(comparison_form(each.name), Subdivision(each.code, each.name))
    for each in found:
        subdivision = Subdivision(each.code, each.name)
        names = [_translations(language).gettext(each.name) for language in NAME_LANGUAGES]
        names += [name for names_of in _names_in_use().get(each.code, {}).values() for name in names_of]
        for name in names:
            index.setdefault(comparison_form(name), subdivision)
    return index


def subdivision(code: str) -> Subdivision | None:
    found = pycountry.subdivisions.get(code=code.upper())
    return Subdivision(found.code, found.name) if found else None


def subdivisions(country: str) -> list[Subdivision]:
    return sorted({each for each in _index(country).values()}, key=lambda each: each.code)


def resolve_state(country: str, state: str) -> Subdivision | None:
    """The subdivision of `country` that `state` names (by its code, or by a name in any of its spellings),
    or None when nobody knows the name yet. PlaceError for a code of another country or an unknown code."""
    text = cleaned(state)
    if CODE.match(text):
        found = subdivision(text)
        if found is not None and found.country != country:
            raise PlaceError(f"{found.code} is a subdivision of {country_name(found.country)}, "
                             f"not of {country_name(country)}.")
        if found is None and text[:2].upper() == country:
            raise PlaceError(f"{text.upper()} is not an ISO 3166-2 code of {country_name(country)}.")
        if found is not None:
            return found
    return _index(country).get(comparison_form(text))


def state_label(state: str | None, language: str = "en") -> str | None:
    """A subdivision's name for people in `language`; a state nobody knows yet as written."""
    found = subdivision(state) if state and CODE.match(state) else None
    return found.label(language) if found else state


@functools.cache
def _country_translations(language: str):
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def state_code(country: str, state: str | None) -> str | None:
    """The code of the subdivision `state` names, or None (nobody knows it yet, or it is no subdivision of
    `country`: the caller keeps it as written or says why)."""
    try:
        found = resolve_state(country, state) if country and state else None
    except PlaceError:
        found = None
    return found.code if found else None


def country_name(code: str, language: str = "en") -> str:
    """The country's name in English or, through pycountry's ISO 3166 translations, another language."""
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    if language == "en":
        return getattr(found, "common_name", None) or found.name
    return _country_translations(language).gettext(found.name)
