"""Which endpoints may be reached over plain http:// — a unit's (its token and figures) and the
county office's (the token and the document) would cross the network in clear: only loopback, or
a host an admin lists in COUNTY_REPORTS_PLAIN_HTTP_HOSTS (the compose demo's simulator and office);
everything else must be https://."""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit


def plain_http_problem(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why ``url`` may not be used, or None: plain http:// is allowed only to loopback or a host in
    COUNTY_REPORTS_PLAIN_HTTP_HOSTS."""
    env = os.environ if environ is None else environ
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return f"{url!r} is not a valid URL"
    allowed = {h.strip().lower() for h in env.get("COUNTY_REPORTS_PLAIN_HTTP_HOSTS", "").split(",")}
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if parts.scheme.lower() != "http" or loopback or (host and host in allowed):
        return None
    return f"{url!r}: plain http:// to {host or 'no host'} is refused; use https:// (http only on loopback)"
