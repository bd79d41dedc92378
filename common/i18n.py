"""The one way a text a person reads is written in Dutch and English: gettext catalogs, read with Babel.

English is the source text: it is written in the code, marked with `N_("...")` where it is written (or `_`
in the portal's templates), and is itself the message id. Dutch is in a `.po` file beside the code that
says it, so each service ships only its own words:

    common/translations/nl/LC_MESSAGES/messages.po              the covenant's words (common.vocabulary)
    services/<service>/translations/nl/LC_MESSAGES/messages.po   a service's own: notices, reasons, pages...

A service reads its own catalog and then common's (`Catalog(directory, fallback=COMMON)`). Values go into a
text after it is translated, with `str.format` (`{year}`; the portal's templates use Jinja's `%(year)s`);
a value that is itself said differently per language (a date, a number, a word of the vocabulary) is given
as a function of the language. Catalogs are compiled in memory when first read: there is no build step.

New texts (README, "Languages"): `pybabel extract -F babel.cfg -o /tmp/x.pot <tree>`, then
`pybabel update -i /tmp/x.pot -d <tree>/translations -l nl --no-fuzzy-matching`, and fill in the Dutch;
`tests/unit/test_i18n.py` fails while a text of any catalog lacks its Dutch.
"""
from __future__ import annotations

import io
import string
import threading
from datetime import date
from pathlib import Path
from typing import Callable, Mapping

from babel.dates import format_date
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SOURCE = "en"  # the language the code is written in
LANGUAGES = ("nl", "en")
DATE_LOCALES = {"nl": "nl_NL", "en": "en_GB"}  # 1 april 2021 / 1 April 2021, as Europe writes it
DOMAIN = "messages"


def N_(text: str) -> str:
    """Marks an English text for the catalogs where it is written (pybabel extracts it); it is translated
    where it is shown."""
    return text


def day(value: date, language: str) -> str:
    """A date as people write it: 1 april 2021 / 1 April 2021 (Babel's locale data)."""
    return format_date(value, format="long", locale=DATE_LOCALES[language])


Said = Callable[[str], str]  # a value said differently in each language: a function of the language


def in_language(value, language: str):
    """A value as a text in `language`: a function of the language is called, a date is spoken."""
    if callable(value):
        return value(language)
    if isinstance(value, date):
        return day(value, language)
    return value


def placeholders(text: str) -> set[str]:
    """The names of the `{name}` fields of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalog:
    """The texts of one tree of code (`directory` holds `translations/<language>/LC_MESSAGES/messages.po`),
    falling back on another catalog's (common's) for a text it does not have."""

    def __init__(self, directory: Path, fallback: "Catalog | None" = None):
        self.directory = Path(directory)
        self.fallback = fallback
        self._compiled: dict[str, NullTranslations] = {}
        self._lock = threading.Lock()

    def po(self, language: str) -> PoCatalog:
        """The catalog of a language as written in its .po file (for tests and tools)."""
        with open(self.directory / "translations" / language / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as handle:
            return read_po(handle, locale=language)

    def translations(self, language: str) -> NullTranslations:
        """The compiled catalog of a language, its fallback's behind it (English: the texts as written)."""
        compiled = self._compiled.get(language)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(language) or self._compile(language)
                self._compiled[language] = compiled
        return compiled

    def _compile(self, language: str) -> NullTranslations:
        if language == SOURCE:
            return NullTranslations()
        if language not in LANGUAGES:
            raise ValueError(f"no catalog for language {language!r}")
        buffer = io.BytesIO()
        write_mo(buffer, self.po(language))
        buffer.seek(0)
        compiled = Translations(buffer, domain=DOMAIN)
        if self.fallback is not None:
            compiled.add_fallback(self.fallback.translations(language))
        return compiled

    def gettext(self, text: str, language: str) -> str:
        return self.translations(language).gettext(text)

    def ngettext(self, singular: str, plural: str, count: int, language: str) -> str:
        return self.translations(language).ngettext(singular, plural, count)

    def said(self, text: str, language: str, **values) -> str:
        """`text` in `language`, its `{name}` fields filled in with `values` (each in that language)."""
        return self.gettext(text, language).format(**{name: in_language(value, language)
                                                      for name, value in values.items()})

    def in_every_language(self, text: str, **values) -> dict[str, str]:
        """`text` said in every language: {"nl": ..., "en": ...}."""
        return {language: self.said(text, language, **values) for language in LANGUAGES}

    def words(self, language: str) -> "Words":
        return Words(self, language)


class Words:
    """A catalog in one language, as pages and reports take it: `words(text, **values)`, `words.gettext`."""

    def __init__(self, catalog: Catalog, language: str):
        self.catalog, self.language = catalog, language

    def __call__(self, text: str, **values) -> str:
        return self.catalog.said(text, self.language, **values)

    def gettext(self, text: str) -> str:
        return self.catalog.gettext(text, self.language)

    def labels(self, texts: Mapping[str, str]) -> dict[str, str]:
        """Each text of a mapping in this language, by its key."""
        return {key: self.gettext(text) for key, text in texts.items()}


COMMON = Catalog(Path(__file__).resolve().parent)
