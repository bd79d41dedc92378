"""Who is calling, without any framework: the caller, its bearer token and the token's hash.

The secretariat's token comes from configuration; companies and authorities get a random token once and
only its SHA-256 is stored (by the submission service).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Optional

from common.vocabulary import COMPANY, SECRETARIAT


@dataclass(frozen=True)
class Caller:
    role: str
    id: Optional[str] = None
    # A company's or an authority's registered name, as the token lookup found it (what it is recorded as where
    # a caller is named, such as an attestation's check); not who the caller is, so not compared.
    name: Optional[str] = field(default=None, compare=False)

    @property
    def is_secretariat(self) -> bool:
        return self.role == SECRETARIAT

    def may_see(self, owner_company_id: str) -> bool:
        """A company's own data is shown to that company and to the secretariat, to no one else."""
        return self.is_secretariat or (self.role == COMPANY and self.id == owner_company_id)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
