"""How numbers, statuses and labels are shown to people; shared by every renderer."""

from __future__ import annotations

import math
import re

from markupsafe import Markup, escape

from pipeline.model import Labels
from pipeline.targets import Target

STATUS_TEXT = {
    "met": "Met",
    "at_risk": "At risk",
    "missed": "Missed",
    "no_data": "No data",
    "error": "Error",
}
STATUS_ICON = {"met": "✅", "at_risk": "⚠️", "missed": "❌", "no_data": "❔", "error": "⛔"}
VERDICT_TEXT = {
    "ACHIEVED": "ACHIEVED",
    "AT_RISK": "AT RISK",
    "MISSED": "MISSED",
    "NO_DATA": "NO DATA",
}
VERDICT_ICON = {"ACHIEVED": "✅", "AT_RISK": "⚠️", "MISSED": "❌", "NO_DATA": "❔"}


def number(value: float | None) -> str:
    """1,050,000 / 99.95 / 0.0832: enough digits to compare with a target, no more."""
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


def quantity(value: float | None, unit: str) -> str:
    """A number with its unit: `1,050,000 events/s`, `99.95 %`."""
    text = number(value)
    return f"{text} {unit}" if unit and value is not None else text


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


def change(delta: float | None, like: float | None = None) -> str:
    """`▲ 70,602`, `▼ 1.2`, `= 0`, or an em dash when unknown.

    With `like` (the value the change is of), the change shows no more decimals than that
    value does, and a change too small to show at that precision is `= 0`.
    """
    if delta is None:
        return "—"
    if like is not None and math.isfinite(like) and math.isfinite(delta):
        places = decimals(like)
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


def varying_labels(all_labels: list[Labels]) -> frozenset[str] | None:
    """The label names whose values differ between series (None: show every label)."""
    if len(all_labels) < 2:
        return None
    names = {k for labels in all_labels for k, _ in labels}
    varying = {n for n in names if len({dict(labels).get(n) for labels in all_labels}) > 1}
    return frozenset(varying) or None


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|~&])")


def md_escape(text: object) -> str:
    """Make any text (a label value, a goal name) inert inside Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")


def md_code(text: object) -> str:
    """Inline code that survives backticks in the text."""
    value = str(text).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


_MD_UNESCAPE = re.compile(r"\\([\\`*_\[\]<|~&])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def rich_html(text: str) -> Markup:
    """The report's one-line Markdown (bold and escapes only) as safe HTML."""
    html = str(escape(text))
    # escape() turned `\<` into `\&lt;` and `\&` into `\&amp;`: unescape those too
    html = re.sub(r"\\(&lt;|&amp;)", r"\1", html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return Markup(_MD_UNESCAPE.sub(r"\1", html))
