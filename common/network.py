"""Who is asking, behind proxies. Pure: no nameko.

Each proxy appends the address it saw to X-Forwarded-For. Read right to left, the first address that is not
one of our own proxies (TRUSTED_PROXIES, none unless an operator names them) is the client; what a client
writes into the header itself stands to the left of it and is never believed.

The portal acts for the people in front of it, on this machine too: it vouches for the address it saw with
an HMAC keyed with a secret it shares with the services (PORTAL_SERVICE_KEY), which no other local client
has, so being on the portal's machine is not enough to be believed.

What a limit keeps of an address is a keyed hash. `address_marks` keys it with a secret of the service's
setting and the day's date (the portal's failed sign-ins, kept 15 minutes): the database alone says nothing
of who tried, but whoever holds the setting can try an address against a mark for as long as it is kept.
`DayKeys` keys it with a random key of the day (the complaints service's filings and follow-up codes), kept
sealed in a collection of its own and deleted once no mark made with it can count any more: from then on no
one, not even with the service's setting and a backup of its database, can try an address against those
marks.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from common import errors
from common.logging import get_logger

log = get_logger(__name__)

Networks = tuple[IPv4Network | IPv6Network, ...]


def networks(text: str) -> Networks:
    """'127.0.0.1/32, 172.28.0.0/16' as networks; ValueError names a bad one."""
    return tuple(ip_network(each.strip(), strict=False) for each in text.split(",") if each.strip())


def client_address(connection: str | None, forwarded_for: str | None, trusted: Networks) -> str:
    """The client's address: the connection's, unless that is a trusted proxy; then the nearest address
    in X-Forwarded-For that is not one."""
    chain = [each.strip() for each in (forwarded_for or "").split(",") if each.strip()]
    chain.append(connection or "unknown")
    for address in reversed(chain):
        if not _trusted(address, trusted):
            return address
    return chain[0]  # every hop is ours: the farthest one is the client (a local demo)


CLIENT_HEADER = "X-TruStone-Client"
PROOF_HEADER = "X-TruStone-Client-Proof"


def _proof(key: str, address: str) -> str:
    return hmac.new(key.encode(), f"client|{address}".encode(), hashlib.sha256).hexdigest()


def vouch(key: str | None, address: str) -> dict[str, str]:
    """The headers with which the portal vouches for the address of the person it acts for (none without
    a key: then the services count the portal's own address)."""
    if not key:
        return {}
    return {CLIENT_HEADER: address, PROOF_HEADER: _proof(key, address)}


def vouched_address(key: str | None, headers) -> str | None:
    """The address the portal vouched for in `headers`, if its proof holds; else None."""
    address, proof = headers.get(CLIENT_HEADER), headers.get(PROOF_HEADER)
    if not key or not address or not proof:
        return None
    return address if hmac.compare_digest(proof.encode(), _proof(key, address).encode()) else None


def address_marks(digest: Callable[[str], str], address: str, now: datetime, window: timedelta) -> list[str]:
    """An address as a limit keeps it: a keyed hash (`digest`, keyed with a secret that is never stored)
    of the address and each day that a window ending `now` reaches into, today's first. The marks can only
    be matched by whoever holds the secret (the setting it is derived from), and the stored ones expire
    with the window."""
    return [digest(f"{day.isoformat()}|{address}") for day in _days(now, window)]


def _days(now: datetime, window: timedelta) -> list[date]:
    """The days a window ending `now` reaches into, today first."""
    return sorted({(now - window).date(), now.date()}, reverse=True)


class DayKeys:
    """Marks of an address under a random key of the day, for limits that must not outlive their window.

    The key of a day is made by whichever instance needs it first (`store.keep_day_key` keeps the first
    one made, and gives it to every later comer), kept sealed (`sealer`) by `store` in a collection of its
    own, never beside the marks, and deleted once no mark made with it can count: `keep` after its day
    ends (the longest window a mark counts in, and the hour marks are rounded to). A day no one needed a
    key in has no marks to match: its key is never made after the fact.

    Ports: `store` (`day_key(day)` the sealed key or None, `keep_day_key(day, sealed, expires_at)` the one
    kept, `replace_day_key(day, old, new)` likewise, `forget_day_keys(now)`), `sealer` (`seal`, `open`)."""

    def __init__(self, store, sealer, keep: timedelta, make: Callable[[], bytes] = lambda: secrets.token_bytes(32)):
        self.store, self.sealer, self.keep, self.make = store, sealer, keep, make

    def marks(self, address: str, now: datetime, window: timedelta, purpose: str = "address") -> list[str]:
        """The marks of `address` for `purpose` under the key of each day a window ending `now` reaches into,
        today's first (today's key made if need be; an earlier day without a key, or whose key is gone, has
        none). Marks for different purposes differ: one kept for one limit cannot be matched with another's."""
        self.store.forget_day_keys(now)
        marks = []
        for day in _days(now, window):
            key = self._key(day, now, make=day == now.date())
            if key is not None:
                marks.append(hmac.new(key, f"{purpose}|{address}".encode(), hashlib.sha256).hexdigest()[:32])
            elif day == now.date():  # kept sealed with a key this instance does not know: nothing to count by
                raise errors.Unavailable("The service cannot count this request yet; try again in a minute.")
        return marks

    def _key(self, day: date, now: datetime, make: bool) -> bytes | None:
        name = day.isoformat()
        sealed = self.store.day_key(name)
        opened = self._opened(sealed)
        if opened is not None or not make:
            return opened
        fresh = self.sealer.seal(base64.urlsafe_b64encode(self.make()).decode())
        if sealed is None:
            expires_at = datetime.combine(day + timedelta(days=1), time(), tzinfo=now.tzinfo) + self.keep
            kept = self.store.keep_day_key(name, fresh, expires_at)
        else:  # sealed with a key this instance does not have (COMPLAINTS_SECRET_KEY replaced): a new one
            # Every mark of the day made so far stops counting: said loudly, since an instance configured
            # with another key than its peers would do this again and again.
            log.error("the day's key for address marks could not be opened: replaced, today's limits start "
                      "over; check that every instance has the same COMPLAINTS_SECRET_KEY", day=name)
            kept = self.store.replace_day_key(name, sealed, fresh)
        return self._opened(kept)

    def _opened(self, sealed: str | None) -> bytes | None:
        opened = self.sealer.open(sealed) if sealed else None
        return base64.urlsafe_b64decode(opened) if opened else None


def _trusted(address: str, trusted: Networks) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def wait_to_ask_again(asked_at: list[datetime], now: datetime, allowed: int, window: timedelta) -> timedelta | None:
    """How long a client that asked at `asked_at` must wait before it may ask again, when `allowed` asks fit
    in any `window` (a rolling one): None while fewer than `allowed` fall in the window ending now; else until
    the earliest of the last `allowed` leaves it. With nothing allowed, a whole window."""
    if allowed <= 0:
        return window
    recent = sorted(each for each in asked_at if now - each < window)
    if len(recent) < allowed:
        return None
    return recent[-allowed] + window - now
