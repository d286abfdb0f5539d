"""The wheel ships every package of the source tree (an editable install hides a forgotten one)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_viewer_package_is_listed_for_the_wheel() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    in_tree = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "viewer").rglob("__init__.py")}
    assert in_tree - listed == set()


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("python3 -m venv") and "[test]" in line)
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for tool in ("ruff check .", "ruff format --check .", "mypy", "lint-imports", "pytest"):
        assert tool in command
