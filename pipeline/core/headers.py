"""Text that goes into an HTTP header (from config.yaml or the environment): one line of Latin-1.

Used by the config's checks and by the chat stage (its URLs, with Apprise's custom headers in
them, come from the environment when it runs).

A line break in a header value would be refused by requests as InvalidHeader on every try, and a
character outside Latin-1 cannot be encoded at all; both are the config's fault, so they are
config errors naming the key. Values are never quoted back: a header may carry a secret.
"""

from __future__ import annotations

import re

# RFC 9110 token: what a header name may be made of
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def control_problem(value: str) -> str | None:
    """ "a line break" or "a control character" when `value` holds one, else None."""
    if _LINE_BREAK.search(value):
        return "a line break"
    if _CONTROL.search(value):
        return "a control character"
    return None


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be an HTTP header value, or None when it can."""
    problem = control_problem(value)
    if problem:
        return problem
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return "a character outside Latin-1"
    return None


def header_value(value: str) -> str:
    """`value` unchanged; ValueError (not quoting it) if it cannot be an HTTP header value."""
    problem = header_value_problem(value)
    if problem:
        raise ValueError(f"the value contains {problem}, which cannot go into an HTTP header")
    return value


def header_name(name: str) -> str:
    """`name` unchanged; ValueError unless it is a valid HTTP header name."""
    if not _TOKEN.match(name):
        raise ValueError("not a valid HTTP header name (letters, digits and -_. only; no spaces)")
    return name
