"""People named in the config or a check-in (a goal's owner, a check-in's author), as shown."""

from __future__ import annotations

import re

# `Name <address>`: the name is everything before the last `<...>`, which ends the text
_NAMED = re.compile(r"^(?P<name>.*?)\s*<(?P<address>[^<>]*)>$")


def display_name(text: str) -> str:
    """`Dana <dana@example.com>` -> `Dana` (`"Smith, Dana" <d@x>` -> `Smith, Dana`); a bare
    `<dana@example.com>` -> the address; anything else as written (`Dana Smith`, `dana@x`).
    Not email.utils.parseaddr: it reads `Dana Smith` as the address `DanaSmith`."""
    text = " ".join(text.split())
    found = _NAMED.match(text)
    if not found:
        return text
    name = found["name"].strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1].strip()
    return name or found["address"].strip() or text
