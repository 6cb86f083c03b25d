"""A run that writes reports starts the pool's fork server before it loads its config, so the
server imports matplotlib and WeasyPrint on another core while the run loads, queries and
scores (issue 26); a dry run draws nothing and starts none."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline.config
import pipeline.report.pool
from pipeline.cli import main
from pipeline.errors import ConfigError


@pytest.mark.parametrize(("extra", "order"), [((), ["start", "load"]), (("--dry-run",), ["load"])])
def test_the_workers_start_before_the_config_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra: tuple[str, ...], order: list[str]
) -> None:
    calls: list[str] = []

    def load(*args: object, **kwargs: object) -> None:
        calls.append("load")
        raise ConfigError("c.yaml", ["stop here"])

    monkeypatch.setattr(pipeline.report.pool, "start_early", lambda: calls.append("start"))
    monkeypatch.setattr(pipeline.config, "load_config", load)
    argv = ["--week", "1", "--config", str(tmp_path / "c.yaml"), "-q", *extra]
    assert main(argv) == 2
    assert calls == order


def test_start_early_starts_the_fork_server_once() -> None:
    pipeline.report.pool.start_early()
    pipeline.report.pool.start_early()  # a second run in the same process: the same server
    with pipeline.report.pool.Batch(abs, [-1, -2], "testing", workers=2) as batch:
        assert batch.results() == [1, 2]
