"""The address of the client a request comes from: the one function limits, audit rows, sessions and the
metrics allow-list all use.

`X-Forwarded-For` is believed only when the connection comes from a proxy named in `TRUSTED_PROXIES`
(addresses or networks); otherwise anyone could name any address and escape per-address limits. Behind
trusted proxies the client is the right-most address in the header that is not itself a trusted proxy:
each proxy appends the address it was connected from, so entries left of it are the client's own claims.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:443"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_trusted_proxy(address: str | None) -> bool:
    parsed = _parse(address or "")
    return parsed is not None and any(parsed in network for network in trusted_networks())


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, never one the client could choose (see the module's docstring)."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not is_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _parse(entry)
        if address is None:
            return remote  # a proxy we trust wrote something unreadable: fall back to what we know
        if not is_trusted_proxy(str(address)):
            return str(address)
    return remote


def through_proxy(request: HttpRequest) -> bool:
    """Whether the request names a forwarded client the trusted proxies did not vouch for (a proxy in front
    of the server that is not configured as trusted, or a client sending the headers itself)."""
    has_forwarded = "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META
    return has_forwarded and not is_trusted_proxy(request.META.get("REMOTE_ADDR"))
