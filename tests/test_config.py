"""config.yaml validation: every problem reported at once, with its path and a clear reason."""

from __future__ import annotations

import copy
import logging
import math
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.config import load_config
from pipeline.config.load import MAX_CONFIG_BYTES
from pipeline.errors import ConfigError
from tests.support import ROOT
from tests.support.logs import pipeline_log
from tests.support.setups import VALID

EMAIL = {"smtp_host": "127.0.0.1", "from": "reports@example.com"}


def _load(tmp_path: Path, doc: Any, env: dict[str, str] | None = None) -> Any:
    path = tmp_path / "config.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return load_config(path, env=env or {})


def _problems(tmp_path: Path, doc: Any, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, doc, env)
    assert info.value.exit_code == 2
    return info.value.problems


def test_shipped_config_is_valid() -> None:
    loaded = load_config(ROOT / "config.yaml", env={})
    assert len(loaded.goals) == 10 and len(loaded.agents) == 4
    assert len(loaded.digest) == 12


def test_defaults(tmp_path: Path) -> None:
    cfg = _load(tmp_path, VALID)
    assert cfg.source.url == "http://127.0.0.1:9090"
    assert (cfg.source.timeout_s, cfg.source.retries) == (30, 3)
    assert cfg.source.max_points_per_request == 11000
    assert (cfg.sprint.week_days, cfg.sprint.timezone, cfg.sprint.step_s) == (7, "UTC", 60)
    assert (cfg.scoring.pass_score, cfg.scoring.warning_score) == (90, 75)
    assert cfg.scoring.no_data == "fail"
    assert cfg.report.formats == ("md", "html", "pdf")
    assert cfg.report.output_dir == tmp_path / "reports"
    assert cfg.goals[0].weight == 1 and cfg.goals[0].key is False and cfg.goals[0].unit == ""


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node: Any = doc
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return doc


_DELETE = object()

