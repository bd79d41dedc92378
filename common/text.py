"""What people type is text: the characters refused in what they type, and when two names look the same.
Pure: no nameko.

A name or a short text is one line; a long text (what happened, a message) may hold line breaks and tabs.
Neither may hold other control characters, nor the invisible characters that reverse or reorder how text
is shown (U+202E, the right-to-left override, makes "fdp.exe" read as "exe.pdf"), nor characters that show
nothing at all (a zero-width space makes two names that look the same differ).
"""
from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path

from common import problems

# Embeddings, overrides and isolates: they change the order in which the text around them is shown.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible joiners some scripts need (Persian, Indic): the only format characters taken.
JOINERS = frozenset("\u200c\u200d")
LONG_TEXT_BREAKS = frozenset("\n\r\t")



def refusal(value: str, *, multiline: bool = False) -> problems.Problem | None:
    """Why `value` is not text a person may give here (None when it is): a bidirectional control, a
    control or invisible character; line breaks and tabs only in a long text (`multiline`)."""
    if any(char in BIDI_CONTROLS for char in value):
        return problems.BIDI_CONTROLS()
    for char in value:
        if multiline and char in LONG_TEXT_BREAKS:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp", "Cs") or (category == "Cf" and char not in JOINERS):
            return problems.CONTROL_CHARACTERS_BUT_BREAKS(line_breaks=True) if multiline else \
                problems.CONTROL_CHARACTERS(line_breaks=False)
    return None


@functools.cache
def _homoglyphs() -> dict[str, str]:
    """Each character that looks like another mapped to one representative of all that look alike, from
    the Unicode confusables data that confusable-homoglyphs ships (its groups joined: l, 1 and I are one)."""
    import confusable_homoglyphs
    data = json.loads((Path(confusable_homoglyphs.__file__).parent / "confusables.json").read_text())
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.get(char, char) != char:
            parent[char] = parent.get(parent[char], parent[char])
            char = parent[char]
        return char

    for char, entries in data.items():
        for each in entries:
            glyph = each["c"].strip("\u200e")  # the data marks right-to-left glyphs with LRMs
            if len(glyph) != 1:
                continue
            first, second = sorted((root(char), root(glyph)))
            if first != second:
                parent[second] = first
    return {char: root(char) for char in parent}


def skeleton(name: str) -> str:
    """What a name looks like: compatibility forms folded (NFKC), case folded, spaces single, each
    character replaced by the one all its look-alikes share. Two names with one skeleton look the same."""
    folded = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    alike = _homoglyphs()
    return "".join(alike.get(char, char) for char in folded)

