"""What test code imports from tests/: helpers from tests.support only. Fixtures come from
conftest through pytest, never by import, and no test module imports another."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

TESTS = ROOT / "tests"


def _imported(path: Path) -> set[str]:
    """The modules `path` imports, by their absolute names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"
            names.add(node.module or "")
    return names


def _from_tests_outside_support(path: Path) -> list[str]:
    return sorted(
        name
        for name in _imported(path)
        if (name == "tests" or name.startswith("tests."))
        and not (name == "tests.support" or name.startswith("tests.support."))
    )


def test_test_code_imports_from_tests_only_the_support_helpers() -> None:
    code = [*TESTS.glob("*.py"), *(TESTS / "support").glob("*.py")]
    assert len(code) > 50
    wrong = {str(p.relative_to(TESTS)): _from_tests_outside_support(p) for p in code}
    assert {path: names for path, names in wrong.items() if names} == {}
