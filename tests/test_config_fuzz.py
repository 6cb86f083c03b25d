"""Arbitrary YAML never crashes the config loader: it is valid, or a ConfigError (exit 2)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import load_config, validate_config
from pipeline.errors import ConfigError
from tests.support.setups import VALID

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["1m", ">= 5", "30..50", "UTC", "md", "fail", "min", "technical", "a"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


PATHS = _paths(VALID)


def _check(raw: Any) -> None:
    try:
        validate_config(raw, Path("fuzz.yaml"), env={})
    except ConfigError as exc:
        assert exc.problems and all(p.strip() for p in exc.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), values)
def test_any_value_anywhere_in_a_valid_config(path: tuple[Any, ...], value: Any) -> None:
    doc = copy.deepcopy(VALID)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    _check(doc)


@settings(max_examples=200, deadline=None)
@given(values)
def test_any_document(doc: Any) -> None:
    _check(doc)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_any_text(tmp_path_factory: Any, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "config.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path, env={})
    except ConfigError as exc:
        assert exc.problems


def test_a_yaml_round_trip_of_the_valid_config_loads() -> None:
    # validate_config raises ConfigError if the document is rejected: that fails this test
    direct = validate_config(copy.deepcopy(VALID), Path("valid.yaml"), env={})
    loaded = validate_config(yaml.safe_load(yaml.safe_dump(VALID)), Path("valid.yaml"), env={})
    assert loaded == direct
    assert [g.id for g in loaded.goals] == ["a", "b"]
