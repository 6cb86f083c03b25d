"""Why an HTTP request failed, in a few words a user can act on (no exception dump)."""

from __future__ import annotations

import re

import requests

from pipeline.core.text import cap, mask_url, one_line
from pipeline.query.api_errors import status_text
from pipeline.query.bounded_http import DeadlineExceeded


def tls_reason(exc: requests.exceptions.SSLError) -> str:
    """`certificate verify failed: ...`: what went wrong with TLS, in one line."""
    text = str(exc)
    found = re.search(r"certificate verify failed: ([^(\]'\"]+)", text)
    if found:
        return f"certificate verify failed: {found.group(1).strip()}"
    return f"TLS failed: {one_line(cap(text, 200))}"


def failure_reason(exc: requests.exceptions.RequestException, timeout_s: float) -> str:
    """Why a request failed, in a few words: `connection refused`, `no complete answer ...`."""
    text = str(exc)
    if isinstance(exc, DeadlineExceeded | requests.exceptions.ReadTimeout):
        return f"no complete answer within {timeout_s:g}s"
    if isinstance(exc, requests.exceptions.ProxyError):
        return f"the proxy refused the connection: {one_line(cap(text, 200))}"
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name does not resolve"),
        ("Temporary failure in name resolution", "host name does not resolve"),
        ("nodename nor servname", "host name does not resolve"),
        ("timed out", "connection timed out"),
    ):
        if needle in text:
            return reason
    return "connection failed"


def size_text(count: int) -> str:
    """`256 MiB`: a byte count in the largest unit that divides it."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size and count % size == 0:
            return f"{count // size:,} {unit}"
    return f"{count:,} bytes"


def redirect_reason(response: requests.Response | None) -> str:
    """A redirect, where it went and what to do: redirects are not followed."""
    if response is None:
        return "redirected"
    where = one_line(cap(mask_url(response.headers.get("Location", "")), 200))
    return (
        f"{status_text(response)}, redirected to {where or 'nowhere'} "
        "(redirects are not followed: set prometheus.url to the final address)"
    )