BAD = [
    (
        "goals.0.target",
        "=> 5",
        "goals[0].target: cannot parse '=> 5' (expected '>= X', '> X', "
        "'<= X', '< X', '== X' or 'A..B')",
    ),
    (
        "goals.1.warning",
        "55..25",
        "goals[1].warning: range '55..25' has its low end above its high end",
    ),
    (
        "goals.1.warning",
        "35..55",
        "goals[1].warning: '35..55' does not contain the target '30..50' (the warning must hold "
        "every value that meets the target)",
    ),
    (  # a band on the wrong side of the target
        "goals.0.warning",
        "<= 0",
        "goals[0].warning: '<= 0' does not contain the target '>= 1' (the warning must hold "
        "every value that meets the target)",
    ),
    (  # stricter than the target: never at risk
        "goals.0.warning",
        "> 1",
        "goals[0].warning: '> 1' does not contain the target '>= 1' (the warning must hold "
        "every value that meets the target)",
    ),
    ("goals.0.colour", "red", "goals[0].colour: unknown key"),
    ("colour", "red", "colour: unknown key"),
    (
        "goals.0.aggregate",
        "avg",
        "goals[0].aggregate: input should be 'last', 'min', 'max', "
        "'mean', 'median', 'p50', 'p90', 'p95', 'p99' or 'compliance' (got 'avg')",
    ),
    ("goals.0.aggregate", "compliance", "goals[0]: aggregate 'compliance' needs a sample_target"),
    (
        "goals.0.weight",
        "heavy",
        "goals[0].weight: input should be a valid number, unable to "
        "parse string as a number (got 'heavy')",
    ),
    ("goals.0.weight", 0, "goals[0].weight: input should be greater than 0 (got 0)"),
    (
        "goals.0.id",
        "Bad Id",
        [
            "goals[0].id: string should match pattern '^[a-z0-9_-]+$' (got 'Bad Id')",
            "agents[0].goals[0]: unknown goal id 'a'",
        ],
    ),
    (
        "goals.1.id",
        "a",
        [
            "goals[1].id: duplicate id 'a' (also goals[0])",
            "agents[0].goals[1]: unknown goal id 'b'",
        ],
    ),
    (
        "goals.0.category",
        "ops",
        "goals[0].category: unknown category 'ops' (scoring.categories has: customer, technical)",
    ),
    ("goals.0.name", _DELETE, "goals[0].name: required key is missing"),
    ("agents.0.goals.1", "nope", "agents[0].goals[1]: unknown goal id 'nope'"),
    (
        "scoring.categories.customer.weight",
        0.5,
        "scoring.categories: weights sum to 0.9, they must sum to 1",
    ),
    (
        "scoring.no_data",
        "ignore",
        "scoring.no_data: input should be 'fail' or 'skip' (got 'ignore')",
    ),
    (
        "sprint.timezone",
        "Mars/Olympus",
        "sprint.timezone: unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as 'Europe/Paris')",
    ),
    (
        "sprint.step",
        "1 minute",
        "sprint.step: cannot parse duration '1 minute' (expected e.g. '30s', '1m', '1h30m')",
    ),
    (
        "sprint.start",
        "next monday",
        "sprint.start: input should be a valid date or datetime, "
        "invalid character in year (got 'next monday')",
    ),
    (
        "prometheus",
        {"url": "127.0.0.1:9090"},
        "prometheus.url: '127.0.0.1:9090' is not an http:// or https:// URL",
    ),
    (
        "prometheus",
        {"ui_url": "https://ui.example.com/prom/?org=1"},
        "prometheus.ui_url: 'https://ui.example.com/prom/?org=1' has a query string or "
        "fragment; give the base address",
    ),
    (
        "prometheus",
        {"retries": "many"},
        "prometheus.retries: input should be a valid integer, "
        "unable to parse string as an integer (got 'many')",
    ),
    (
        "prometheus",
        {"bearer_token_env": "PROM_TOKEN"},
        "prometheus.bearer_token_env: environment variable 'PROM_TOKEN' is not set",
    ),
    (
        "report",
        {"formats": ["docx"]},
        "report.formats[0]: input should be 'md', 'pdf' or 'html' (got 'docx')",
    ),
    # issue 10: what reaches a mail header, and numbers that overflow dates or floats
    (
        "agents.0.email",
        ["a@x.org, b@evil.org"],
        "agents[0].email[0]: 'a@x.org, b@evil.org' is 2 addresses; list each one as its own entry",
    ),
    (
        "agents.0.email",
        ["pm@x.org", "nobody"],
        "agents[0].email[1]: 'nobody' is not an e-mail address (expected name@domain)",
    ),
    (
        "agents.0.name",
        "PM\nBcc: x@evil.org",
        "agents[0].name: 'PM\\nBcc: x@evil.org' contains a line break, "
        "which cannot go into an e-mail header",
    ),
    (
        "sprint.name",
        "S\r\nBcc: x@evil.org",
        "sprint.name: 'S\\r\\nBcc: x@evil.org' contains a line break, "
        "which cannot go into an e-mail header",
    ),
    (
        "sprint.name",
        "S\u2029Bcc: x@evil.org",  # Python's mail headers split on U+2028/U+2029 too
        "sprint.name: 'S\\u2029Bcc: x@evil.org' contains a line break, "
        "which cannot go into an e-mail header",
    ),
    (
        "agents.0.name",
        "PM \u202egnp.exe",
        "agents[0].name: 'PM \\u202egnp.exe' contains a control character, "
        "which cannot go into an e-mail header",
    ),
    (
        "email",
        {**EMAIL, "from": "a@x.org, b@y.org"},
        "email.from: 'a@x.org, b@y.org' is 2 addresses; list each one as its own entry",
    ),
    (
        "email",
        {**EMAIL, "from": "a@x.org\nBcc: b@y.org"},
        "email.from: 'a@x.org\\nBcc: b@y.org' contains a line break, "
        "which cannot go into an e-mail header",
    ),
    (
        "email",
        {**EMAIL, "username": "u\r\nRCPT TO:<x@y.org>"},
        "email.username: 'u\\r\\nRCPT TO:<x@y.org>' contains a line break, "
        "which cannot go into an e-mail header",
    ),
    (
        "email",
        {**EMAIL, "timeout_s": math.inf},
        "email.timeout_s: input should be a finite number (got inf)",
    ),
    ("email", {**EMAIL, "timeout_s": 0}, "email.timeout_s: input should be greater than 0 (got 0)"),
    (
        "prometheus",
        {"timeout_s": math.inf},
        "prometheus.timeout_s: input should be a finite number (got inf)",
    ),
    (
        "sprint.week_days",
        100000000,
        "sprint.week_days: input should be less than or equal to 366 (got 100000000)",
    ),
    (
        "goals.0.weight",
        1e308,
        "goals[0].weight: input should be less than or equal to 1000000 (got 1e+308)",
    ),
    ("goals.0.weight", math.inf, "goals[0].weight: input should be a finite number (got inf)"),
    (
        "schedule",
        {"cron": "0 0 31 2 *"},
        "schedule.cron: cron '0 0 31 2 *' does not fire in the next 5 years "
        "(a date that does not exist, such as February 31?)",
    ),
    (
        "schedule",
        {"misfire_grace": "1000d"},
        "schedule.misfire_grace: misfire_grace '1000d' is longer than 366 days",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_value_gives_its_path_and_reason(
    tmp_path: Path, path: str, value: Any, message: str | list[str]
) -> None:
    expected = message if isinstance(message, list) else [message]
    assert _problems(tmp_path, _set(VALID, path, value)) == expected


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    doc = _set(VALID, "goals.0.target", ">= abc")
    doc = _set(doc, "goals.1.aggregate", "avg")
    doc = _set(doc, "agents.0.goals.0", "zzz")
    doc = _set(doc, "scoring.categories.technical.weight", 0.5)
    problems = _problems(tmp_path, doc)
    assert len(problems) == 4
    assert [p.split(":")[0] for p in problems] == [
        "goals[0].target",
        "goals[1].aggregate",
        "agents[0].goals[0]",
        "scoring.categories",
    ]


def test_message_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, _set(VALID, "goals.0.target", "=> 5"))
    assert str(info.value).startswith(f"{tmp_path / 'config.yaml'}: goals[0].target: cannot parse")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "expected a mapping of sections at the top level"),
        (
            "sprint: [unclosed\n",
            "line 2, column 1: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
    ],
)
def test_unreadable_documents(tmp_path: Path, text: str, message: str) -> None:
    assert _problems(tmp_path, text) == [message]


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("2026-02-30", "'2026-02-30' is not a valid date or time (day is out of range for month)"),
        ("2026-13-01", "'2026-13-01' is not a valid date or time (month must be in 1..12)"),
        ("2026-11-02 25:00:00", "'2026-11-02 25:00:00' is not a valid date or time (hour must"),
        ("2026-11-02T10:00:00+99:00", "'2026-11-02T10:00:00+99:00' is not a valid date or time"),
        ("!!timestamp soon", "'soon' is not a valid date or time"),
        ("!!int abc", "'abc' is not a valid integer (invalid literal for int()"),
        ("!!float abc", "'abc' is not a valid number (could not convert string to float"),
        ("!!bool maybe", "'maybe' is not a valid boolean"),
    ],
)
def test_a_value_its_type_cannot_be_built_from_is_a_yaml_error_at_its_line(
    tmp_path: Path, written: str, said: str
) -> None:
    """PyYAML raises a bare ValueError, KeyError or AttributeError: it was exit 1, "unexpected
    error", and with --config-dir it stopped every team."""
    (problem,) = _problems(tmp_path, f"sprint:\n  start: {written}\n")
    assert problem.startswith(f"line 2, column 10: not valid YAML: {said}")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert info.value.problems == ["cannot read the file: No such file or directory"]


