"""The package as users install it: a wheel in a fresh venv, run from another folder, renders
every format."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from pipeline import __version__
from pipeline.demo.promserver import PrometheusServer
from tests.support import ROOT
from tests.support.configs import shipped_config

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
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the sources (setuptools leaves a build/ behind
    that a later build would reuse)."""
    source = tmp_path_factory.mktemp("src") / "project"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_NOT_SOURCES))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    [built] = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh venv outside the repository with the wheel installed: its `bin/python`.

    Third-party packages come from this checkout's venv through a .pth line, so nothing is
    downloaded; a plain path line does not run that folder's own .pth files, so the checkout's
    editable install stays out. The wheel goes in with pip, without dependencies or an index.
    """
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    [site] = root.glob("lib/python*/site-packages")
    (site / "third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    install += ["--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    return python


def _clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout on the path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_the_wheel_carries_the_templates(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    templates = "pipeline/report_templates/"
    for name in ("report.md.j2", "report.html.j2", "email.txt.j2", "assets/report.css"):
        assert templates + name in names, name
    assert templates + "partials/goal_table.md.j2" in names


def test_a_wheel_install_writes_md_html_and_pdf_from_another_folder(
    venv: Path, tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env()
    where = subprocess.run(
        [
            str(venv),
            "-c",
            "import pipeline, pipeline.report.render as r; "
            "print(pipeline.__file__, r.environment().loader._template_root)",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    [package, templates] = [Path(p) for p in where.stdout.split()]
    prefix = venv.parent.parent
    assert package.is_relative_to(prefix) and not package.is_relative_to(ROOT), package
    assert templates == package.parent / "report_templates"
    command = [str(venv), "-m", "pipeline", "--week", "1", "--config", str(config)]
    command += ["--output", "out", "--format", "md,html,pdf", "--agent", "go-code", "-q"]
    done = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    folder = elsewhere / "out" / "week-01"
    assert (folder / "go-code.md").read_text().startswith("# Week 1 Sprint Convergence Report")
    assert "<!DOCTYPE html>" in (folder / "go-code.html").read_text()
    assert (folder / "go-code.pdf").read_bytes().startswith(b"%PDF")


def test_the_wheel_carries_every_module_of_the_checkout(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if n.endswith(".py")}
    checkout = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pipeline").rglob("*.py")}
    assert checkout - names == set()


def test_the_console_script_says_its_version(venv: Path, tmp_path: Path) -> None:
    script = venv.parent / "sprint-convergence"
    done = subprocess.run(
        [str(script), "--version"], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"sprint-convergence {__version__}\n"
    usage = subprocess.run(
        [str(script), "--week"], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True
    )
    assert usage.returncode == 2
    assert usage.stderr.startswith("error: argument --week: expected one argument")


def test_a_wheel_install_forecasts_and_backtests(
    venv: Path, tmp_path: Path, prometheus: PrometheusServer
) -> None:
    """The forecast and the backtest run from the installed package: week 2 as of its
    Wednesday noon carries the week's-end odds; backtest prints its tables."""
    config = str(shipped_config(tmp_path, prometheus.url))
    env = _clean_env()
    week = [str(venv), "-m", "pipeline", "--week", "2", "--as-of", "2026-11-11T12:00:00Z"]
    week += ["--config", config, "--output", "out", "--format", "md", "--agent", "devops", "-q"]
    done = subprocess.run(week, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "out" / "week-02" / "devops.md").read_text()
    assert "expected at the week's end: **" in report and "| Forecast |" in report
    backtest = [str(venv), "-m", "pipeline", "backtest", "--config", config, "--weeks", "1-2"]
    done = subprocess.run(backtest, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Backtest of weeks 1-2: 12 nights")
    assert "| forecast |" in done.stdout and "| two-point projection |" in done.stdout
