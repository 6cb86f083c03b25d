"""The format registry: every format a user may ask for has exactly one writer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.formats import Format, format_names, parse_formats
from pipeline.report.write import WRITERS

PIPELINE = Path(__file__).parent.parent / "pipeline"


def test_every_format_has_a_writer() -> None:
    assert set(WRITERS) == set(Format)


def test_formats_are_parsed_and_named() -> None:
    assert parse_formats(" md,html ") == (Format.MD, Format.HTML)
    assert format_names() == "md, pdf and html"
    with pytest.raises(ValueError, match="formats are md, pdf and html"):
        parse_formats("md,docx")
    with pytest.raises(ValueError):
        parse_formats(",")


def test_only_loading_sees_the_config_spec() -> None:
    """Stages take pipeline.settings values; only the commands that load a file import config."""
    loaders = {"cli.py", "schedule.py", "validate.py"}
    for path in PIPELINE.rglob("*.py"):
        if "config" in path.relative_to(PIPELINE).parts[:1] or path.name in loaders:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("pipeline.config"), path
