"""The real parts tests start need their binaries: missing, a test skips, or fails under
CI=true (integration tests must run there, not skip)."""

from __future__ import annotations

import os
import shutil

import pytest


def installed(package: str, *tools: str) -> list[str]:
    """The paths of `tools`, from the Debian `package`; a skip or, under CI=true, a failure
    when any is missing."""
    paths = {tool: shutil.which(tool) for tool in tools}
    missing = [tool for tool, path in paths.items() if path is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}: integration tests must run, not skip")
        pytest.skip(reason)
    return [path for path in paths.values() if path]
