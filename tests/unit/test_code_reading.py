"""The static reading, pattern by pattern: what it finds, where, and where the value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from ainative.tutor.code_reading import origin, read

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("code", "kind", "line", "name", "origin_line"),
    [
        ("nums = [3, 1]\nnums = nums.sort()\nprint(nums[0])", "none-from-mutator", 2, "nums", 2),
        ("xs = []\nys = xs.append(1)", "none-from-mutator", 2, "ys", 2),
        ("def total(xs):\n    s = sum(xs)\nt = total([1])", "no-return-used", 3, "total", 1),
        ("def show(x):\n    print(x)\nprint(show(2) + 1)", "no-return-used", 3, "show", 1),
        ("list = [1, 2]\nnums = list(range(3))", "shadowed-builtin", 2, "list", 1),
        ("sum = 0\nfor x in [1]:\n    sum = sum + x", "shadowed-builtin", 1, "sum", 1),
        ("xs = [1, 2]\nmid = len(xs) / 2\nprint(xs[mid])", "float-from-division", 3, "mid", 2),
        ("n = 7 / 2\nfor i in range(n):\n    pass", "float-from-division", 2, "n", 1),
        ("xs = [1, 2, 3]\nxs[len(xs) / 2]", "float-from-division", 2, None, 2),
        (
            "def fact(n):\n    return n * fact(n - 1)\nfact(3)",
            "recursion-without-base",
            2,
            "fact",
            1,
        ),
        ("if word is 'yes':\n    pass", "is-literal", 1, None, None),
        (
            "numbers = [3, 1, 4]\nfor n in numbers:\n    total = n\nprint(total)",
            "overwritten-in-loop",
            3,
            "total",
            3,
        ),
        ("total = 0\nprint(totl)", "undefined-name", 2, "totl", None),
        ("x = 1\ndef f():\n    x += 1\n", "undefined-local", 3, "x", None),
    ],
)
def test_each_pattern_is_found_with_its_origin(code, kind, line, name, origin_line):
    found = [f for f in read(code).findings if f.kind == kind]
    assert found, read(code).findings
    assert (found[0].line, found[0].name, found[0].origin_line) == (line, name, origin_line)
    assert found[0].message


@pytest.mark.parametrize(
    "code",
    [
        "nums = [3, 1]\nnums.sort()\nprint(nums[0])",  # sorted in place, not rebound
        "def total(xs):\n    return sum(xs)\nt = total([1])",
        "def show(x):\n    print(x)\nshow(2)",  # called for its effect only
        "numbers = [1, 2]\nprint(list(numbers))",
        "xs = [1, 2]\nmid = len(xs) // 2\nprint(xs[mid])",
        "def fact(n):\n    if n <= 1:\n        return 1\n    return n * fact(n - 1)",
        "def fact(n):\n    return 1 if n <= 1 else n * fact(n - 1)",
        "ratio = 7 / 2\nprint(ratio)",
        "total = 0\nfor n in [1, 2]:\n    total = total + n\nprint(total)",
        "for n in [1, 2]:\n    square = n * n\n    print(square)",  # used in the loop itself
    ],
)
def test_correct_code_gets_no_def_use_finding(code):
    assert read(code).findings == []


def test_a_syntax_error_is_read_without_running_anything():
    reading = read("for i in range(3)\n    print(i)")
    assert reading.syntax_error is not None and reading.syntax_error.line == 1
    assert "':'" in reading.syntax_error.message
    assert reading.source(1) == "for i in range(3)"


def test_the_reading_never_executes_the_cell(tmp_path):
    marker = tmp_path / "ran"
    read(f"open({str(marker)!r}, 'w').write('x')\nimport os\nos.system('touch {marker}')")
    assert not marker.exists()


@pytest.mark.parametrize("code", ["", "\x00", "(" * 500, "x = 'unterminated", "def f(:\n"])
def test_any_text_is_read_without_raising(code):
    read(code)


def test_origin_is_the_last_binding_before_the_line():
    code = "nums = [3, 1]\nnums = nums.sort()\nprint(nums[0])"
    assert origin(code, "nums", 3) == 2
    assert origin(code, "missing", 3) is None


def test_the_demo_notebooks_bug_is_named_by_the_offline_tutor():
    import nbformat

    from ainative.config import Settings
    from ainative.llm.base import LLMRequest
    from ainative.llm.offline import OfflineTutor

    notebook = nbformat.read(ROOT / "notebooks" / "tutor.ipynb", as_version=4)
    [cell] = [c for c in notebook.cells if c.get("id") == "9539e334"]  # the student's cell
    question = "Why does it print 5 and not the sum?"
    request = LLMRequest(
        messages=[{"role": "user", "content": question}],
        model="m",
        max_tokens=100,
        question=question,
        context={"code": cell.source},
    )
    answer = OfflineTutor(Settings()).complete(request).text
    assert "`total`" in answer and "line 3" in answer and "loop" in answer


def test_a_cell_that_ran_has_no_undefined_names_they_come_from_earlier_cells():
    from ainative.tutor.facts import gather

    code = "print(scores[0])\nnums = [2, 1]\nnums = nums.sort()"
    assert [f.kind for f in read(code).findings] == ["undefined-name", "none-from-mutator"]
    assert [f.kind for f in read(code).ran().findings] == ["none-from-mutator"]
    facts = gather({"code": code})  # no error: it ran, `scores` is an earlier cell's
    assert facts.culprit == "nums" and facts.line == 3
    failed = gather({"code": "print(scroes)", "error": "NameError: name 'scroes' is not defined"})
    assert failed.culprit == "scroes" and failed.finding is not None
