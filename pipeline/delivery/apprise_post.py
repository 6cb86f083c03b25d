"""One chat post through Apprise, in a child process that is killed at the deadline.

Apprise stops waiting for a service at its `timeout`, but leaves the thread sending it running,
and Python waits for that thread before it exits: a webhook that drips its answer would hold
the run. The child process sends; the parent waits for its answer until the deadline, then
kills it.

No redirect is followed: Apprise puts the URL's credentials on each request (user:password,
`+Header=value` custom headers, tokens in the path), and requests keeps all but Authorization
when it follows a redirect to another origin. A redirect is that channel's failure, named by
its status. Nor is a login taken from ~/.netrc (or $NETRC): it would replace the URL's
`+Authorization=...`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from dataclasses import dataclass
from http import HTTPStatus
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.core.text import cap, one_line

START_S = 2.0  # allowed beyond timeout_s for the child to start and report


@dataclass(frozen=True)
class ChatMessage:
    title: str
    body: str


def post(url: str, message: ChatMessage, timeout_s: float) -> str | None:
    """Send `message` to the Apprise `url`; None when delivered, else why not (the URL and its
    parts never appear in it). Returns within timeout_s + START_S."""
    import apprise  # noqa: F401  (imported once here, so each forked child has it)

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(url, message, timeout_s, send), daemon=True)
    child.start()
    send.close()
    try:
        if receive.poll(timeout_s + START_S):
            reason: str | None = receive.recv()
        else:
            reason = f"no answer within {timeout_s:g} s"
    except EOFError:
        reason = "the sending process ended without an answer"
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    return None if reason is None else one_line(cap(redact(reason, url), 500))


def _child(url: str, message: ChatMessage, timeout_s: float, send: Connection) -> None:
    try:
        reason = _send(url, message, timeout_s)
    except BaseException as exc:  # whatever happens, the parent gets a reason
        reason = f"{type(exc).__name__}: {exc}"
    send.send(reason)
    send.close()
    os._exit(0)  # at once: not waiting for Apprise's threads that are still sending


def _send(url: str, message: ChatMessage, timeout_s: float) -> str | None:
    import apprise

    # Apprise's log lines may carry the URL: they go only to the callback, never to stderr.
    quiet = logging.getLogger("apprise")
    quiet.setLevel(logging.WARNING)
    quiet.propagate = False
    redirected = _no_redirects()
    _no_netrc()
    sender = apprise.Apprise(asset=apprise.AppriseAsset(http_redirects=False))
    if not sender.add(url):
        return "not a URL Apprise knows (check the scheme, e.g. slack://, msteams://, json://)"
    seen: list[str] = []

    def keep(entry: Any, service: Any = None) -> None:
        if entry.level in ("WARNING", "ERROR", "CRITICAL"):
            seen.append(str(entry.message))

    outcome = sender.notify(
        body=message.body,
        title=message.title,
        body_format=apprise.NotifyFormat.TEXT,
        timeout=timeout_s,
        log_callback=keep,
        log_level=logging.WARNING,
    )
    if outcome:
        return None
    if redirected:
        hint = "redirects are not followed: set the channel's URL to the final address"
        return f"{redirected[0]} ({hint})"
    status = getattr(outcome, "status", None)
    reason = "; ".join(dict.fromkeys(seen)) or f"not delivered ({getattr(status, 'name', status)})"
    if getattr(status, "name", "") == "TIMEOUT":
        reason = f"no answer within {timeout_s:g} s ({reason})"
    return reason


def _no_redirects() -> list[str]:
    """Make every request of this (child) process stop at a redirect, whatever the Apprise
    plugin or the URL's `?redirect=yes` asks; returns the list where each redirect's status
    (`302 Found`) is put."""
    import requests

    seen: list[str] = []
    send = requests.Session.send

    def no_redirect_send(
        session: requests.Session, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        response = send(session, request, **{**kwargs, "allow_redirects": False})
        if response.is_redirect:
            code = response.status_code
            seen.append(f"{code} {HTTPStatus(code).phrase}")
        return response

    requests.Session.send = no_redirect_send  # type: ignore[method-assign,assignment]
    return seen


def _no_netrc() -> None:
    """Make every request of this (child) process carry only the URL's credentials."""
    import requests.sessions

    def no_login(url: str | bytes, raise_errors: bool = False) -> tuple[str, str] | None:
        return None

    requests.sessions.get_netrc_auth = no_login


def redact(text: str, url: str) -> str:
    """`text` without the URL or any of its tokens, keys and passwords: its user and password,
    its path segments and query values, and its host when that is not a host name or address
    (Apprise puts tokens there: slack://TokenA/TokenB/TokenC, discord://webhook_id/token)."""
    parts = urlsplit(url)
    secrets = {url, unquote(url)}
    secrets |= {s for s in parts.path.split("/") if len(s) >= 4}
    secrets |= {v for kv in parts.query.split("&") for v in kv.split("=")[1:] if len(v) >= 4}
    host = re.sub(r":\d+$", "", parts.netloc.rpartition("@")[2])  # as written: tokens keep case
    if host and parts.scheme not in ("http", "https") and not re.search(r"[.:]", host):
        secrets.add(host)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    for word in (parts.password, parts.username):  # short ones too, as whole words
        if word:
            text = re.sub(rf"(?<![\w]){re.escape(word)}(?![\w])", "***", text)
    return text
