"""Who is asking, behind proxies. Pure: no nameko.

Each proxy appends the address it saw to X-Forwarded-For. Read right to left, the first address that is not
one of our own proxies is the client; what a client writes into the header itself stands to the left of it
and is never believed.
"""
from __future__ import annotations

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


def forwarded_for(forwarded: str | None, connection: str | None) -> str:
    """X-Forwarded-For as a proxy passes it on: what it was told, and the address it saw."""
    return ", ".join(each for each in (forwarded, connection) if each)


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
