"""Whether the bureau's own mail server vouches for a message's sender (RFC 8601 / RFC 7489).

A sender writes whatever headers it likes, ``From:`` and ``Authentication-Results:`` included.
Only what the bureau's own server added counts: the ``Authentication-Results`` headers with our
``authserv_id`` (mail.yaml) at the top of the message — from the first one of ours down to the
next ``Received:`` line, which is where our server's hop ends. A header of ours further down, and
every header of another authserv-id, was written before our server saw the message: ignored.

The sender is vouched for when a trusted result says ``dmarc=pass`` (for the From domain), or
``dkim=pass`` with ``header.d`` aligned with the From domain (relaxed alignment: the same
domain, or one a subdomain of the other), and no trusted result says ``dmarc=fail``.

A small parser of our own (no dependency): comments ``( … )`` and quoted strings are handled,
anything it cannot read counts as no result. Header values are bounded before parsing.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_HEADER_CHARS = 8_000     # a longer Authentication-Results is no server's: ignored
MAX_HEADERS = 500            # trace headers looked at, from the top

PASS, FAIL, NONE, NOT_OURS = "pass", "fail", "none", "not_ours"


@dataclass(frozen=True)
class Result:
    """One ``method=result`` of an Authentication-Results header, with its properties."""

    method: str
    result: str
    properties: dict[str, str]


def parse(value: str) -> tuple[str, list[Result]]:
    """(authserv-id, results) of one header value; ('', []) when it cannot be read."""
    if not isinstance(value, str) or len(value) > MAX_HEADER_CHARS:
        return "", []
    parts = _split(_uncomment(value), ";")
    if not parts:
        return "", []
    head = parts[0].split()
    authserv_id = head[0].lower().rstrip(".") if head else ""
    results = []
    for part in parts[1:]:
        words = part.split()
        if not words or "=" not in words[0]:
            continue
        method, _, result = words[0].partition("=")
        props = {}
        for word in words[1:]:
            key, eq, val = word.partition("=")
            if eq:
                props[key.lower()] = val.strip('"').lower()
        results.append(Result(method.lower().split("/")[0], result.lower(), props))
    return authserv_id, results


def trusted_results(headers: list[tuple[str, str]], authserv_id: str) -> list[Result] | None:
    """The results our own server added (``headers`` as (name, value), top first); None when it
    added no Authentication-Results header at all."""
    authserv_id = authserv_id.lower()
    found: list[Result] | None = None
    for name, value in headers[:MAX_HEADERS]:
        name = name.lower()
        if name == "received" and found is not None:
            break                          # our server's hop ends here: older headers are the sender's
        if name != "authentication-results":
            continue
        server, results = parse(str(value))
        if server == authserv_id:
            found = (found or []) + results
    return found


def verdict(headers: list[tuple[str, str]], sender: str, authserv_id: str) -> str:
    """PASS, FAIL (a trusted result says the sender is not who it claims, or nothing passes) or
    NONE (our server added no Authentication-Results)."""
    results = trusted_results(headers, authserv_id)
    if results is None:
        return NONE
    domain = sender.rpartition("@")[2].lower()
    if not domain:
        return FAIL
    if any(r.method == "dmarc" and r.result not in (PASS, NONE) for r in results):
        return FAIL
    for r in results:
        if r.result != PASS:
            continue
        if r.method == "dmarc" and r.properties.get("header.from", domain) == domain:
            return PASS
        if r.method == "dkim" and _aligned(r.properties.get("header.d", ""), domain):
            return PASS
    return FAIL


def _aligned(signer: str, domain: str) -> bool:
    signer = signer.strip(".")
    return bool(signer) and (signer == domain or domain.endswith("." + signer) or signer.endswith("." + domain))


def _uncomment(text: str) -> str:
    """The text without RFC 5322 comments (nested parentheses), quoted strings kept."""
    out, depth, quoted, escaped = [], 0, False, False
    for c in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(c)
            continue
        if c == "\\":
            escaped = True
            if depth == 0:
                out.append(c)
            continue
        if quoted:
            quoted = c != '"'
            out.append(c)
        elif c == '"' and depth == 0:
            quoted = True
            out.append(c)
        elif c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(" " if c in "\r\n\t" else c)
    return "".join(out)


def _split(text: str, sep: str) -> list[str]:
    """``text`` split on ``sep`` outside quoted strings."""
    parts, current, quoted = [], [], False
    for c in text:
        if c == '"':
            quoted = not quoted
        if c == sep and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(c)
    parts.append("".join(current).strip())
    return [p for p in parts if p]
