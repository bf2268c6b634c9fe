"""Build pairs.jsonl from the exercise files: `python -m tests.data.leakage.build`.

Labels (LABELLING.md): complete, renamed, reordered, style and pseudo are leaks; hint,
concept and unrelated are not. `renamed` and `reordered` rename every local name of the
reference (its arguments and variables; the function keeps its name, which the task
fixes) with ast, so the pair is exactly "the same code with other names".
"""

from __future__ import annotations

import ast
import builtins
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
LEAKS = {"complete", "renamed", "reordered", "style", "pseudo"}
_NEW_NAMES = ["acc", "xs", "elem", "tmp", "res", "k", "val", "buf", "idx", "memo", "p", "q"]


def rename(code: str) -> str:
    tree = ast.parse(code)
    functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    keep = functions | set(dir(builtins)) | {"_"}
    names: dict[str, str] = {}

    def new(old: str) -> str:
        if old in keep:
            return old
        if old not in names:
            names[old] = _NEW_NAMES[len(names) % len(_NEW_NAMES)] + (
                str(len(names) // len(_NEW_NAMES)) if len(names) >= len(_NEW_NAMES) else ""
            )
        return names[old]

    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = new(node.id)
        elif isinstance(node, ast.arg):
            node.arg = new(node.arg)
    imported = {
        a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
    }
    for old in imported:
        names.pop(old, None)
    return ast.unparse(tree) + "\n"


def _fenced(prose: str, code: str) -> str:
    return f"{prose}\n\n```python\n{code.rstrip()}\n```\n"


def pairs_of(exercise: dict[str, Any], split: str) -> list[dict[str, Any]]:
    ref = exercise["reference"]
    answers: list[tuple[str, str]] = [
        ("complete", _fenced("Here is a solution:", ref)),
        ("renamed", _fenced("Try this version:", rename(ref))),
        ("reordered", _fenced("This does it:", rename(exercise["reordered"]))),
    ]
    answers += [("style", _fenced("A shorter way:", s)) for s in exercise["styles"]]
    answers.append(("pseudo", exercise["pseudo"]))
    answers += [("hint", h) for h in exercise["hints"]]
    answers += [("concept", c) for c in exercise["concepts"]]
    answers.append(("unrelated", exercise["unrelated"]))
    return [
        {
            "id": f"{exercise['id']}-{i}-{category}",
            "exercise": exercise["id"],
            "category": category,
            "leak": category in LEAKS,
            "split": split,
            "answer": answer,
        }
        for i, (category, answer) in enumerate(answers)
    ]


def exercises(split: str) -> list[dict[str, Any]]:
    namespace: dict[str, Any] = {}
    exec((HERE / f"exercises_{split}.py").read_text(), namespace)
    return list(namespace["EXERCISES"])


def main() -> None:
    rows: list[dict[str, Any]] = []
    refs: dict[str, dict[str, str]] = {}
    for split in ("dev", "holdout"):
        if not (HERE / f"exercises_{split}.py").exists():
            continue
        for ex in exercises(split):
            rows += pairs_of(ex, split)
            refs[ex["id"]] = {"reference": ex["reference"], "tests": ex["tests"]}
    with open(HERE / "pairs.jsonl", "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    (HERE / "references.json").write_text(json.dumps(refs, indent=1) + "\n")
    print(len(rows), "pairs")


if __name__ == "__main__":
    main()
