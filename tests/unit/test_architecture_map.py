"""docs/architecture.md's "Where is X" names every module: the map cannot fall behind."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("platform/ainative", "api", "worker")


def where_is_section() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    start = text.index("### Where is X")
    end = text.find("\n## ", start)
    return text[start : end if end != -1 else len(text)]


def modules() -> list[str]:
    """The modules of the core, API and worker; not migrations nor docstring-only packages."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            if path.name == "__init__.py" and _only_docstring(path):
                continue
            found.append(relative)
    return found


def _only_docstring(path: Path) -> bool:
    body = re.sub(r'^("""|\'\'\')[\s\S]*?\1', "", path.read_text().strip()).strip()
    lines = [line for line in body.splitlines() if line.strip() and not line.startswith("#")]
    return all(line.startswith("from __future__") for line in lines)


def test_every_module_has_a_row_in_where_is_x() -> None:
    section = where_is_section()
    missing = [module for module in modules() if f"`{module}`" not in section]
    assert missing == [], f"modules in no row of architecture.md's 'Where is X': {missing}"


def test_every_row_names_a_module_that_exists() -> None:
    named = re.findall(r"`((?:platform/ainative|api|worker)/[\w/]+\.py)`", where_is_section())
    gone = [path for path in named if not (ROOT / path).is_file()]
    assert named, "the table names no module at all"
    assert gone == [], f"rows name modules that do not exist: {gone}"
