"""What people type is text (common.text, common.schema.Text): control and bidirectional characters
refused, line breaks only in long texts, names that look the same as another told apart, and a region's
name judged as written."""
import pytest
from marshmallow import Schema, ValidationError

from common import text
from common.schema import PlaceName, Text


class Typed(Schema):
    name = Text(200)
    story = Text(10_000, multiline=True)
    region = PlaceName()


@pytest.mark.parametrize("field,value,refused", [
    ("name", "Alpha\x00Steen", "Must not contain control characters."),
    ("name", "Alpha\nSteen", "Must not contain control characters."),
    ("name", "Alpha\tSteen", "Must not contain control characters."),
    ("name", "Alpha\u2028Steen", "Must not contain control characters."),
    ("name", "Alpha\u200bSteen", "Must not contain control characters."),  # a zero-width space shows nothing
    ("name", "fdp.\u202eexe", "Must not contain characters that change the direction of text."),
    ("name", "\u2066Alpha\u2069", "Must not contain characters that change the direction of text."),
    ("story", "First line\x07", "Must not contain control characters other than line breaks and tabs."),
    ("story", "Mijn \u202eklacht", "Must not contain characters that change the direction of text."),
    ("story", "one\u2029two", "Must not contain control characters other than line breaks and tabs."),
    ("region", "Bundi\nDistrict", "Must not contain control characters."),
    ("region", "Bundi\tDistrict", "Must not contain control characters."),
    ("region", "Bundi\u2028District", "Must not contain control characters."),
])
def test_what_is_not_text_is_refused_not_changed(field, value, refused):
    with pytest.raises(ValidationError) as error:
        Typed().load({field: value})
    assert error.value.messages == {field: [refused]}


def test_long_texts_keep_their_lines_and_names_their_letters():
    loaded = Typed().load({"name": "Yên Định Stone — Ωmega", "story": "Line one,\r\nline two\tand a tab.",
                           "region": "  Bundi   district "})
    assert loaded == {"name": "Yên Định Stone — Ωmega", "story": "Line one,\r\nline two\tand a tab.",
                      "region": "Bundi district"}
    assert text.refusal("کتاب\u200cها") is None, "the joiners Persian and Indic scripts need are text"


@pytest.mark.parametrize("new,existing", [
    ("\u0410lpha Steen", "Alpha Steen"),         # a Cyrillic А for the Latin A
    ("A1pha Steen", "Alpha Steen"),              # a 1 for an l
    ("ALPHA  STEEN", "Alpha Steen"),             # capitals and a doubled space
    ("Ａｌｐｈａ Steen", "Alpha Steen"),          # full-width letters
])
def test_a_name_that_looks_like_another_has_its_skeleton(new, existing):
    assert text.skeleton(new) == text.skeleton(existing) != text.skeleton("Graniet Import B.V.")


@pytest.mark.parametrize("new", ["Alpha Stone", "Alpha Steen Noord", "Beta Steen"])
def test_another_name_looks_otherwise(new):
    assert text.skeleton(new) != text.skeleton("Alpha Steen")
