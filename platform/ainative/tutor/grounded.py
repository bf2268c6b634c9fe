"""Answers grounded in Facts: the culprit named, one question about it, in the mode's shape.

The offline tutor (ainative.llm.offline) answers from here when it has facts, and the LLM
prompt's "What Python and a reading of the code say" heading is `statements`. Quoted code
is only ever a line of the student's cell; a sentence of Python's explanation that quotes
code the cell does not hold is dropped, so no answer carries a line the student did not
write, let alone a corrected one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from ainative.tutor.facts import Facts

_SPAN = re.compile(r"`([^`\n]+)`")
_FIX = re.compile(r"\b(perhaps|should have|you should|instead of|replace)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])")


def is_code(span: str) -> bool:
    """A span that is a piece of a program (a call with arguments, an assignment, an
    index, an operation), not a name or a value."""
    try:
        tree = ast.parse(span.strip())
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Subscript, ast.BinOp, ast.Compare)):
            return True
        if isinstance(node, ast.Call) and (node.keywords or not _placeholders(node.args)):
            return True
        if isinstance(node, (ast.For, ast.While, ast.If, ast.FunctionDef)):
            return True
        if isinstance(node, ast.Return) and node.value is not None:
            return True
    return False


def _placeholders(args: list[ast.expr]) -> bool:
    """No arguments, or only `...` (a pattern like `type(...)`, not a line of code)."""
    return all(isinstance(a, ast.Constant) and a.value is Ellipsis for a in args)


def in_cell(span: str, code: str) -> bool:
    squeeze = "".join
    return squeeze(span.split()) in squeeze(code.split())


def keep_cell_code(text: str, code: str) -> str:
    """`text` without the sentences that quote code the cell does not hold, nor those
    that propose a fix (friendly-traceback's "Perhaps the statement ... should have
    been included")."""
    kept = [
        s
        for s in _SENTENCE.split(text)
        if all(in_cell(span, code) or not is_code(span) for span in _SPAN.findall(s))
        and not _FIX.search(s)
    ]
    return " ".join(kept)


def _quoted(source: str | None) -> str:
    return f" `{source}`" if source and "`" not in source else ""


def statements(facts: Facts, code: str) -> list[str]:
    """The facts as plain sentences: where, what Python says, the culprit, its origin."""
    said: list[str] = []
    name = f"`{facts.culprit}`" if facts.culprit else None
    if facts.error_kind:
        where = f" on line {facts.line},{_quoted(facts.source)}," if facts.line else ""
        article = "an" if facts.error_kind[:1] in "AEIOU" else "a"
        said.append(f"Your cell stops{where} with {article} **{facts.error_kind}**.")
        if facts.error_message and not facts.cause and "`" not in facts.error_message:
            said.append(f"Python says: `{facts.error_message}`.")
    elif facts.line:
        said.append(f"Reading your cell, line {facts.line}{_quoted(facts.source)} stands out.")
    if facts.cause:
        cause = keep_cell_code(facts.cause, code)
        if cause:
            said.append(f"Python explains: {cause}")
    if name and facts.value is not None and "`" not in facts.value:
        said.append(f"At that moment {name} is `{facts.value}`.")
    if facts.finding is not None:
        said.append(keep_cell_code(_capital(facts.finding.message) + ".", code))
    elif name and facts.origin_line and facts.origin_line != facts.line:
        said.append(
            f"{name} last got its value on line {facts.origin_line}{_quoted(facts.origin_source)}."
        )
    return [s for s in said if s]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# One question per kind of bug; {what} is the culprit (or "the value"), {line} its line.
QUESTIONS = {
    "none-from-mutator": "What does the method on line {origin} give back, "
    "and what does it change instead?",
    "no-return-used": "What does {what} give back to the line that calls it?",
    "shadowed-builtin": "On line {line}, does {what} still mean Python's builtin, "
    "or the value line {origin} gave it?",
    "float-from-division": "What type of number does `/` give, and what type does "
    "line {line} need?",
    "recursion-without-base": "For which input should {what} stop calling itself, "
    "and which line of your function says so?",
    "RecursionError": "For which input should {what} stop calling itself, "
    "and which line of your function says so?",
    "undefined-name": "Where does {what} get a value before line {line}, "
    "and is it spelled the same there?",
    "NameError": "Where does {what} get a value before line {line}, "
    "and is it spelled the same there?",
    "undefined-local": "Inside the function, is {what} the variable from outside, "
    "or a new local one once the function assigns to it?",
    "UnboundLocalError": "Inside the function, is {what} the variable from outside, "
    "or a new local one once the function assigns to it?",
    "overwritten-in-loop": "What does {what} hold after the first pass of the loop, "
    "and after the second?",
    "is-literal": "Does `is` ask whether two values are equal, or whether they are "
    "the same object?",
    "IndexError": "How many items does {what} hold when line {line} runs, "
    "and which position does that line ask for?",
    "KeyError": "Which keys does {what} actually hold when line {line} runs?",
    "TypeError": "What type does {what} have on line {line}, and what type does "
    "that operation need?",
    "AttributeError": "What kind of object is {what} on line {line}, and what can "
    "that kind of object do?",
    "ValueError": "Which value reaches line {line}, and which values does that function accept?",
    "ZeroDivisionError": "Which value is zero on line {line}, and what should your "
    "code do when it is?",
    "ModuleNotFoundError": "How is the module on line {line} spelled, and is it the one you meant?",
    "SyntaxError": "Read line {line} the way Python does: what does it expect that is not there?",
    "syntax": "Read line {line} the way Python does: what does it expect that is not there?",
    "IndentationError": "Which block should line {line} belong to, and does its "
    "indentation say so?",
}
SHADOWED_NOT_YET_USED = (
    "If a later line calls {what}, what will it get: Python's builtin or your value?"
)
GENERIC = "What do you expect line {line} to do, and what does it do instead?"
CONCEPTS = {
    "none-from-mutator": "Some methods change an object in place and give back `None`.",
    "no-return-used": "A function without `return` gives back `None` to whoever calls it.",
    "shadowed-builtin": "A name you assign hides Python's builtin of the same name "
    "for the rest of the notebook.",
    "float-from-division": "`/` always gives a float; ranges and positions need whole numbers.",
    "recursion-without-base": "A function that calls itself needs a case where it stops.",
    "RecursionError": "A function that calls itself needs a case where it stops.",
    "overwritten-in-loop": "A loop runs its body once per item; a plain assignment in it "
    "replaces what the pass before left there.",
    "IndexError": "Positions in a sequence start at 0 and end one before its length.",
    "KeyError": "A dictionary only has the keys that were put into it.",
    "TypeError": "Every operation works on certain types of values only.",
    "NameError": "Python only knows names that were given a value before they are used.",
}


def question(facts: Facts) -> str:
    """The one question the answer asks, about the culprit and its line."""
    template = QUESTIONS.get(facts.kind) or QUESTIONS.get(facts.error_kind or "") or GENERIC
    template = template.replace("line {line}", "{line}").replace("line {origin}", "{origin}")
    subject = facts.finding.name if facts.finding and facts.finding.name else facts.culprit
    what = f"`{subject}`" if subject else "the value"
    number = facts.line or facts.origin_line
    if facts.kind == "shadowed-builtin" and facts.line == facts.origin_line:
        template = SHADOWED_NOT_YET_USED
    line = f"line {number}" if number else "the line that fails"
    origin = f"line {facts.origin_line}" if facts.origin_line else line
    return template.format(what=what, line=line, origin=origin)


def _socratic(said: list[str], ask: str, _facts: Facts) -> list[str]:
    return [" ".join(said), f"- {ask}"]


def _hints(said: list[str], ask: str, facts: Facts) -> list[str]:
    look = facts.origin_line or facts.line
    first = f"Look at line {look} of your cell." if look else "Look at the line that fails."
    steps = [first, *said, ask]
    return [
        "Some hints, from general to specific:",
        "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1)),
    ]


def _explanatory(said: list[str], ask: str, facts: Facts) -> list[str]:
    concept = CONCEPTS.get(facts.kind) or CONCEPTS.get(facts.error_kind or "")
    return [*([concept] if concept else []), " ".join(said), f"Now apply it: {ask}"]


def _metacognitive(said: list[str], _ask: str, facts: Facts) -> list[str]:
    what = f"`{facts.culprit}`" if facts.culprit else "that line"
    line = facts.line or facts.origin_line
    before = f"Before line {line} ran, what" if line else "What"
    return [
        "Let's look at how you got here.",
        " ".join(said),
        f"- {before} did you expect {what} to be, and which one check would have shown you?",
    ]


SHAPES: dict[str, Callable[[list[str], str, Facts], list[str]]] = {
    "socratic": _socratic,
    "hints": _hints,
    "explanatory": _explanatory,
    "metacognitive": _metacognitive,
}


def answer(facts: Facts, mode: str, code: str) -> str | None:
    """The grounded answer in `mode`'s shape, or None when the facts say nothing."""
    if facts.empty:
        return None
    said = statements(facts, code)
    shape = SHAPES.get(mode, _socratic)
    return "\n\n".join(part for part in shape(said, question(facts), facts) if part)
