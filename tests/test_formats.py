"""The format registry: every format a user may ask for has exactly one writer."""

from __future__ import annotations

import pytest

from pipeline.core.formats import Format, format_names, parse_formats
from pipeline.outputs.week import WRITERS
from tests.support import ROOT

PIPELINE = ROOT / "pipeline"


def test_every_format_has_a_writer() -> None:
    assert set(WRITERS) == set(Format)


def test_formats_are_parsed_and_named() -> None:
    assert parse_formats(" md,html ") == (Format.MD, Format.HTML)
    assert format_names() == "md, pdf and html"
    with pytest.raises(ValueError, match="formats are md, pdf and html"):
        parse_formats("md,docx")
    with pytest.raises(ValueError):
        parse_formats(",")
