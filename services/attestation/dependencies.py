"""What the attestation service keeps, in its own database: every key it ever signed with (public only, so
that what it signed stays verifiable after the key left the configuration), the attestations it issued
(their id, member, dates, key and the fingerprint of what was signed: not the statement itself) with how
often each was checked on the platform and when last, and its latest checks, each when and by whom as
`domain.checker` records it (a signed-in caller's kind and registered name, or what someone not signed in
said; never a token or an address), kept inside the attestation's own document and only the latest
`domain.KEPT_CHECKS` (anyone may check, as often as they like: no document per check), and, only where no
key is configured (the embedded platform), the key it made itself."""
from __future__ import annotations

from datetime import datetime

from nameko.extensions import DependencyProvider
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import settings
from common.clock import parse
from common.logging import get_logger
from common.mongo import Index, Repository, Storage
from services.attestation import domain

log = get_logger(__name__)
GENERATED = "generated"  # the _id of the key the service made for itself


class AttestationStore(Repository):

    def __init__(self, db):
        super().__init__(db)
        self.keys = db.keys
        self.own_key = db.own_key
        self.attestations = db.attestations

    INDEXES = {
        "keys": (Index.on("first_used_at"),),
        "attestations": (Index.on("company_id", ("issued_at", DESCENDING)),),
    }

    # --- keys -----------------------------------------------------------------------------------------

    def made_key(self) -> str:
        """The private key the service made for itself at its first start (made now if none was)."""
        found = self.own_key.find_one({"_id": GENERATED})
        if found is None:
            try:
                self.own_key.insert_one({"_id": GENERATED, "key": domain.new_private_key()})
            except DuplicateKeyError:
                pass  # another instance made it a moment ago: that one counts
            found = self.own_key.find_one({"_id": GENERATED})
        return found["key"]

    def remember_key(self, jwk: dict, now: datetime) -> None:
        """A public key the service signs (or signed) with, kept for good."""
        self.keys.update_one({"_id": jwk["kid"]}, {"$setOnInsert": {"jwk": jwk, "first_used_at": now}},
                             upsert=True)

    def known_keys(self) -> list[dict]:
        """Every key ever used, oldest first: {"jwk", "first_used_at"}."""
        return list(self.keys.find({}, {"_id": 0}).sort("first_used_at", 1))

    # --- attestations -------------------------------------------------------------------------------------

    def add_attestation(self, record: dict) -> None:
        self.attestations.insert_one({**record, "_id": record["id"], "verifications": 0})

    def issued(self, attestation_id: str) -> dict | None:
        found = self.attestations.find_one({"_id": attestation_id})
        return _shown(found) if found else None

    def attestations_of(self, company_id: str) -> list[dict]:
        return [_shown(each) for each in self.attestations.find({"company_id": company_id}).sort("issued_at", -1)]

    def record_verification(self, attestation_id: str, at: datetime, by: dict) -> dict | None:
        """A verification of an attestation the platform issued: counted, the latest time kept, and the
        check (when, `by` whom: `domain.checker`) added to the attestation's latest `domain.KEPT_CHECKS` of
        its sort (`domain.kept_under`); no document of its own (that anyone could add without end)."""
        found = self.attestations.find_one_and_update(
            {"_id": attestation_id}, {"$inc": {"verifications": 1}, "$max": {"last_verified_at": at},
                                      "$push": {domain.kept_under(by): {"$each": [{"at": at, "by": by}],
                                                                        "$slice": -domain.KEPT_CHECKS}}},
            return_document=ReturnDocument.AFTER)
        return _shown(found) if found else None


def _shown(document: dict) -> dict:
    return {"last_verified_at": None, **{key: value for key, value in document.items() if key != "_id"}}


class KeyRing:
    """The platform's keys: the configured ones (the first signs), else the one the service made for itself;
    every key ever used stays published (from the store), each with its status."""

    def __init__(self, private: list[str], withdrawn: frozenset[str], store: AttestationStore, now: datetime):
        self._keys = domain.signing_keys(private, withdrawn)
        self.withdrawn = withdrawn
        self._store = store
        for each in reversed(self._keys):  # the older ones first, so that the signing key is the newest
            store.remember_key(domain.public_jwk(each), now)

    @property
    def current(self):
        return self._keys[0]

    @property
    def current_id(self) -> str:
        return domain.key_id(self._keys[0])

    def published(self) -> list[dict]:
        """Every key ever used: its public JWK with `status` (current, retired, withdrawn) and since when."""
        return [{**each["jwk"], "status": domain.key_status(each["jwk"]["kid"], self.current_id, self.withdrawn),
                 "first_used_at": each["first_used_at"].isoformat()} for each in self._store.known_keys()]


class KeyRingProvider(DependencyProvider):
    """The KeyRing of ATTESTATION_SIGNING_KEYS and ATTESTATION_WITHDRAWN_KEYS, made when the service starts."""

    def setup(self):
        configured = settings.of(self.container)
        # a key that is none, or a withdrawn one first, stops the service now rather than failing each request
        domain.signing_keys(list(configured.attestation_signing_keys), configured.attestation_withdrawn_keys)
        self.ring = None

    def _made(self) -> KeyRing:
        # built on first use: the service's Storage is set up beside this provider, in no fixed order
        configured = settings.of(self.container)
        storage = next(each for each in self.container.extensions if isinstance(each, Storage))
        keys = list(configured.attestation_signing_keys)
        if not keys:
            log.warning("ATTESTATION_SIGNING_KEYS is not set: the key the service made at its first start signs, "
                        "kept in its database; set your own in production (`trustone attestation-key new`)")
            keys = [storage.repository.made_key()]
        return KeyRing(keys, configured.attestation_withdrawn_keys, storage.repository, parse(configured.clock).now())

    def get_dependency(self, worker_ctx):
        if self.ring is None:
            self.ring = self._made()
        return self.ring
