"""Text for synthetic cohorts: exercise code, errors, prompts and answers."""

from __future__ import annotations

import numpy as np

EXERCISES = (
    "def mean(values):\n    return sum(values) / len(values)\n\nmean([1, 2, 3])",
    "counts = {}\nfor word in text.split():\n    counts[word] = counts.get(word, 0) + 1",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nfib(10)",
    "rows = [line.split(',') for line in open('data.csv')]\nheader, data = rows[0], rows[1:]",
    "import math\nareas = [math.pi * r ** 2 for r in radii]",
)
ERRORS = {
    "NameError": "name 'valuse' is not defined",
    "TypeError": "unsupported operand type(s) for +: 'int' and 'str'",
    "SyntaxError": "invalid syntax (<cell>, line 2)",
    "IndexError": "list index out of range",
    "KeyError": "'word'",
    "ValueError": "invalid literal for int() with base 10: 'abc'",
    "AttributeError": "'list' object has no attribute 'split'",
    "ZeroDivisionError": "division by zero",
}
ERROR_WEIGHTS = np.array([0.25, 0.2, 0.15, 0.1, 0.08, 0.1, 0.07, 0.05])
BREAKAGE = {
    "NameError": lambda c: c.replace("values", "valuse", 1),
    "SyntaxError": lambda c: c.replace(":", "", 1),
}
PROMPTS = {
    "debugging": (
        "Why do I get a {error} here?",
        "My cell fails with {error}, what am I doing wrong?",
        "I don't understand this {error}.",
    ),
    "conceptual": (
        "What is the difference between a list and a tuple?",
        "When should I use a dictionary?",
        "How does recursion actually work?",
    ),
    "implementation": (
        "How can I count the words in a string?",
        "How do I read a CSV file line by line?",
        "How do I avoid dividing by zero in my mean function?",
    ),
    "solution-request": (
        "Just give me the full solution for exercise {n}.",
        "Can you write the function for me?",
        "What is the answer to this task?",
    ),
    "off-topic": ("What's the weather like?", "Can you recommend a good movie?"),
}


def pick_error(rng: np.random.Generator) -> str:
    return str(rng.choice(list(ERRORS), p=ERROR_WEIGHTS / ERROR_WEIGHTS.sum()))


def error_message(error_type: str | None) -> str:
    return f"{error_type}: {ERRORS[error_type]}" if error_type else ""


def error_line(code: str) -> int:
    """The line a synthetic error is on: the cell's last line of code (comments aside)."""
    lines = code.splitlines()
    numbered = [i for i, ln in enumerate(lines, 1) if ln.strip() and not ln.strip().startswith("#")]
    return numbered[-1] if numbered else 1


def code_for(exercise: int, error_type: str | None, rng: np.random.Generator) -> str:
    code = EXERCISES[exercise]
    if error_type in BREAKAGE:
        code = BREAKAGE[error_type](code)
    return code + ("\n" + "# try again" if rng.random() < 0.3 else "")


def prompt_for(kind: str, error_type: str | None, rng: np.random.Generator) -> str:
    options = PROMPTS[kind]
    template = options[int(rng.integers(len(options)))]
    return template.format(error=error_type or "error", n=int(rng.integers(1, 6)))


def answer_for(kind: str, guardrail: str, with_code: bool) -> str:
    if guardrail == "refused":
        return "I can't hand you a full solution. Let's work it out: what should it return?"
    text = {
        "debugging": "Look at the line the traceback points to. What does Python expect there?",
        "conceptual": "A list can change, a tuple cannot. Where would that matter?",
        "implementation": "Break the task into steps: split the text, then count each word.",
        "solution-request": "Here is a plan, not the answer: 1. the base case 2. recurse.",
        "off-topic": "Let's stay with the course: which exercise are you working on?",
    }[kind]
    if with_code:
        text += "\n\n```python\nfor word in words:\n    ...\n```"
    if guardrail == "rewritten":
        text += "\n\n(Parts of this answer were shortened so it doesn't give away the solution.)"
    return text