def test_secret_env_var_present_is_accepted(tmp_path: Path) -> None:
    doc = _set(VALID, "prometheus", {"basic_auth": {"username": "u", "password_env": "PW"}})
    assert _load(tmp_path, doc, env={"PW": "s3cret"}).source.basic_auth == ("u", "PW")


def test_a_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    text = yaml.safe_dump(VALID, sort_keys=False)
    second = "agents:\n- id: other\n  name: Other\n  goals: [a]\n"
    lines = text.count("\n")
    first_line = text.splitlines().index("agents:") + 1
    problems = _problems(tmp_path, text + second + "sprint: {name: S, name: T}\n")
    assert problems == [
        f"line {lines + 1}, column 1: duplicate key 'agents' (first on line {first_line}); "
        "keep one of them",
        f"line {lines + 5}, column 1: duplicate key 'sprint' (first on line 1); keep one of them",
        f"line {lines + 5}, column 19: duplicate key 'name' (first on line {lines + 5}); "
        "keep one of them",
    ]


def test_a_merge_key_may_be_overridden(tmp_path: Path) -> None:
    text = yaml.safe_dump(VALID, sort_keys=False).replace(
        "sprint:\n  name: S\n", "base: &b {name: S}\nsprint:\n  <<: *b\n  name: T\n"
    )
    text = text.replace("base: &b", "x-base: &b")
    # 'x-base' is an unknown key: the point is that the merge itself is no duplicate
    assert _problems(tmp_path, text) == ["x-base: unknown key"]


def test_a_recipient_listed_twice_is_mailed_once_with_a_note(tmp_path: Path) -> None:
    doc = _set(VALID, "agents.0.email", ["pm@x.org", "Team <PM@x.org>", "b@x.org"])
    with pipeline_log(logging.WARNING) as log:
        loaded = _load(tmp_path, doc)
    assert loaded.agents[0].email == ("pm@x.org", "b@x.org")
    assert log.messages == [
        f"{tmp_path / 'config.yaml'}: agents[0].email[1]: 'Team <PM@x.org>' is already "
        "agents[0].email[0]; it is mailed once"
    ]


PIPELINE = [sys.executable, "-m", "pipeline"]


