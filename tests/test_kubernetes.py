"""deploy/kubernetes/: every manifest is valid against Kubernetes' own schemas (strict: no field
Kubernetes does not know), the kustomizations hold them all, every command line is one our
parser takes for the team the ConfigMap holds, and every team config there loads with the
variables the Secret provides. The Indexed Job's wrapper is run for real under /bin/sh over a
folder laid out as Kubernetes mounts the ConfigMap.

Not covered here (no cluster, no container runtime on this machine): building an image,
scheduling the pods, the volume's access modes. docs/operations.md says so."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from pipeline.cli import build_parser
from pipeline.config import load_config
from pipeline.demo.promserver import PrometheusServer
from pipeline.report import pool
from tests.support import ROOT
from tests.support.configs import shipped_config
from tests.support.manifests import (
    KUBERNETES,
    CronJob,
    cronjobs,
    kustomizations,
    load,
    manifest_files,
    mounted_config_map,
    one,
    team_files,
)

# The oldest Kubernetes the manifests claim (CronJob timeZone, Indexed Jobs with
# backoffLimitPerIndex and FailIndex all there), and the newest schema kubernetes-validate holds.
KUBERNETES_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
PROGRAM = "sprint-convergence"


def _secret_keys() -> set[str]:
    return set(one("Secret")["stringData"])


def _env_names(node: Any) -> set[str]:
    """The values of every `*_env` key in a config document: the variables it reads."""
    if isinstance(node, dict):
        found = {v for k, v in node.items() if str(k).endswith("_env") and isinstance(v, str)}
        return found.union(*(_env_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_env_names(v) for v in node))
    return set()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_every_manifest_is_valid_kubernetes(path: Path, version: str) -> None:
    for doc in load(path):
        kubernetes_validate.validate(doc, version, strict=True)


def test_a_misspelt_field_is_caught() -> None:
    """Strict mode is strict: a field Kubernetes does not know fails (it would be dropped)."""
    doc = cronjobs()[0].doc
    wrong = {**doc, "spec": {**doc["spec"], "concurrencyPolicyy": "Forbid"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSIONS[0], strict=True)


def test_the_kustomizations_hold_every_manifest_but_the_example_secret() -> None:
    listed: list[Path] = []
    for kustomization in kustomizations():
        resources = yaml.safe_load(kustomization.read_text())["resources"]
        for resource in resources:
            path = (kustomization.parent / resource).resolve()
            assert path.exists(), f"{kustomization}: {resource}"
            if path.is_file():
                listed.append(path)
    unlisted = set(manifest_files()) - set(listed)
    assert [p.name for p in sorted(unlisted)] == ["secret.example.yaml"]
    assert len(listed) == len(set(listed))  # each in one kustomization


def test_each_team_config_loads_with_the_variables_the_secret_provides(tmp_path: Path) -> None:
    keys = _secret_keys()
    for team, text in team_files().items():
        names = _env_names(yaml.safe_load(text))
        assert names and names <= keys, f"{team}: {names - keys} not in the Secret"
        config = tmp_path / f"{team}.yaml"
        config.write_text(text)
        loaded = load_config(config, env=dict.fromkeys(keys, "from-the-secret"))
        assert loaded.source.headers, f"{team}: no tenant header"
        assert loaded.metrics.url, f"{team}: the run's metrics are not pushed"


@pytest.mark.parametrize("job", cronjobs(), ids=lambda j: j.path.stem)
def test_every_run_is_locked_down_and_bounded(job: CronJob) -> None:
    assert job.doc["spec"]["concurrencyPolicy"] == "Forbid"
    assert job.pod["restartPolicy"] == "Never"
    assert job.pod["securityContext"]["runAsNonRoot"] is True
    assert job.pod["automountServiceAccountToken"] is False
    container = job.container
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    volumes = {v["name"]: v for v in job.pod["volumes"]}
    assert volumes["tmp"]["emptyDir"]
    assert job.mount("tmp") == "/tmp"
    assert volumes["config"]["configMap"]["name"] == one("ConfigMap")["metadata"]["name"]
    claim = volumes["reports"]["persistentVolumeClaim"]["claimName"]
    assert claim == one("PersistentVolumeClaim")["metadata"]["name"]
    env = job.env()
    for variable in ("HOME", "TMPDIR", "MPLCONFIGDIR", "XDG_CACHE_HOME"):
        assert env[variable].startswith("/tmp"), variable  # the only writable place but reports
    (source,) = container["envFrom"]
    assert source["secretRef"]["name"] == one("Secret")["metadata"]["name"]
    resources = container["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def _team_cronjobs() -> list[CronJob]:
    return [job for job in cronjobs() if job.job.get("completionMode") != "Indexed"]


def _indexed() -> CronJob:
    (job,) = [job for job in cronjobs() if job.job.get("completionMode") == "Indexed"]
    return job


def _check_command(argv: list[str], team: str, config_dir: str, reports: str) -> None:
    """`argv` (after the program's name) is a run of `team`'s current week that our parser
    takes, reading the team's file and writing under the reports volume."""
    args = build_parser().parse_args(argv)
    assert args.week is None  # `current`
    assert args.config == Path(config_dir) / f"{team}.yaml"
    assert args.output == Path(reports) / team
    assert args.email and args.quiet


def test_a_cronjob_per_team_runs_that_team_on_its_schedule() -> None:
    teams = team_files()
    jobs = _team_cronjobs()
    seen = []
    for job in jobs:
        command, args = job.container["command"], job.container["args"]
        assert command == [PROGRAM]
        team = Path(args[args.index("--config") + 1]).stem
        _check_command(args, team, job.mount("config"), job.mount("reports"))
        config = yaml.safe_load(teams[team])
        assert job.doc["spec"]["schedule"] == config["schedule"]["cron"]
        assert job.doc["spec"]["timeZone"] == config["sprint"]["timezone"]
        assert job.job["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"] == [2]
        seen.append(team)
    assert sorted(seen) == sorted(teams)


def _fake_program(folder: Path) -> Path:
    """A `sprint-convergence` that writes its arguments, NUL-separated, to $ARGV_FILE."""
    folder.mkdir()
    program = folder / PROGRAM
    program.write_text('#!/bin/sh\nprintf \'%s\\0\' "$@" > "$ARGV_FILE"\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return folder


def _run_index(
    job: CronJob, index: int, config_dir: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """The Indexed Job's container command for `index`, under /bin/sh, its program faked."""
    env = {
        **os.environ,
        **job.env(),
        "TEAMS_DIR": str(config_dir),
        "REPORTS_DIR": str(tmp_path / "reports"),
        "JOB_COMPLETION_INDEX": str(index),
        "ARGV_FILE": str(tmp_path / f"argv-{index}"),
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    argv = [*job.container["command"], *job.container["args"]]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)


def test_the_indexed_job_runs_each_team_file_once(tmp_path: Path) -> None:
    job = _indexed()
    teams = team_files()
    assert job.job["completions"] == len(teams)
    assert job.job["podFailurePolicy"]["rules"][0]["action"] == "FailIndex"
    assert job.env()["TEAMS_DIR"] == job.mount("config")
    assert job.env()["REPORTS_DIR"] == job.mount("reports")
    config_dir = mounted_config_map(tmp_path / "config", {f"{t}.yaml": s for t, s in teams.items()})
    _fake_program(tmp_path / "bin")
    keys = dict.fromkeys(_secret_keys(), "from-the-secret")
    ran = []
    for index in range(job.job["completions"]):
        done = _run_index(job, index, config_dir, tmp_path)
        assert done.returncode == 0, done.stderr
        argv = (tmp_path / f"argv-{index}").read_text().split("\0")[:-1]
        team = Path(argv[argv.index("--config") + 1]).stem
        assert done.stderr == f"team {team}: {config_dir / team}.yaml\n"
        _check_command(argv, team, str(config_dir), str(tmp_path / "reports"))
        config = yaml.safe_load(teams[team])
        assert job.doc["spec"]["schedule"] == config["schedule"]["cron"]
        assert job.doc["spec"]["timeZone"] == config["sprint"]["timezone"]
        load_config(config_dir / f"{team}.yaml", env=keys)  # through the ..data link
        ran.append(team)
    assert sorted(ran) == sorted(teams)


def test_an_index_past_the_team_files_exits_2_saying_how_many(tmp_path: Path) -> None:
    job = _indexed()
    teams = team_files()
    config_dir = mounted_config_map(tmp_path / "config", {f"{t}.yaml": s for t, s in teams.items()})
    _fake_program(tmp_path / "bin")
    done = _run_index(job, len(teams), config_dir, tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"error: no team file for index {len(teams)}: {config_dir} holds {len(teams)}; "
        f"set the Job's completions to {len(teams)}\n"
    )
    assert not (tmp_path / f"argv-{len(teams)}").exists()


@pytest.mark.parametrize(
    ("cpu_max", "cores"),
    [("200000 100000\n", 2), ("150000 100000\n", 2), ("50000 100000\n", 1), ("max 100000\n", 64)],
)
def test_the_chart_pool_keeps_to_the_containers_cpu_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpu_max: str, cores: int
) -> None:
    """A pod limited to 2 CPUs on a 64-core node draws with 2 workers, not 64 (each one
    more process's memory against the pod's limit)."""
    (tmp_path / "cpu.max").write_text(cpu_max)
    monkeypatch.setattr(pool, "CGROUP_CPU_MAX", tmp_path / "cpu.max")
    monkeypatch.setattr(pool.os, "sched_getaffinity", lambda pid: set(range(64)))
    assert pool.workers_for(100) == cores
    assert pool.workers_for(1) == 1


def _logged_writes(tmp_path: Path, code: str, allowed: Path) -> str:
    """What the write logger (tests/support/writes) logs for `python -c code`."""
    log = tmp_path / "writes.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "tests" / "support" / "writes"),
        "WRITES_ALLOWED": str(allowed),
        "WRITES_LOG": str(log),
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    return log.read_text()


def test_the_write_logger_sees_writes_outside_the_allowed_folders(tmp_path: Path) -> None:
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    code = (
        "import shutil, sqlite3, pathlib\n"
        f"pathlib.Path({str(inside)!r}, 'ok').write_text('x')\n"
        f"pathlib.Path({str(outside)!r}, 'a').mkdir(parents=True)\n"
        f"pathlib.Path({str(outside)!r}, 'a', 'f').write_text('x')\n"
        f"sqlite3.connect({str(outside / 'h.sqlite')!r}).close()\n"
        f"shutil.rmtree({str(outside / 'a')!r})\n"
    )
    lines = _logged_writes(tmp_path, code, inside).splitlines()
    logged = [line.split(" ", 1)[1] for line in lines]
    assert set(logged) == {
        f"os.mkdir {outside}",
        f"os.mkdir {outside}/a",
        f"open {outside}/a/f",
        f"sqlite3.connect {outside}/h.sqlite",
        f"os.remove {outside}/a/f",  # by rmtree, relative to the folder's descriptor
        f"os.rmdir {outside}/a",
    }


@pytest.fixture
def pod_tmp() -> Iterator[Path]:
    """A short /tmp, as in the pod: the pool's fork server puts a Unix socket there, and a
    socket's path is limited to 107 bytes (xdist's tmp_path is longer than that allows)."""
    folder = Path(tempfile.mkdtemp(prefix="pod-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.prometheus
def test_a_run_in_the_pods_environment_writes_only_to_tmp_and_the_reports(
    tmp_path: Path, prometheus: PrometheusServer, pod_tmp: Path
) -> None:
    """The pod's root file system is read-only: a week run (md, html and pdf, charts drawn in
    the pool's workers) with the container's environment, /tmp and /reports moved under
    tmp_path, writes nowhere else in any of its Python processes."""
    job = _team_cronjobs()[0]
    reports = tmp_path / "reports"
    env = {k: v.replace("/tmp", str(pod_tmp), 1) for k, v in job.env().items()}
    config = shipped_config(tmp_path / "config", prometheus.url)
    log = tmp_path / "writes.log"
    env = {
        **os.environ,
        **env,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "support" / "writes"), str(ROOT)]),
        "WRITES_ALLOWED": os.pathsep.join([str(pod_tmp), str(reports)]),
        "WRITES_LOG": str(log),
    }
    argv = ["--week", "1", "--config", str(config), "--output", str(reports / "demo"), "-q"]
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(list((reports / "demo" / "week-01").glob("*.pdf"))) == 4
    assert log.read_text() == ""
