"""The portal's words: its catalog (English, the source text, in the templates and code; Dutch in
translations/nl/LC_MESSAGES/messages.po), falling back on common's for the covenant's words."""
from __future__ import annotations

from pathlib import Path

from common import i18n

WORDS = i18n.Catalog(Path(__file__).resolve().parent, fallback=i18n.COMMON)
