"""How numbers, statuses and labels are shown to people; shared by every renderer."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

from pipeline.model import GoalResult, Labels
from pipeline.settings import GoalSpec
from pipeline.targets import Target
from pipeline.text import cap, one_line


def number(value: float | None, near: Sequence[float] = ()) -> str:
    """1,050,000 / 99.95 / 0.0832: enough digits to compare with a target, no more.

    A value that would read the same as one of the bounds `near` it (99.904 against > 99.9)
    gets the few more decimals that tell them apart.
    """
    text = _number(value)
    if value is None or not math.isfinite(value):
        return text
    for bound in near:
        if value != bound and text == _number(bound):
            return _apart(value, bound)
    return text


def _apart(value: float, bound: float) -> str:
    for places in range(decimals(value) + 1, 17):
        text = f"{value:,.{places}f}"
        if text != f"{bound:,.{places}f}":
            return text.rstrip("0").rstrip(".")
    return repr(value)


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if value == 0:
        return "0"
    return f"{value:.3g}"


def quantity(value: float | None, unit: str, near: Sequence[float] = ()) -> str:
    """A number with its unit: `1,050,000 events/s`, `99.95 %`."""
    text = number(value, near)
    return f"{text} {unit}" if unit and value is not None else text


def goal_bounds(spec: GoalSpec) -> tuple[float, ...]:
    """The bounds of a goal's target and warning: what its values are compared with."""
    targets = [t for t in (spec.target, spec.warning) if t is not None]
    return tuple(dict.fromkeys(b for t in targets for b in (t.low, t.high)))


def goal_quantity(value: float | None, spec: GoalSpec) -> str:
    """A goal's value with its unit, precise enough to compare with its target and warning."""
    return quantity(value, spec.unit, goal_bounds(spec))


def goal_change(delta: float | None, value: float | None, spec: GoalSpec) -> str:
    """A change of a goal's value, as precise as that value is shown."""
    return change(delta, value, goal_bounds(spec))


def decimals(value: float) -> int:
    """How many decimals `number` shows for `value` (at most; it strips trailing zeros)."""
    size = abs(value)
    if size >= 1000 or not math.isfinite(size):
        return 0
    if size >= 1:
        return 2
    if size == 0:
        return 3
    return 2 - math.floor(math.log10(size))  # three significant digits


def change(delta: float | None, like: float | None = None, near: Sequence[float] = ()) -> str:
    """`▲ 70,602`, `▼ 1.2`, `= 0`, or an em dash when unknown.

    With `like` (the value the change is of, shown with `near` as `number` does), the change
    shows no more decimals than that value does, and a change too small to show is `= 0`.
    """
    if delta is None:
        return "—"
    if like is not None and math.isfinite(like) and math.isfinite(delta):
        shown = number(like, near)
        places = max(decimals(like), len(shown.partition(".")[2]) if "e" not in shown else 0)
        delta = round(delta, places)
        if delta == 0:
            return "= 0"
        text = f"{abs(delta):,.{places}f}"
        text = text.rstrip("0").rstrip(".") if places else text
        return f"{'▲' if delta > 0 else '▼'} {text}"
    if delta == 0:
        return "= 0"
    return f"{'▲' if delta > 0 else '▼'} {number(abs(delta))}"


def score(value: float | None) -> str:
    """A 0-100 score with one decimal, or an em dash when not scored."""
    return "—" if value is None else f"{value:.1f}"


def percent(fraction: float) -> str:
    """0.973 -> `97.3%`; never shows 100.0% for a fraction that is not quite 1."""
    text = f"{100 * fraction:.1f}%"
    if text == "100.0%" and fraction < 1:
        return f"{100 * fraction:.2f}%" if fraction < 0.9999 else ">99.99%"
    return text


def target(condition: Target, unit: str = "") -> str:
    """`>= 1,000,000 events/s`, `30..50 %`."""
    if condition.op == "..":
        text = f"{number(condition.low)}..{number(condition.high)}"
    else:
        text = f"{condition.op} {number(condition.low)}"
    return f"{text} {unit}" if unit else text


def labels_text(labels: Labels, keep: frozenset[str] | None = None) -> str:
    """`customer="acme", job="ingest"`, or `(no labels)`."""
    shown = [(k, v) for k, v in labels if keep is None or k in keep]
    return ", ".join(f'{k}="{v}"' for k, v in shown) or "(no labels)"


