"""Files people hand in (a complaint's photos and PDFs, the evidence sent with a report): what a file is,
read from its bytes (never its name nor a header), whether it may be kept, and the file as it is kept,
without what it says besides what it shows (common.cleaning). Pure: no nameko, no storage; the services
keep files in GridFS (common.mongo.Files).
"""
from __future__ import annotations

import filetype

from common import cleaning, problems

# A photo or a PDF, by the type its bytes say, and the extension it is given back with.
TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
Unreadable = cleaning.Unreadable


def type_of(content: bytes) -> str | None:
    """The file's type as its bytes say (never its name): a photo or a PDF, else None."""
    kind = filetype.guess(content[:8192])
    return kind.mime if kind and kind.mime in TYPES else None


def fault(content: bytes, max_bytes: int, place: int | None = None) -> problems.Problem | None:
    """What is wrong with one file, or None: larger than `max_bytes`, or neither a photo nor a PDF (`place`:
    its place among several files sent together, None when it came alone)."""
    if len(content) > max_bytes:
        return problems.FILE_TOO_LARGE(file=place, max_mb=max_bytes // 2 ** 20)
    if type_of(content) is None:
        return problems.FILE_TYPE(file=place)
    return None


def cleaned(content: bytes) -> bytes:
    """The file (checked: `fault` found nothing) without its metadata; Unreadable when it only starts like
    a photo or a PDF."""
    return cleaning.cleaned(content, type_of(content))
