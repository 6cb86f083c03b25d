"""A team's settings: its config as `--config` would load it, writing under `<output>/<id>/`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.config import load_config
from pipeline.core.settings import Settings
from pipeline.errors import ConfigError
from pipeline.teams.folder import TeamFile, misnamed_problem

log = logging.getLogger("pipeline")
DEFAULT_OUTPUT = "reports"  # the output folder of a config folder: beside its configs


def output_root(config_dir: Path, output: Path | None) -> Path:
    """Where the teams' folders and the portfolio go: `--output`, else `DIR/reports`."""
    return output if output is not None else config_dir / DEFAULT_OUTPUT


def load_team(team: TeamFile, root: Path) -> Settings:
    """The team's config loaded, its reports, history and locks in `root/<id>`;
    ConfigError for a misnamed file or an invalid config. report.output_dir and
    schedule.jobstore are not used (said once per load when set)."""
    if not team.valid:
        raise ConfigError(str(team.path), [misnamed_problem(team)])
    loaded = load_config(team.path)
    folder = root / team.id
    if loaded.output_dir not in (team.path.parent / DEFAULT_OUTPUT, folder):
        log.info(
            "%s: report.output_dir is not used with --config-dir: its reports go to %s",
            team.path,
            folder,
        )
    if loaded.schedule.jobstore is not None:
        log.info("%s: schedule.jobstore is not used with --config-dir", team.path)
    return replace(
        loaded,
        report=replace(loaded.report, output_dir=folder),
        schedule=replace(loaded.schedule, jobstore=None),
    )


def shared_push_groups(teams: Sequence[tuple[str, Settings]]) -> list[str]:
    """Warnings for teams that push their metrics to one Pushgateway group (same gateway, job
    and sprint name): each push replaces the other's."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for team_id, loaded in teams:
        if loaded.metrics.url:
            key = (loaded.metrics.url.rstrip("/"), loaded.metrics.job, loaded.sprint.name)
            groups.setdefault(key, []).append(team_id)
    return [
        f"teams {', '.join(ids)} push to one Pushgateway group (job '{job}', sprint '{name}'): "
        "each push replaces the other's; give each a distinct metrics.job or sprint.name"
        for (_, job, name), ids in groups.items()
        if len(ids) > 1
    ]
