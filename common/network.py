"""Who is asking, behind proxies. Pure: no nameko.

Each proxy appends the address it saw to X-Forwarded-For. Read right to left, the first address that is not
one of our own proxies (TRUSTED_PROXIES, none unless an operator names them) is the client; what a client
writes into the header itself stands to the left of it and is never believed.

The portal acts for the people in front of it, on this machine too: it vouches for the address it saw with
an HMAC keyed with a secret it shares with the services (PORTAL_SERVICE_KEY), which no other local client
has, so being on the portal's machine is not enough to be believed.

What a limit keeps of an address is a keyed hash, under a key of the day (`address_marks`): the database
alone says nothing of who filed or tried, and yesterday's marks cannot be matched with today's key.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

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
    under each day's key that a window ending `now` reaches into, today's first. The marks of a day can
    only be matched by whoever holds the secret, and the stored ones expire with the window."""
    days = sorted({(now - window).date(), now.date()}, reverse=True)
    return [digest(f"{day.isoformat()}|{address}") for day in days]


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
