"""Read config.yaml, validate it against the spec, and map it to the run's settings."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipeline.config.checks import cross_checks, describe, notes, unreadable_files
from pipeline.config.mapping import to_model
from pipeline.config.spec import Config
from pipeline.config.yamlload import load_yaml
from pipeline.core.settings import Settings
from pipeline.errors import ConfigError

log = logging.getLogger("pipeline")

# A config is a few kilobytes; a file a thousand times that is a mistake (or /dev/zero), and
# reading it whole would take the machine's memory before YAML could say so.
MAX_CONFIG_BYTES = 4 * 1024 * 1024


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read, parse and validate `path` and map it to settings; raise ConfigError listing every
    problem."""
    path = Path(path)
    raw_bytes = read_config_bytes(path)
    try:
        raw, duplicates = load_yaml(raw_bytes)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), [f"{where}not valid YAML: {problem}"]) from None
    except RecursionError:
        raise ConfigError(
            str(path), ["not valid YAML: nested too deep for a config (thousands of levels)"]
        ) from None
    if duplicates:
        raise ConfigError(str(path), list(duplicates))
    loaded = validate_config(raw, path, raw_bytes, os.environ if env is None else env)
    for note in loaded.notes:
        log.warning("%s: %s", path, note)
    return loaded


def read_config_bytes(path: Path) -> bytes:
    """The file's bytes, if it is a regular file of at most MAX_CONFIG_BYTES; else ConfigError.

    Opened without blocking (a FIFO would wait for a writer) and judged by the open file, so
    a device such as /dev/zero or a named pipe is refused before a byte is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise ConfigError(
            str(path), [f"cannot read the file: {kind}; give the path of a YAML file"]
        )
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            str(path),
            [f"the file is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB; is it the config?"],
        )
    return data


def validate_config(
    raw: Any, path: Path, raw_bytes: bytes = b"", env: Mapping[str, str] | None = None
) -> Settings:
    """Validate an already-parsed YAML document and map it to settings."""
    if raw is None:
        raise ConfigError(str(path), ["the file is empty"])
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["expected a mapping of sections at the top level"])
    problems: list[str] = []
    config: Config | None = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems.extend(describe(err) for err in exc.errors())
    problems.extend(cross_checks(raw, os.environ if env is None else env))
    problems.extend(unreadable_files(raw, path.parent))
    if problems or config is None:
        raise ConfigError(str(path), problems)
    digest = hashlib.sha256(raw_bytes).hexdigest()[:12]
    return to_model(config, path, digest, notes(raw))
