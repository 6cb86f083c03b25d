"""Text that goes into mail headers: one address per entry, no line breaks."""

from __future__ import annotations

import re
from email.utils import getaddresses

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ADDR_SPEC = re.compile(r"^[^@\s]+@[^@\s]+$")


def header_text(value: str | None) -> str | None:
    """`value` unchanged; ValueError if it holds a line break or another control character."""
    if value is not None and _CONTROL.search(value):
        kind = "a line break" if len(value.splitlines()) > 1 else "a control character"
        raise ValueError(f"{value!r} contains {kind}, which cannot go into an e-mail header")
    return value


def mail_address(value: str) -> str:
    """The bare address of `value` ('Name <a@x>' or 'a@x'); ValueError unless exactly one."""
    header_text(value)
    pairs = getaddresses([value])
    if len(pairs) != 1 or not _ADDR_SPEC.match(pairs[0][1]):
        found = [addr for _, addr in pairs if addr]
        if len(found) > 1:
            raise ValueError(f"'{value}' is {len(found)} addresses; list each one as its own entry")
        raise ValueError(f"'{value}' is not an e-mail address (expected name@domain)")
    return pairs[0][1]
