"""The Makefile's targets: each is phony, each `make <target>` the docs name exists, and the
benchmarks' old names only point at the new ones."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = (ROOT / "Makefile").read_text()
RULES = dict(re.findall(r"^([a-z][\w-]*):[^=\n]*\n((?:\t.*\n)*)", MAKEFILE, re.M))
PHONY = {t for line in re.findall(r"^\.PHONY:(.*)$", MAKEFILE, re.M) for t in line.split()}
RENAMED = {"bench": "bench-analytics", "bench-load": "bench-lab"}
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *ROOT.glob("tests/**/*.py")]


def test_every_target_is_phony_and_every_phony_is_a_target() -> None:
    assert {"run", "test", "bench-analytics", "bench-lab"} <= set(RULES)
    assert PHONY == set(RULES)


def test_the_old_benchmark_names_say_the_new_one_and_run_it() -> None:
    for old, new in RENAMED.items():
        recipe = RULES[old]
        assert f"is now: make {new}" in recipe
        assert recipe.rstrip().endswith(f"$(MAKE) --no-print-directory {new}")


def test_the_docs_name_only_existing_targets_and_the_new_benchmark_names() -> None:
    named = {
        (path.relative_to(ROOT).as_posix(), target)
        for path in DOCS
        for target in re.findall(r"`make ([a-z][\w-]*)", path.read_text())
    }
    assert {target for _, target in named} - set(RULES) == set()
    assert [(page, t) for page, t in named if t in RENAMED] == []
