"""The dependency direction: api, worker and analytics import ainative, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import ainative

OUTER = ("api", "worker", "analytics")


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_core_imports_none_of_the_outer_packages() -> None:
    core = Path(ainative.__file__).parent
    offenders = {
        str(path.relative_to(core)): sorted(_imported_roots(path) & set(OUTER))
        for path in core.rglob("*.py")
        if _imported_roots(path) & set(OUTER)
    }
    assert offenders == {}


def test_research_commands_reach_the_cli_through_entry_points() -> None:
    from ainative.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"export", "seed-demo", "up", "users"} <= set(commands)
