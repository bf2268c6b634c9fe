"""The server's static reading of a student's cell: facts about the code, never by running it.

pyflakes reads the cell for undefined names, comparisons with `is` and the like; a def-use
pass over the cell's AST finds the novice bugs that raise nothing, or raise far from their
cause, and traces a value back to the line that bound it:

- a name bound from a method that changes its object and returns None (`nums = nums.sort()`)
- a function without `return` whose result is used
- a builtin shadowed earlier in the cell (`list = [...]`, then `list(...)`)
- a float from `/` where an int is needed (`range(n / 2)`, `xs[len(xs) / 2]`)
- a function that calls itself with no branch that stops
- a name given a new value on every pass of a loop and read after it (`total = n`)

Nothing here executes, imports or evaluates the cell: `ast.parse` and pyflakes' checker
only. Each Finding names the culprit (name, line) and where its value came from.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field

# Methods that change their object and return None.
MUTATORS = frozenset(
    {"sort", "append", "extend", "insert", "remove", "reverse", "clear", "update", "add"}
)
# Builtins a novice shadows and then needs.
SHADOWED = frozenset(
    {
        "list", "dict", "str", "int", "float", "set", "tuple", "sum", "max", "min", "len",
        "input", "print", "type", "range", "sorted", "map", "filter", "zip", "open", "any",
        "all", "abs", "round", "id", "next", "iter", "format", "bool", "object",
    }
)  # fmt: skip
# pyflakes messages a tutor should mention (the rest is style or notebook noise).
PYFLAKES_KINDS = {
    "UndefinedName": "undefined-name",
    "UndefinedLocal": "undefined-local",
    "IsLiteral": "is-literal",
    "IfTuple": "if-tuple",
    "DuplicateArgument": "duplicate-argument",
    "MultiValueRepeatedKeyLiteral": "repeated-key",
    "ReturnOutsideFunction": "return-outside-function",
    "FStringMissingPlaceholders": "fstring-without-placeholder",
}


@dataclass(frozen=True)
class Finding:
    """One fact about the cell: what (`kind`), where (`line`), about which `name`, in words,
    and the line its value came from (`origin_line`), when known."""

    kind: str
    line: int
    message: str
    name: str | None = None
    origin_line: int | None = None


@dataclass(frozen=True)
class Reading:
    """What the static reading found in one cell; `syntax_error` when it does not parse."""

    findings: list[Finding] = field(default_factory=list)
    syntax_error: Finding | None = None
    lines: list[str] = field(default_factory=list)

    def source(self, line: int | None) -> str | None:
        """The cell's line `line` (1-based), stripped; None outside the cell."""
        if line is None or not 1 <= line <= len(self.lines):
            return None
        return self.lines[line - 1].strip() or None

    def about(self, name: str) -> Finding | None:
        return next((f for f in self.findings if f.name == name), None)

    def ran(self) -> Reading:
        """The reading of a cell that ran without an error: an "undefined" name was then
        defined by an earlier cell of the notebook, so it is no finding."""
        kept = [f for f in self.findings if f.kind != "undefined-name"]
        return Reading(findings=kept, syntax_error=self.syntax_error, lines=self.lines)


def read(code: str) -> Reading:
    """The static reading of `code` (a cell). Never raises on any input."""
    lines = code.splitlines()
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte in the source
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", None) or str(exc)
        return Reading(syntax_error=Finding("syntax", line, message), lines=lines)
    except RecursionError:  # absurdly nested code: nothing to say
        return Reading(lines=lines)
    found = [*_pyflakes(tree), *_def_use(tree)]
    found.sort(key=lambda f: (f.line, f.kind))
    return Reading(findings=found, lines=lines)


def _pyflakes(tree: ast.Module) -> Iterator[Finding]:
    from pyflakes import checker

    for msg in checker.Checker(tree, filename="<cell>").messages:
        kind = PYFLAKES_KINDS.get(type(msg).__name__)
        if kind is None:
            continue
        args = msg.message_args
        name = str(args[0]) if kind in ("undefined-name", "undefined-local") and args else None
        yield Finding(kind, int(msg.lineno), msg.message % args, name=name)


def _def_use(tree: ast.Module) -> Iterator[Finding]:
    bindings = Bindings(tree)
    functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    yield from _none_from_mutators(tree)
    yield from _results_of_no_return(tree, functions)
    yield from _shadowed_builtins(tree, bindings)
    yield from _float_indices(tree, bindings)
    yield from _recursion_without_base(functions)
    yield from _overwritten_in_loops(tree)


