"""The package as users install it: a wheel, run from another folder, renders every format."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.demo.promserver import PrometheusServer
from tests.conftest import ROOT, shipped_config

pytestmark = pytest.mark.prometheus
_NOT_SOURCES = (
    ".git",
    ".venv",
    ".demo",
    "reports",
    "build",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
)


@pytest.fixture(scope="module")
def wheel_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the sources (setuptools leaves a build/ behind
    that a later build would reuse) and unpacked: what `pip install` puts in site-packages."""
    source = tmp_path_factory.mktemp("src") / "project"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_NOT_SOURCES))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("*.whl")
    tree = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tree)
    return tree


def test_the_wheel_carries_the_templates(wheel_tree: Path) -> None:
    templates = wheel_tree / "pipeline" / "report_templates"
    for name in ("report.md.j2", "report.html.j2", "email.txt.j2", "assets/report.css"):
        assert (templates / name).is_file(), name
    assert (templates / "partials" / "goal_table.md.j2").is_file()


def test_a_wheel_install_writes_md_html_and_pdf_from_another_folder(
    wheel_tree: Path, tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(wheel_tree)}  # ahead of the checkout's own install
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pipeline.report.render as r; "
            "print(r.__file__, r.environment().loader._template_root)",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.split() == [
        str(wheel_tree / "pipeline" / "report" / "render.py"),
        str(wheel_tree / "pipeline" / "report_templates") + "/",
    ]
    command = [sys.executable, "-m", "pipeline", "--week", "1", "--config", str(config)]
    command += ["--output", "out", "--format", "md,html,pdf", "--agent", "go-code", "-q"]
    done = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    folder = elsewhere / "out" / "week-01"
    assert (folder / "go-code.md").read_text().startswith("# Week 1 Sprint Convergence Report")
    assert "<!DOCTYPE html>" in (folder / "go-code.html").read_text()
    assert (folder / "go-code.pdf").read_bytes().startswith(b"%PDF")
