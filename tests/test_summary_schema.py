"""docs/summary.schema.json comes from the summary model; real summary.json files fit it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pipeline.config import load_config
from pipeline.demo.promserver import PrometheusServer
from pipeline.outputs.summary_model import schema_text
from pipeline.run import RunRequest, run_week
from tests.support import ROOT
from tests.support.configs import shipped_config, write_config
from tests.support.handmade import HANDMADE

SHIPPED = ROOT / "docs" / "summary.schema.json"
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SHIPPED.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _summary(loaded_path: Path, out: Path, week: int) -> dict[str, Any]:
    loaded = load_config(loaded_path, env={})
    outcome = run_week(loaded, RunRequest(week=week, output_dir=out), now=NOW)
    assert outcome.folder is not None
    document: dict[str, Any] = json.loads((outcome.folder / "summary.json").read_text())
    return document


def test_the_shipped_schema_is_the_models() -> None:
    assert SHIPPED.read_text() == schema_text(), "docs/summary.schema.json is stale: `make schema`"


@pytest.mark.prometheus
def test_demo_weeks_fit_the_schema(tmp_path: Path, prometheus: PrometheusServer) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    validator = _validator()
    for week in (1, 2):  # week 2 has a previous week, a change and maybe a projection
        document = _summary(config, tmp_path / "out", week)
        validator.validate(document)
    assert document["goals"][0]["previous"]["week"] == 1


@pytest.mark.prometheus
def test_odd_goals_fit_the_schema(tmp_path: Path, prometheus: PrometheusServer) -> None:
    # NaN values, absent series, a rejected query: strings for NaN, nulls, error statuses.
    config = write_config(tmp_path / "c.yaml", HANDMADE, prometheus.url)
    document = _summary(config, tmp_path / "out", 1)
    _validator().validate(document)
    statuses = {g["id"]: g["status"] for g in document["goals"]}
    assert statuses["broken"] == "error" and statuses["absent"] == "no_data"


def test_the_schema_rejects_what_the_contract_forbids() -> None:
    validator = _validator()
    example = json.loads((ROOT / "tests" / "golden" / "week-01" / "summary.json").read_text())
    validator.validate(example)
    wrong_status = json.loads(json.dumps(example))
    wrong_status["goals"][0]["status"] = "fine"
    extra_key = {**example, "surprise": 1}
    no_agents = {k: v for k, v in example.items() if k != "agents"}
    for document in (wrong_status, extra_key, no_agents):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(document)
