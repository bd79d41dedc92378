"""Who is calling, for HTTP entrypoints: the bearer token resolved to a Caller, locally in the submission
service (which holds the token hashes) or by RPC elsewhere."""
from __future__ import annotations

import hmac
from typing import Callable, Optional

from cachetools import TTLCache
from nameko.extensions import DependencyProvider

from common import errors, problems, settings
from common.identity import Caller, token_hash
from common.mongo import Storage
from common.rpc import RpcClient
from common.vocabulary import AUTHORITY, COMMISSION, COMPANY, SECRETARIAT

__all__ = ["AUTHORITY", "COMMISSION", "COMPANY", "SECRETARIAT", "Caller", "Identity", "LocalIdentity",
           "RemoteIdentity"]


def bearer_token(request) -> Optional[str]:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class Identity:
    """Resolves a request's bearer token; `lookup(token_hash)` finds companies and authorities."""

    def __init__(self, secretariat_token: str, lookup: Callable[[str], Optional[dict]]):
        self._secretariat_token = secretariat_token
        self._lookup = lookup

    def caller(self, request, *roles: str) -> Caller:
        """The authenticated caller; Unauthenticated without a known token, Forbidden outside `roles`."""
        token = bearer_token(request)
        if token is None:
            raise errors.Unauthenticated()
        if hmac.compare_digest(token.encode(), self._secretariat_token.encode()):
            caller = Caller(SECRETARIAT)
        else:
            found = self._lookup(token_hash(token))
            if not found:
                raise errors.Unauthenticated()
            caller = Caller(found["role"], found["id"], found.get("name"))
        if roles and caller.role not in roles:
            raise errors.Forbidden(problems.ROLE_NEEDED(roles=list(roles)))
        return caller


class RemoteIdentity(RpcClient):
    """Identity for services other than submission: tokens are looked up by RPC (the hash, never the
    token, crosses the broker). Known callers are remembered for IDENTITY_CACHE_SECONDS, so a client
    making many requests costs one lookup; unknown tokens are always asked again."""

    def __init__(self):
        super().__init__("submission")

    def setup(self):
        super().setup()
        settings.check_secretariat_token(self.container)
        self.settings = settings.of(self.container)
        self.known = TTLCache(maxsize=10_000, ttl=self.settings.identity_cache_seconds)

    def get_dependency(self, worker_ctx):
        proxy = self.proxy(worker_ctx)

        def lookup(digest: str) -> Optional[dict]:
            found = self.known.get(digest)
            if found is None:
                found = proxy.identify(digest)
                if found:
                    self.known[digest] = found
            return found

        return Identity(self.settings.secretariat_token, lookup)


class LocalIdentity(DependencyProvider):
    """Identity inside the service that holds the token hashes: its repository's `member_by_token_hash`,
    from the service's own Storage provider."""

    def setup(self):
        settings.check_secretariat_token(self.container)
        self.secretariat_token = settings.of(self.container).secretariat_token
        found = [each for each in self.container.dependencies if isinstance(each, Storage)]
        if len(found) != 1:
            raise TypeError(f"{self.container.service_name} needs exactly one Storage for LocalIdentity")
        self.storage = found[0]

    def get_dependency(self, worker_ctx):
        return Identity(self.secretariat_token, self.storage.repository.member_by_token_hash)
