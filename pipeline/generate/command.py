"""`python -m pipeline rules|dashboard`: write a file generated from the goals (or print it);
`rules --alertmanager` writes the Alertmanager config that routes the rules' alerts.

cli.py parses the arguments with generator_parser() and loads the config; this module sees only
the settings."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import UsageParser
from pipeline.outputs.folder import replace_text

if TYPE_CHECKING:
    from pipeline.core.settings import Settings

# The generators import their modules when called: `--help` parses arguments without them.


def _rules(loaded: Settings, args: argparse.Namespace) -> str:
    if args.alertmanager:
        from pipeline.generate.alertmanager import alertmanager_yaml

        return alertmanager_yaml(loaded)
    from pipeline.generate.rules import rules_yaml

    return rules_yaml(loaded, operator=args.format == "operator")


def _dashboard(loaded: Settings, args: argparse.Namespace) -> str:
    from pipeline.generate.dashboard import dashboard_json

    return dashboard_json(loaded)


GENERATORS: dict[str, Callable[[Settings, argparse.Namespace], str]] = {
    "rules": _rules,
    "dashboard": _dashboard,
}


def generator_parser(command: str, program: str = "python -m pipeline") -> argparse.ArgumentParser:
    """The parser of `python -m pipeline rules|dashboard ...` (after the command)."""
    parser = UsageParser(prog=f"{program} {command}")
    parser.add_argument("--config", default="config.yaml", type=Path)
    parser.add_argument("--output", type=Path, help="write it there [stdout]")
    if command == "rules":
        # --alertmanager writes another file from the same goals: no --format of the rules
        what = parser.add_mutually_exclusive_group()
        what.add_argument(
            "--format",
            choices=["rules", "operator"],
            default="rules",
            help="a rule file [rules], or a PrometheusRule for the Prometheus Operator",
        )
        what.add_argument(
            "--alertmanager",
            action="store_true",
            help="instead of the rules, an Alertmanager config routing their alerts to each agent",
        )
    return parser


def generate(command: str, loaded: Settings, args: argparse.Namespace) -> int:
    """Generate `command`'s file from the goals; return the exit code.

    `args` are generator_parser(command)'s."""
    text = GENERATORS[command](loaded, args)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    replace_text(args.output, text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