def series_name(goal: GoalResult, labels: Labels) -> str | None:
    """`customer="initech"`: which of a goal's several series a value came from; None for one."""
    if len(goal.series) < 2:
        return None
    return labels_text(labels, varying_labels([s.labels for s in goal.series]))


def varying_labels(all_labels: list[Labels]) -> frozenset[str] | None:
    """The label names whose values differ between series (None: show every label)."""
    if len(all_labels) < 2:
        return None
    names = {k for labels in all_labels for k, _ in labels}
    varying = {n for n in names if len({dict(labels).get(n) for labels in all_labels}) > 1}
    return frozenset(varying) or None


# Backslash escapes that CommonMark, GFM and Python-Markdown (with `tables`) all understand.
_MD_BACKSLASHED = re.compile(r"([\\`*_\[\]|#])")
# Characters no escape reaches in every renderer, written as HTML entities instead: `~` has no
# backslash escape in Python-Markdown, and `<`, `>`, `&` are HTML (a backslash before `<` is
# swallowed by an autolinked URL just before it in GFM).
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "~": "&#126;"}
_MD_ENTITY_CHARS = re.compile("[&<>~]")
# What autolinkers (cmark-gfm's extension, markdown-it's linkify) take for a link: the `//` of
# a URL, the dots of a host name (`www.`, `api.example.com`: a dot before a letter), the `@` of
# an e-mail address. A data value must not become a link either, so these are broken up without
# changing the text shown: `/` and `.` as entities, and before `@` a WORD JOINER (invisible),
# since cmark-gfm finds e-mail addresses after decoding entities.
_URL_SLASHES = re.compile(r"/(?=/)")
_HOST_DOT = re.compile(r"\.(?=[^\W\d_])|(?<=[wW]{3})\.")
_EMAIL_AT = re.compile(r"(?<=\S)@")
WORD_JOINER = "\u2060"


def md_escape(text: object) -> str:
    """Any text (a label value, a goal name, a server message) as inert one-line Markdown.

    Control characters go, newlines become spaces; Markdown specials are backslash-escaped,
    HTML specials written as entities, and nothing in it can become a link or an element in
    cmark-gfm, markdown-it (with linkify) or Python-Markdown.
    """
    value = _MD_BACKSLASHED.sub(r"\\\1", one_line(str(text)))
    value = _MD_ENTITY_CHARS.sub(lambda m: _MD_ENTITIES[m.group()], value)
    value = _EMAIL_AT.sub("&#8288;@", value)  # before the dots of the address become entities
    value = _URL_SLASHES.sub("&#47;", value)
    return _HOST_DOT.sub("&#46;", value)


def md_message(text: object) -> str:
    """A server's message in a report sentence: inert, and cut to about 2,000 characters."""
    return md_escape(cap(one_line(str(text))))


def md_code(text: object) -> str:
    """Inline code that survives backticks, newlines and control characters in the text."""
    value = one_line(str(text))
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


# The Markdown of the report's own sentences: a backslash escape, an entity, a code span, `**`.
_MD_INLINE = re.compile(
    r"\\([!-/:-@\[-`{-~])"
    r"|(&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(`+)(.+?)(?<!`)\3(?!`)"
    r"|(\*\*)"
)


def md_plain(text: str) -> str:
    """The text a reader sees of one-line Markdown from `md_escape`: escapes and entities undone."""
    return "".join(_inline_pieces(text, plain=True))


def rich_html(text: str) -> Markup:
    """The report's one-line Markdown (bold, code and escapes only) as safe HTML."""
    return Markup("".join(_inline_pieces(text, plain=False)))


def _inline_pieces(text: str, plain: bool) -> list[str]:
    def out(piece: str) -> str:
        return piece if plain else str(escape(piece))

    pieces: list[str] = []
    bold = False
    pos = 0
    for match in _MD_INLINE.finditer(text):
        pieces.append(out(text[pos : match.start()]))
        escaped, entity, code, bold_mark = match.group(1), match.group(2), match.group(4), match[5]
        if escaped is not None:
            pieces.append(out(escaped))
        elif entity is not None:
            pieces.append(out(html.unescape(entity).replace(WORD_JOINER, "")))
        elif code is not None:
            inner = code[1:-1] if code.startswith(" ") and code.endswith(" ") else code
            pieces.append(inner if plain else f"<code>{escape(inner)}</code>")
        elif bold_mark and not plain:
            pieces.append("</strong>" if bold else "<strong>")
            bold = not bold
        pos = match.end()
    pieces.append(out(text[pos:]))
    if bold and not plain:
        pieces.append("</strong>")
    return pieces
