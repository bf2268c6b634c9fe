"""Prose that spells the solution out: step-by-step pseudo-code with the reference's structure.

A *step* is a line of the answer that is a numbered or bulleted item, a `Step n` line or
a line of a fenced pseudo-code block, and that is an instruction rather than a question
(it does not end with `?`). Each step is read for the constructs it names (a loop, a
condition, a return, starting a value, adding to it, recursion). The prose score is the
share of the reference's constructs the steps name, times how close the number of steps
comes to the reference's number of statements (at least three steps): one nudge towards
the next step covers a construct or two; a walk-through of the whole solution covers them
all, in as many steps as the solution has lines.
"""

from __future__ import annotations

import math
import re

from ainative.tutor.leakage.structure import Shape

_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*+]|step\s+\d+\s*[:.)-]?)\s+(.*\S)\s*$", re.IGNORECASE)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
CONSTRUCT_WORDS: dict[str, re.Pattern[str]] = {
    "loop": re.compile(
        r"\b(for each|for every|for all|loop|iterate|go through|walk through|while|repeat|"
        r"each (?:item|element|number|character|word|value|key|entry|line))\b",
        re.IGNORECASE,
    ),
    "condition": re.compile(
        r"\b(if|when|whenever|unless|otherwise|else|check (?:whether|if)|only those)\b",
        re.IGNORECASE,
    ),
    "return": re.compile(r"\b(return|give back|hand back|output the|the result is)\b", re.I),
    "init": re.compile(
        r"\b(start (?:with|at|from)|initiali[sz]e|set \w+ to|create an? (?:empty|new)|"
        r"begin with|an empty)\b",
        re.IGNORECASE,
    ),
    "accumulate": re.compile(
        r"\b(add|append|increment|increase|accumulate|keep track|update|multiply|"
        r"put it|insert|count it|store it|plus)\b",
        re.IGNORECASE,
    ),
    "recursion": re.compile(r"\b(recurs\w*|call (?:the function|it|\w+) (?:again|itself))\b", re.I),
}


def steps(answer: str) -> list[str]:
    """The answer's instruction steps (see the module docstring)."""
    found: list[str] = []
    in_fence = False
    for line in answer.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        text = line.strip()
        if in_fence:
            if text and not text.endswith("?"):
                found.append(text)
            continue
        match = _STEP.match(line)
        if match and not match.group(1).endswith("?"):
            found.append(match.group(1))
    return found


def prose_score(answer: str, shape: Shape) -> tuple[float, dict[str, object]]:
    """(score in [0, 1], what matched) for the answer's steps against the reference's shape."""
    listed = steps(answer)
    if len(listed) < 3 or not shape.constructs:
        return 0.0, {"steps": len(listed)}
    named = {
        construct
        for construct, words in CONSTRUCT_WORDS.items()
        for step in listed
        if words.search(step)
    }
    covered = named & shape.constructs
    coverage = len(covered) / len(shape.constructs)
    expected = max(3, math.ceil(0.6 * shape.statements))
    length = min(1.0, len(listed) / expected)
    return coverage * length, {
        "steps": len(listed),
        "constructs": sorted(covered),
        "missing": sorted(shape.constructs - named),
    }
