"""Helpers the test modules share: servers, fakes, config files, binaries. Test modules import
these, never each other or conftest (which holds only fixtures)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository
