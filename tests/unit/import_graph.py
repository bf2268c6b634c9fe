"""The project's imports read statically (ast): what a process imports when it starts.

test_dependency_extras.py uses it to check that every third-party distribution a
process imports is declared in the core dependencies or that process's extra, without
installing anything: an import is read where it stands (module level, inside a function,
under `if TYPE_CHECKING`, inside `try: ... except ImportError`), and project-internal
imports are followed from module to module.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Top-level package -> its folder (pyproject's [tool.setuptools.packages.find]).
PACKAGES = {
    "ainative": ROOT / "platform" / "ainative",
    "api": ROOT / "api",
    "worker": ROOT / "worker",
    "analytics": ROOT / "analytics",
}
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


@dataclass(frozen=True)
class Import:
    """One imported module name as a statement in `module` names it."""

    module: str  # the importing module
    name: str  # the absolute dotted name imported
    line: int
    in_function: bool  # inside a def: runs only when the function is called
    type_checking: bool  # under `if TYPE_CHECKING`: never runs
    guarded: bool  # inside `try:` whose handler catches ImportError

    @property
    def top(self) -> str:
        return self.name.split(".")[0]

    @property
    def first_party(self) -> bool:
        return self.top in PACKAGES

    @property
    def stdlib(self) -> bool:
        return self.top in sys.stdlib_module_names or self.top == "__future__"


@cache
def module_file(name: str) -> Path | None:
    """The source file of a project module (a package's __init__.py), None when none."""
    top, *rest = name.split(".")
    if top not in PACKAGES:
        return None
    base = PACKAGES[top].joinpath(*rest)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def package_modules(package: str) -> list[str]:
    """Every module of a project package, the package itself first."""
    folder = module_file(package)
    assert folder is not None and folder.name == "__init__.py", package
    found = []
    for path in sorted(folder.parent.rglob("*.py")):
        parts = path.relative_to(folder.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append(".".join((package, *parts)))
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(isinstance(n, ast.Name) and n.id in _IMPORT_ERRORS for n in names):
            return True
    return False


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


@cache
def imports_of(module: str) -> tuple[Import, ...]:
    """Each module name the file of `module` imports, with where the statement stands."""
    path = module_file(module)
    assert path is not None, module
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool, guarded: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(
                        Import(
                            module, alias.name, child.lineno, in_function, type_checking, guarded
                        )
                    )
            elif isinstance(child, ast.ImportFrom):
                base = _absolute(module, is_package, child)
                names = [base]
                if base.split(".")[0] in PACKAGES:  # `from pkg import submodule`
                    names += [
                        f"{base}.{a.name}" for a in child.names if module_file(f"{base}.{a.name}")
                    ]
                for name in names:
                    found.append(
                        Import(module, name, child.lineno, in_function, type_checking, guarded)
                    )
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, True, type_checking, guarded)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), in_function, True, guarded)
                for stmt in child.orelse:
                    visit(
                        ast.Module(body=[stmt], type_ignores=[]),
                        in_function,
                        type_checking,
                        guarded,
                    )
            elif isinstance(child, ast.Try) and _catches_import_error(child):
                for stmt in child.body:
                    visit(
                        ast.Module(body=[stmt], type_ignores=[]), in_function, type_checking, True
                    )
                for part in (child.handlers, child.orelse, child.finalbody):
                    for stmt in part:
                        visit(stmt, in_function, type_checking, guarded)
            else:
                visit(child, in_function, type_checking, guarded)

    visit(tree, False, False, False)
    return tuple(found)


def _with_parents(name: str) -> Iterator[str]:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def loaded_at_import(entries: Iterable[str]) -> list[str]:
    """The project modules importing `entries` runs: module-level imports, transitively.

    Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c; imports inside functions and
    under TYPE_CHECKING run later or never, so they are not followed.
    """
    seen: dict[str, None] = {}
    queue = [parent for entry in entries for parent in _with_parents(entry)]
    while queue:
        name = queue.pop()
        if name in seen or module_file(name) is None:
            continue
        seen[name] = None
        for imp in imports_of(name):
            if imp.first_party and not imp.in_function and not imp.type_checking:
                queue.extend(_with_parents(imp.name))
    return sorted(seen)


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement ("Foo_Bar[x]>=1" -> foo-bar)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return normalise(match.group(1))


def requirement_extras(requirement: str) -> set[str]:
    """The extras a requirement asks for ("ainative-tutor[api,worker]" -> {api, worker})."""
    match = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*\[([^\]]*)\]", requirement)
    return {normalise(e) for e in match.group(1).split(",")} if match else set()


def normalise(name: str) -> str:
    """PEP 503's normal form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()