class Bindings:
    """Where each name is bound in the cell, line by line, and from what."""

    def __init__(self, tree: ast.Module) -> None:
        self.at: dict[str, list[tuple[int, ast.AST | None]]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self._bind(target.id, node.lineno, node.value)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(
                node.target, ast.Name
            ):
                self._bind(node.target.id, node.lineno, node.value)
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                self._bind(node.target.id, node.lineno, None)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                self._bind(node.name, node.lineno, node)
            elif isinstance(node, ast.arg):
                self._bind(node.arg, node.lineno, None)
        for spots in self.at.values():
            spots.sort(key=lambda spot: spot[0])

    def _bind(self, name: str, line: int, value: ast.AST | None) -> None:
        self.at.setdefault(name, []).append((line, value))

    def last_before(self, name: str, line: int) -> tuple[int, ast.AST | None] | None:
        """The last binding of `name` on a line before `line` (or on it, for `x = x...`)."""
        earlier = [spot for spot in self.at.get(name, []) if spot[0] <= line]
        return earlier[-1] if earlier else None


def origin(code: str, name: str, line: int) -> int | None:
    """The line where `name` was last bound before `line` in the cell, if it was."""
    try:
        spot = Bindings(ast.parse(code)).last_before(name, line)
    except (SyntaxError, ValueError, RecursionError):
        return None
    return spot[0] if spot else None


def _none_from_mutators(tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        func = node.value.func
        if not (isinstance(func, ast.Attribute) and func.attr in MUTATORS):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield Finding(
                    "none-from-mutator",
                    node.lineno,
                    f"`{target.id}` gets the result of `.{func.attr}()`, which changes the "
                    f"object in place and returns `None`, so `{target.id}` is `None` from "
                    f"line {node.lineno} on",
                    name=target.id,
                    origin_line=node.lineno,
                )


def _returns_nothing(func: ast.FunctionDef) -> bool:
    for node in ast.walk(func):
        if isinstance(node, ast.Return) and node.value is not None:
            return False
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return False
    return True


def _results_of_no_return(
    tree: ast.Module, functions: dict[str, ast.FunctionDef]
) -> Iterator[Finding]:
    silent = {name for name, func in functions.items() if _returns_nothing(func)}
    if not silent:
        return
    statement_calls = {
        id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)
    }  # `f(x)` alone on its line: its result is not used
    reported: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if name in silent and name not in reported and id(node) not in statement_calls:
            reported.add(name)
            yield Finding(
                "no-return-used",
                node.lineno,
                f"the function `{name}` (line {functions[name].lineno}) has no `return`, so "
                f"its result, used on line {node.lineno}, is `None`",
                name=name,
                origin_line=functions[name].lineno,
            )


def _shadowed_builtins(tree: ast.Module, bindings: Bindings) -> Iterator[Finding]:
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    for name, spots in bindings.at.items():
        if name not in SHADOWED or not hasattr(builtins, name):
            continue
        bound = spots[0][0]
        later = sorted(c.lineno for c in calls if c.func.id == name and c.lineno > bound)  # type: ignore[attr-defined]
        used = f", then called as the builtin on line {later[0]}" if later else ""
        yield Finding(
            "shadowed-builtin",
            later[0] if later else bound,
            f"line {bound} gives the name `{name}` a value of its own, hiding Python's "
            f"builtin `{name}`{used}",
            name=name,
            origin_line=bound,
        )


def _is_division(node: ast.AST | None) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)


def _needs_int(tree: ast.Module) -> Iterator[tuple[ast.expr, int, str]]:
    """Expressions whose value must be an int: range()'s arguments and indices."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "range":
                for arg in node.args:
                    yield arg, node.lineno, "`range()`"
        elif isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
            yield node.slice, node.lineno, "an index"


def _float_indices(tree: ast.Module, bindings: Bindings) -> Iterator[Finding]:
    for expr, line, needs in _needs_int(tree):
        if _is_division(expr):
            yield Finding(
                "float-from-division",
                line,
                f"`/` always gives a float, and {needs} needs an int (line {line})",
                origin_line=line,
            )
        elif isinstance(expr, ast.Name):
            spot = bindings.last_before(expr.id, line)
            if spot and _is_division(spot[1]):
                yield Finding(
                    "float-from-division",
                    line,
                    f"`{expr.id}` comes from `/` on line {spot[0]}, which always gives a "
                    f"float, and {needs} on line {line} needs an int",
                    name=expr.id,
                    origin_line=spot[0],
                )


def _calls(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
        for n in ast.walk(node)
    )


def _stops(func: ast.FunctionDef) -> bool:
    """A branch of `func` that ends the recursion: a conditional with a side free of it."""
    for node in ast.walk(func):
        if isinstance(node, (ast.If, ast.IfExp)):
            body = node.body if isinstance(node.body, list) else [node.body]
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            if not all(_calls(n, func.name) for n in body) or not orelse:
                return True
            if not all(_calls(n, func.name) for n in orelse):
                return True
        elif isinstance(node, (ast.While, ast.For, ast.Try, ast.Match)):
            return True
    return False


def _recursion_without_base(functions: dict[str, ast.FunctionDef]) -> Iterator[Finding]:
    for name, func in functions.items():
        body = ast.Module(body=func.body, type_ignores=[])
        if _calls(body, name) and not _stops(func):
            call = next(
                n.lineno
                for n in ast.walk(body)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
            )
            yield Finding(
                "recursion-without-base",
                call,
                f"`{name}` calls itself on line {call} and has no branch that stops "
                f"without calling itself again",
                name=name,
                origin_line=func.lineno,
            )


def _reads(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
        for n in ast.walk(node)
    )


def _overwritten_in_loops(tree: ast.Module) -> Iterator[Finding]:
    """`for n in xs: total = n` then `total` read after the loop: only the last pass counts."""
    for holder in ast.walk(tree):
        body = getattr(holder, "body", None)
        if not isinstance(body, list):
            continue
        for index, loop in enumerate(body):
            if not isinstance(loop, ast.For) or not isinstance(loop.target, ast.Name):
                continue
            after = ast.Module(body=body[index + 1 :], type_ignores=[])
            for stmt in loop.body:  # the loop's own statements, not nested blocks
                if not (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                ):
                    continue
                name = stmt.targets[0].id
                if (
                    _reads(stmt.value, loop.target.id)
                    and not _reads(stmt.value, name)
                    and not any(_reads(s, name) for s in loop.body)
                    and _reads(after, name)
                ):
                    yield Finding(
                        "overwritten-in-loop",
                        stmt.lineno,
                        f"`{name}` gets a new value on every pass of the loop (line "
                        f"{stmt.lineno}), so after the loop it holds what the last pass gave it",
                        name=name,
                        origin_line=stmt.lineno,
                    )
