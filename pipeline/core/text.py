"""External text (labels, names, units, server messages) made safe to show anywhere."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# C0 controls except tab and newline, DEL, the C1 controls (ESC-less CSI is 0x9b), the Unicode
# line and paragraph separators, and the bidi embeddings, overrides and isolates, which can make
# text read differently from what it is.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CAPPED = re.compile(r"\.\.\. \([\d,]+ more\)$")
# A JSON answer can hold `\ud800`: a lone surrogate, which no UTF-8 file, font or terminal takes.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
MAX_MESSAGE_CHARS = 2000


def valid_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, as Prometheus itself writes bad UTF-8."""
    return _SURROGATES.sub("\ufffd", text)


def strip_controls(text: str) -> str:
    """`text` without control characters (ESC, BEL, CR, ...) or lone surrogates; tabs and
    newlines are kept."""
    return _CONTROLS.sub("", valid_text(text))


def one_line(text: str) -> str:
    """`text` without control characters, its newlines and tabs turned into spaces."""
    return strip_controls(text).replace("\n", " ").replace("\t", " ")


def cap(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` cut to about `limit` characters, saying how many were left out; cut only once."""
    capped = _CAPPED.search(text)
    if len(text) <= limit or (capped and capped.start() <= limit):
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more)"


def mask_url(url: str) -> str:
    """`url` with the password of a `user:password@` part shown as `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
