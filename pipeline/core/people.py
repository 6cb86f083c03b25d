"""People named in the config or a check-in (a goal's owner, a check-in's author), as shown."""

from __future__ import annotations

from email.utils import parseaddr


def display_name(text: str) -> str:
    """`Dana <dana@example.com>` -> `Dana`; `<dana@example.com>` and a bare address as the
    address; anything else as written (`Dana Smith`, `Team Platform (SRE)`): parseaddr would
    read `Dana Smith` as the address `Dana`."""
    text = " ".join(text.split())
    if "<" not in text or not text.endswith(">"):
        return text
    name, address = parseaddr(text)
    return name or address or text
