"""Many teams' nightly runs in one process: the CLI's `main` called once per config in `--dir`
(`DIR/*.yaml`, each team's reports under `--output/<team>/`), one after another, as a
many-teams runner would run them (the fork server and its workers' imports are shared).

It calls `pipeline.cli.main`, which exists in every tree `run_bench.py --before` compares, so
the same command measures the code before and after. Prints how many teams exited 0; exits 1
if any did not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True, help="the teams' configs, DIR/*.yaml")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--week", default="1")
    parser.add_argument("--format", default="md,html,pdf")
    args = parser.parse_args()
    from pipeline.cli import main as cli

    configs = sorted(args.dir.glob("*.yaml"))
    codes = []
    for config in configs:
        argv = ["--week", args.week, "--config", str(config), "-q", "--format", args.format]
        codes.append(cli([*argv, "--output", str(args.output / config.stem)]))
    failed = [c.stem for c, code in zip(configs, codes, strict=True) if code]
    print(f"{len(configs) - len(failed)} of {len(configs)} teams exited 0")
    if failed:
        sys.exit(f"teams that failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
