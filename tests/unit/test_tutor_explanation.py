"""The explanation item's format, and what the kernel keeps of friendly-traceback's info."""

from __future__ import annotations

from ainative.notebook.diagnosis import build, explain
from ainative.tutor.explanation import MAX_VALUE_CHARS, Explanation, clip_value, parse

INFO = {
    "message": "IndexError: list index out of range\n",
    "cause": "You have tried to get the item with index `3` of `scores`,\n"
    "a `list` of length `3`.\n",
    "suggest": "Remember: the first item of a `list` is not at index 1 but at index 0.\n",
    "exception_raised_variables": (
        "    scores:  [1, 2, 3]\n    other:  42\n    print:  <builtin function print>\n"
    ),
}


def test_the_text_reads_back_as_the_same_explanation():
    made = build(INFO, (2, "print(scores[3])"))
    assert made.values == [("scores", "[1, 2, 3]")]  # `other` and the builtin are not named
    assert parse(made.text()) == made
    assert made.text().splitlines()[1] == "Line 2: print(scores[3])"


def test_values_are_one_line_and_clipped():
    long = clip_value("a\nb " + "x" * 1000)
    assert "\n" not in long and len(long) == MAX_VALUE_CHARS
    text = Explanation(cause="c", values=[("v", "y" * 999)]).text()
    assert max(len(line) for line in text.splitlines()) <= MAX_VALUE_CHARS + len("Value: v = ")


def test_no_cause_no_explanation():
    assert parse("Error: X\nLine 1: x") is None and parse(None) is None


def test_a_library_that_fails_gives_no_explanation():
    def broken(_exc: BaseException) -> dict[str, object]:
        raise RuntimeError("internal")

    assert explain(ValueError("v"), {}, info_of=broken) is None


def test_a_late_library_gives_no_explanation_on_any_thread():
    import threading
    import time

    def slow(_exc: BaseException) -> dict[str, object]:
        time.sleep(0.3)
        return dict(INFO)

    assert explain(ValueError("v"), {}, info_of=slow, budget=0.05) is None  # SIGALRM cuts it
    found: list[object] = ["not run"]
    worker = threading.Thread(
        target=lambda: found.__setitem__(0, explain(ValueError("v"), {}, info_of=slow, budget=0.05))
    )
    worker.start()
    worker.join()
    assert found == [None]  # no signal off the main thread: the late result is refused
    assert explain(ValueError("v"), {}, info_of=lambda _e: dict(INFO)) is not None


def test_the_librarys_words_about_itself_are_left_out():
    info = {
        "message": "TypeError: object of type 'NoneType' has no len()",
        "cause": "Please report this example to https://github.com/friendly-traceback/x. "
        "If you are using a REPL, use `www('bug')` to do so.",
        "suggest": "Friendly-traceback does not know the cause of this error.",
        "generic": "A `TypeError` is usually caused by combining incompatible types.",
    }
    made = build(info, (3, "print(len(items))"))
    assert made.cause == "A `TypeError` is usually caused by combining incompatible types."
    assert made.hint == "" and "friendly" not in made.text().lower()
