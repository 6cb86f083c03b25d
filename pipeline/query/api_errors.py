"""What an HTTP answer that is not a usable query result means, in words a user can act on.

Only a Prometheus API error about the query (a JSON body with `status: error` and an
`errorType`, e.g. 400 bad_data or 422 execution) makes that goal `error`. Any other answer (401,
403, 404, 407, 429 or 5xx after retries, an HTML page) means the source is not usable: the run
stops with exit 3 and replaces nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus

import requests

from pipeline.core.text import cap, one_line
from pipeline.query.bounded_http import RETRY_STATUSES

# errorTypes that describe the server's trouble, not the query's
SERVER_SIDE = frozenset({"internal", "unavailable"})
# errorTypes that describe the query even when sent with a 5xx (a query timeout is a 503)
QUERY_SIDE = frozenset({"bad_data", "execution", "timeout", "canceled"})


class AnswerKind(Enum):
    """How an answer that is not a usable query result counts."""

    REJECTED = "rejected"  # the server refused the query: that goal is `error`
    MALFORMED = "malformed"  # a success whose data cannot be read: that goal is `error`
    UNUSABLE = "unusable"  # not an answer about the query: the source is unusable, exit 3


@dataclass(frozen=True)
class ClassifiedAnswer:
    """What kind of answer it is and the message that goes with it (server text made safe to
    show)."""

    kind: AnswerKind
    message: str


def status_text(response: requests.Response) -> str:
    """`401 Unauthorized`: the standard phrase, or the server's own, cleaned."""
    code = response.status_code
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = one_line(cap(response.reason or "", 60))
    return f"{code} {phrase}".strip()


def hint(code: int, auth_key: str | None, header_names: tuple[str, ...] = ()) -> str:
    """What to check for an HTTP status that means the source is not usable. `header_names`:
    those of prometheus.headers (a tenant's, for Mimir, Cortex or a gateway); never a value."""
    headers = (
        f"prometheus.headers.{header_names[0]}" if len(header_names) == 1 else "prometheus.headers"
    )
    if code == 401:
        if auth_key:
            return f"check prometheus.{auth_key}" + (f" and {headers}" if header_names else "")
        if header_names:
            return f"check {headers}, or set prometheus.bearer_token_env or basic_auth"
        return (
            "the server wants credentials or a tenant: set prometheus.bearer_token_env or "
            "basic_auth, or the tenant's header in prometheus.headers (X-Scope-OrgID for Mimir "
            "and Cortex)"
        )
    if code == 403 and header_names:
        return f"the credentials or the tenant ({headers}) are not allowed to query this server"
    return {
        403: "the credentials are not allowed to query this server",
        404: "check prometheus.url: it should be the address that serves /api/v1/",
        407: "a proxy wants credentials: check HTTPS_PROXY / HTTP_PROXY",
        429: "the server is limiting requests: try later",
    }.get(code, "")


def _snippet(response: requests.Response) -> str:
    kind = one_line(cap(response.headers.get("Content-Type", "no Content-Type"), 60))
    text = one_line(cap(response.content[:200].decode("utf-8", "replace").strip(), 120))
    return f"{kind}: {text!r}" if text else f"{kind}, empty body"


def classify_answer(
    response: requests.Response | None,
    tries: int,
    auth_key: str | None,
    header_names: tuple[str, ...] = (),
) -> ClassifiedAnswer:
    """What an answer that prometheus-api-client could not turn into a result is."""
    if response is None:
        return ClassifiedAnswer(AnswerKind.UNUSABLE, "no answer")
    code = response.status_code
    retried = f"{tries} tries" if code in RETRY_STATUSES else ""
    try:
        document = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        document = None
    if isinstance(document, dict) and document.get("status") == "error":
        kind = document.get("errorType")
        if isinstance(kind, str):
            text = one_line(cap(f"{kind}: {document.get('error', '')}"))
            server_side = kind in SERVER_SIDE or (code in RETRY_STATUSES and kind not in QUERY_SIDE)
            if not server_side:
                return ClassifiedAnswer(AnswerKind.REJECTED, text)
            suffix = f" ({retried})" if retried else ""
            return ClassifiedAnswer(AnswerKind.UNUSABLE, f"{status_text(response)}: {text}{suffix}")
    if code != 200:
        notes = "; ".join(n for n in (retried, hint(code, auth_key, header_names)) if n)
        return ClassifiedAnswer(
            AnswerKind.UNUSABLE, status_text(response) + (f" ({notes})" if notes else "")
        )
    if isinstance(document, dict) and document.get("status") == "success":
        return ClassifiedAnswer(
            AnswerKind.MALFORMED, "unexpected response: data.result is not a list of series"
        )
    return ClassifiedAnswer(
        AnswerKind.UNUSABLE,
        f"{status_text(response)}, but not a Prometheus API answer ({_snippet(response)})",
    )
