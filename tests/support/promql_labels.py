"""Add a label matcher to every selector of a PromQL query, as prom-label-proxy does to enforce
a tenant: `rate(x[5m]) / y{job="a"}` with tenant="a" is
`rate(x{tenant="a"}[5m]) / y{job="a",tenant="a"}`.

The query is read token by token (strings, comments, numbers and durations, names, brackets,
the way Prometheus's lexer reads them) and the matcher is inserted into the text: everything
else stays as written. promql-parser (PyPI, 0.12) was tried first and not used: its printer
turns the subquery `x[5m:]` into the range `x[5m]` and it refuses `\\"` in a label value.

A selector that already names the label keeps its matcher and gets the tenant's too: Prometheus
ANDs them, so `x{tenant="b"}` asked for tenant a finds nothing (prom-label-proxy's default
replaces the value; either way a tenant sees only its own series).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>(?:\d|\.\d)(?:[eE][+-]\d|[0-9a-zA-Z_.])*)
  | (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<punct>[(){}\[\],@])
  | (?P<operator>[-+*/%^=!<>~]+)
    """,
    re.VERBOSE | re.DOTALL,
)
# names followed by a parenthesised list of label names, not an expression
_LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
# names that are never a selector: operators, keywords, aggregations, number literals
_NOT_SELECTORS = frozenset(
    {"bool", "and", "or", "unless", "atan2", "offset", "start", "end", "inf", "nan"}
    | {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"}
    | {"bottomk", "topk", "quantile", "limitk", "limit_ratio"}
    | _LABEL_LISTS  # `group_left` may come without a list
)
_CLOSING = {"(": ")", "[": "]", "{": "}"}


class QueryError(ValueError):
    """The query cannot be read (an unclosed bracket or string, a stray character)."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


def _tokens(query: str) -> list[_Token]:
    """The query's tokens, without spaces and comments."""
    found, at = [], 0
    while at < len(query):
        match = _TOKEN.match(query, at)
        if match is None or match.lastgroup is None:
            raise QueryError(f"unexpected character {query[at]!r} at position {at}")
        if match.lastgroup not in ("space", "comment"):
            found.append(_Token(match.lastgroup, match.group(), match.start(), match.end()))
        at = match.end()
    return found


def _matching(tokens: list[_Token], opening: int) -> int:
    """The index of the bracket closing the one at `opening`."""
    depth = 0
    for index in range(opening, len(tokens)):
        text = tokens[index].text
        if tokens[index].kind != "punct":
            continue
        if text in _CLOSING:
            depth += 1
        elif text in _CLOSING.values():
            depth -= 1
            if depth == 0:
                if text != _CLOSING[tokens[opening].text]:
                    raise QueryError(f"{tokens[opening].text!r} closed by {text!r}")
                return index
    raise QueryError(f"unclosed {tokens[opening].text!r} at position {tokens[opening].start}")


def _next(tokens: list[_Token], index: int) -> str:
    """The bracket right after token `index`, else ""."""
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    return after.text if after is not None and after.kind == "punct" else ""


def _insertions(tokens: list[_Token], matcher: str) -> list[tuple[int, str]]:
    """Where the matcher goes in the text, and as what."""
    inserts: list[tuple[int, str]] = []
    index = 0
    while index < len(tokens):
        token, following = tokens[index], _next(tokens, index)
        name = token.kind == "name"
        if name and token.text in _LABEL_LISTS and following == "(":
            index = _matching(tokens, index + 1) + 1  # `by (le)`: label names, not selectors
        elif name and (token.text.lower() in _NOT_SELECTORS or following == "("):
            index += 1  # an operator, keyword or number, or a function's name
        elif name and following == "{":
            index = _braces(tokens, index + 1, matcher, inserts)
        elif name:
            inserts.append((token.end, "{" + matcher + "}"))
            index += 1
        elif token.kind == "punct" and token.text == "{":
            index = _braces(tokens, index, matcher, inserts)
        elif token.kind == "punct" and token.text == "[":
            index = _matching(tokens, index) + 1  # a range or subquery's durations
        else:
            index += 1
    return inserts


def _braces(
    tokens: list[_Token], opening: int, matcher: str, inserts: list[tuple[int, str]]
) -> int:
    """Add the matcher before the `}` of the matchers opened at `opening`; the next index."""
    closing = _matching(tokens, opening)
    last = tokens[closing - 1]
    separator = "" if last.text in ("{", ",") and last.kind == "punct" else ","
    inserts.append((tokens[closing].start, separator + matcher))
    return closing + 1


def with_label(query: str, name: str, value: str) -> str:
    """`query` with `name="value"` in every selector; QueryError if it cannot be read."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    inserts = _insertions(_tokens(query), f'{name}="{escaped}"')
    text, at = [], 0
    for position, addition in inserts:
        text.extend((query[at:position], addition))
        at = position
    text.append(query[at:])
    return "".join(text)
