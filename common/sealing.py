"""Data sealed at rest (Fernet, from cryptography): what a database holds of it reads as nothing without
the key. The complaints service seals complainants' personal data and attachments; the portal, the
bearer token each session holds.

A key setting holds one Fernet key, or several separated by commas to rotate: the first seals what is
sealed from then on, every one opens (MultiFernet), so what an older key sealed stays readable while that
key is listed. With several instances, rotate in two steps: list the new key second everywhere, then
first, so that no instance meets what another sealed with a key it does not know yet.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from common.logging import get_logger

log = get_logger(__name__)


class Sealer:
    """Seals and opens text and files with the keys of one setting (`setting`, named in the warning that a
    missing key brings, with `without_key`: what a missing key means for that service)."""

    def __init__(self, keys: str | None, *, setting: str, without_key: str):
        listed = [each.strip() for each in (keys or "").split(",") if each.strip()]
        if (keys or "").strip() and not listed:
            raise ValueError(f"{setting} lists no key")
        if not listed:
            log.warning(f"{setting} is not set: a new key is made, and {without_key}")
            listed = [self.new_key()]
        self._fernet = MultiFernet([Fernet(each) for each in listed])
        # a key of its own for keyed hashes, derived from the sealing key (never the key itself)
        self._digest_key = hmac.new(base64.urlsafe_b64decode(listed[0]), b"trustone-digest", hashlib.sha256).digest()

    @staticmethod
    def new_key() -> str:
        """A new Fernet key, for a key setting."""
        return Fernet.generate_key().decode()

    def digest(self, text: str) -> str:
        """A keyed hash of `text` (HMAC-SHA256 under a key derived from the first key): equal texts give
        equal digests, and without the key no one can tell which text gave one (an address, say)."""
        return hmac.new(self._digest_key, text.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, text: str | None) -> str | None:
        return None if text is None else self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str | None) -> str | None:
        """The text; None when there is none, or when no listed key sealed it."""
        if sealed is None:
            return None
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            log.warning("sealed text that no listed key opens (sealed with a key no longer listed?)")
            return None

    def seal_bytes(self, content: bytes) -> bytes:
        return self._fernet.encrypt(content)

    def open_bytes(self, sealed: bytes) -> bytes:
        """The file as it was given; InvalidToken when no listed key sealed it (an error: whoever asked
        must hear that a file cannot be read, not get an empty one)."""
        return self._fernet.decrypt(sealed)
