"""Access control: scoped API keys, rate limits, and the local default.

With no key created yet, the service answers loopback clients only (the first
`make serve` just works and is still closed to the network). Once a key exists,
every request needs one: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
Only /healthz and /readyz are open (see ``test_exposure.py``).

Errors never name a key (a 403 says which scope is missing, not whose key lacks it).
Requests with a missing or unknown key count against their client address; past
``auth_failures_per_minute`` that address gets 429 for every request until the window
frees, so keys cannot be guessed quickly. Counters are shared through Redis when it
is configured (``service/api/rate_limits.py``).
"""

from __future__ import annotations

import ipaddress
import math

from fastapi import HTTPException, Request

from service.api.rate_limits import RateLimits, per_minute

# A request that names a forwarder came through a proxy: it is never a local client,
# whatever the TCP peer is (a local reverse proxy forwards the whole network).
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")
ANY_SCOPE = None


def require(scope: str | None):
    """A FastAPI dependency: the caller must hold ``scope`` (admin holds every scope;
    ``None``: any valid key)."""

    def check(request: Request) -> str:
        container = request.app.state.container
        settings = container.settings
        if settings.auth_mode == "off":
            return "anonymous"
        limits: RateLimits = request.app.state.rate_limits
        client = client_address(request)
        keys = container.api_keys
        secret = _presented(request)
        no_keys_yet = settings.auth_mode == "auto" and not keys.load()
        if no_keys_yet and secret is None and is_local(request):
            return "local"
        failures = per_minute(settings.auth_failures_per_minute)
        wait = limits.wait(failures, "auth-failures", client)
        if wait:
            raise HTTPException(429, "too many requests without a valid API key from this address",
                                headers={"Retry-After": str(math.ceil(wait))})
        key = keys.find(secret) if secret is not None and not no_keys_yet else None
        if key is None:
            # The hit both counts and tests, atomically: concurrent guesses that all passed the
            # test above still stop at the limit here.
            wait = limits.hit(failures, "auth-failures", client)
            if wait:
                raise HTTPException(429, "too many requests without a valid API key from this address",
                                    headers={"Retry-After": str(math.ceil(wait))})
            raise HTTPException(401, _unauthorised_message(no_keys_yet, secret), headers={"WWW-Authenticate": "Bearer"})
        if scope is not ANY_SCOPE and scope not in key.scopes and "admin" not in key.scopes:
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        wait = limits.hit(per_minute(key.rate_per_minute), "key", key.sha256[:16])
        if wait:
            raise HTTPException(429, f"rate limit of {key.rate_per_minute}/min exceeded",
                                headers={"Retry-After": str(math.ceil(wait))})
        return key.name

    return check


def _unauthorised_message(no_keys_yet: bool, secret: str | None) -> str:
    if no_keys_yet:
        return ("no API keys exist yet: only loopback clients are served; "
                "create one with `commerce-guard keys create --name NAME --scope cs`")
    if secret is None:
        return "missing API key (Authorization: Bearer <key> or X-API-Key)"
    return "unknown API key"


def client_address(request: Request) -> str:
    """The TCP peer, or the forwarded client when the peer is a trusted proxy (the app's
    ProxyHeadersMiddleware has then already put it in ``request.client``)."""
    return request.client.host if request.client else "unknown"


def is_local(request: Request) -> bool:
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    host = request.client.host if request.client else ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None
