"""The AST side of the leak score: statement skeletons and the reference's structure.

A skeleton is a statement's subtree with every identifier and literal abstracted (node
types, operators and the names of builtins kept), hashed. The AST containment is the
share of the reference's non-trivial skeletons (statements and the expressions inside
them with at least `MIN_NODES` nodes) that also occur in the answer: renamed variables
leave every skeleton as it was and reordered statements keep their own.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import warnings
from collections import Counter
from dataclasses import dataclass

MIN_NODES = 6  # smaller expressions (`x + 1`, `len(xs)`) are too common to tell anything
_BUILTINS = frozenset(dir(builtins))


def parse(code: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _shape(node: ast.AST) -> str:
    """The node with names and literals abstracted, as one string."""
    parts: list[str] = [type(node).__name__]
    if isinstance(node, ast.Name):
        parts.append(node.id if node.id in _BUILTINS else "V")
        return "(" + " ".join(parts) + ")"
    if isinstance(node, ast.Constant):
        return "(C)"
    if isinstance(node, ast.Attribute):
        parts.append(node.attr)  # `.append`, `.items`: the method says what is done
    for field in node._fields:
        if field in ("ctx", "type_comment", "name", "arg", "id", "asname", "module"):
            continue
        value = getattr(node, field, None)
        if isinstance(value, ast.AST):
            parts.append(_shape(value))
        elif isinstance(value, list):
            parts.append("[" + " ".join(_shape(v) for v in value if isinstance(v, ast.AST)) + "]")
    return "(" + " ".join(parts) + ")"


def _size(node: ast.AST) -> int:
    return sum(1 for _ in ast.walk(node))


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def skeletons(tree: ast.AST) -> Counter[str]:
    """Hashes of the tree's non-trivial statements and expressions, with multiplicity."""
    found: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            continue  # a function's skeleton is its body's; its name and signature vary
        if isinstance(node, ast.stmt | ast.expr) and not _is_docstring(node):
            if isinstance(node, ast.stmt) or _size(node) >= MIN_NODES:
                if isinstance(node, ast.Pass | ast.Break | ast.Continue):
                    continue
                digest = hashlib.blake2b(_shape(node).encode(), digest_size=8).hexdigest()
                found[digest] += 1
    return found


def containment(reference: Counter[str], answer: Counter[str]) -> float:
    total = sum(reference.values())
    if not total:
        return 0.0
    return sum((reference & answer).values()) / total


@dataclass(frozen=True)
class Shape:
    """What a pseudo-code of the reference would have to spell out (prose.py)."""

    constructs: frozenset[str]  # loop, condition, return, init, accumulate, recursion
    statements: int  # statements in function bodies (or the module), nested ones too


def shape_of(tree: ast.Module) -> Shape:
    found: set[str] = set()
    functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    statements = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(
            node, ast.FunctionDef | ast.Import | ast.ImportFrom
        ):
            if not _is_docstring(node):
                statements += 1
        if isinstance(node, ast.For | ast.While | ast.comprehension):
            found.add("loop")
        if isinstance(node, ast.If | ast.IfExp) or (
            isinstance(node, ast.comprehension) and node.ifs
        ):
            found.add("condition")
        if isinstance(node, ast.Return):
            found.add("return")
        if isinstance(node, ast.AugAssign) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"append", "add", "extend", "update", "insert"}
        ):
            found.add("accumulate")
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.List):
            found.add("init")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in functions
        ):
            found.add("recursion")
    return Shape(frozenset(found), statements)