def _cli_on(config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`python -m pipeline --week 1 --config <config>` with 1 GiB of memory and 60 s at most."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [*PIPELINE, "--week", "1", "--config", str(config), "--output", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda tmp: Path("/dev/zero"), "not a regular file"),
        (lambda tmp: tmp, "a directory"),
        (lambda tmp: (os.mkfifo(tmp / "fifo"), tmp / "fifo")[1], "not a regular file"),
    ],
    ids=["dev-zero", "directory", "fifo"],
)
def test_a_config_that_is_not_a_regular_file_is_refused_before_reading(
    tmp_path: Path, make: Callable[[Path], Path], kind: str
) -> None:
    config = make(tmp_path)
    done = _cli_on(config, tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        f"error: {config}: cannot read the file: {kind}; give the path of a YAML file\n",
    )
    assert not (tmp_path / "out").exists()


def test_a_config_larger_than_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(yaml.safe_dump(VALID).encode() + b"#" * MAX_CONFIG_BYTES)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.problems == ["the file is larger than 4 MiB; is it the config?"]


def test_a_config_nested_thousands_deep_is_a_config_error(tmp_path: Path) -> None:
    done = _cli_on_text("[" * 50_000, tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        f"error: {tmp_path / 'config.yaml'}: not valid YAML: nested too deep for a config "
        "(thousands of levels)\n",
    )


def _cli_on_text(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config.yaml").write_text(text)
    return _cli_on(tmp_path / "config.yaml", tmp_path)


HEADER_CASES = [
    (
        {"headers": {"X-Scope-OrgID": "tenant\r\nX-Evil: 1"}},
        {},
        "prometheus.headers.X-Scope-OrgID: the value contains a line break, which cannot go "
        "into an HTTP header",
    ),
    (
        {"headers": {"X-Api-Key": "k3y\x00"}},
        {},
        "prometheus.headers.X-Api-Key: the value contains a control character, which cannot go "
        "into an HTTP header",
    ),
    (
        {"headers": {"X-Tenant": "équipe→1"}},
        {},
        "prometheus.headers.X-Tenant: the value contains a character outside Latin-1, which "
        "cannot go into an HTTP header",
    ),
    (
        {"headers": {"X Tenant": "a"}},
        {},
        "prometheus.headers.X Tenant: not a valid HTTP header name (letters, digits and -_. "
        "only; no spaces)",
    ),
    (
        {"bearer_token_env": "PROM_TOKEN"},
        {"PROM_TOKEN": "s3cret-token\n"},
        "prometheus.bearer_token_env: environment variable 'PROM_TOKEN' contains a line break, "
        "which cannot go into an HTTP header (a trailing newline from a file?)",
    ),
    (
        {"basic_auth": {"username": "u", "password_env": "PW"}},
        {"PW": "s3cret\r"},
        "prometheus.basic_auth.password_env: environment variable 'PW' contains a line break, "
        "which cannot go into an HTTP header (a trailing newline from a file?)",
    ),
    (
        {"basic_auth": {"username": "u\nX: y", "password_env": "PW"}},
        {"PW": "pw"},
        "prometheus.basic_auth.username: the username contains a line break, which cannot go "
        "into an HTTP header",
    ),
]


@pytest.mark.parametrize(
    ("prometheus", "env", "message"),
    HEADER_CASES,
    ids=["header-crlf", "header-nul", "header-latin1", "header-name", "token", "password", "user"],
)
def test_a_header_value_or_token_that_cannot_be_sent_is_a_config_error(
    tmp_path: Path, prometheus: dict[str, Any], env: dict[str, str], message: str
) -> None:
    problems = _problems(tmp_path, _set(VALID, "prometheus", prometheus), env)
    assert problems == [message]
    assert not any("s3cret" in p or "k3y" in p for p in problems)


@pytest.mark.parametrize(
    ("metrics", "env", "message"),
    [
        (
            {"bearer_token_env": "PUSH_TOKEN"},
            {"PUSH_TOKEN": "s3cret\r\n"},
            "metrics.bearer_token_env: environment variable 'PUSH_TOKEN' contains a line break, "
            "which cannot go into an HTTP header (a trailing newline from a file?)",
        ),
        (
            {"basic_auth": {"username": "u", "password_env": "PW"}},
            {"PW": "s3cret\x1b"},
            "metrics.basic_auth.password_env: environment variable 'PW' contains a control "
            "character, which cannot go into an HTTP header (a trailing newline from a file?)",
        ),
    ],
    ids=["token", "password"],
)
def test_a_pushgateway_token_that_cannot_be_sent_is_a_config_error(
    tmp_path: Path, metrics: dict[str, Any], env: dict[str, str], message: str
) -> None:
    doc = _set(VALID, "metrics", {"pushgateway_url": "http://127.0.0.1:9091", **metrics})
    problems = _problems(tmp_path, doc, env)
    assert problems == [message]
    assert not any("s3cret" in p for p in problems)
