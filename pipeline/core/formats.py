"""The report formats a user can ask for. How each is written: pipeline/outputs/week.py.

Adding a format is one member here and one entry in outputs.week.WRITERS.
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    """A report format, by the name used in config.yaml and on the command line."""

    MD = "md"
    PDF = "pdf"
    HTML = "html"


def format_names() -> str:
    """'md, pdf and html': the formats for messages."""
    names = [f.value for f in Format]
    return ", ".join(names[:-1]) + " and " + names[-1]


def parse_formats(text: str) -> tuple[Format, ...]:
    """A comma-separated list of format names; ValueError naming the formats if one is unknown."""
    names = tuple(f.strip() for f in text.split(",") if f.strip())
    known = {f.value for f in Format}
    if not names or any(n not in known for n in names):
        raise ValueError(f"'{text}': formats are {format_names()}, comma-separated")
    return tuple(Format(n) for n in names)
