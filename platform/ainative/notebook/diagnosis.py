"""The kernel's diagnosis of a failed cell: friendly-traceback's explanation of the live exception.

The capture (capture.py) holds the exception the student's cell raised, with its frames;
friendly-traceback reads them and says in a beginner's words what went wrong and with
which values ("You have tried to get the item with index `3` of `scores`, a `list` of
length `3`"). What goes with the question is a short text (see
ainative.tutor.explanation for its format): the error, the failing line of the student's
cell (never a frame of IPython's or ours), the cause, the hint, and the values of the
names the explanation mentions, each clipped.

Never in the student's way: the library is imported on the first failing cell, its
`FriendlyTraceback` class is used directly (no `install()`, so no global excepthook and
the student's traceback display is unchanged), whatever it prints is swallowed, and it
gets a deadline (BUDGET_SECONDS): if it fails or is late there is no explanation.
"""

from __future__ import annotations

import contextlib
import io
import re
import signal
import threading
import time
from collections.abc import Callable, Container
from types import FrameType, TracebackType
from typing import Any, TypeVar

from ainative.tutor.explanation import Explanation, clip_value

BUDGET_SECONDS = 0.2
MAX_FRAMES = 12  # of the student's frames given to the library
T = TypeVar("T")

# friendly-traceback's "    name:  value" lines, a value's continuation lines indented
# deeper, some of them facts of their own ("        len(big): 1000")
_VARIABLE = re.compile(r"^ {4}(\S.*?):  (.*)$")
_FACT = re.compile(r"^ {5,}([\w.]+\([\w.]*\)): (.+)$")
# the library's sentences about itself, not about the student's code
_ABOUT_ITSELF = re.compile(
    r"No information is known about this exception|friendly|please report|\bREPL\b|www\("
    r"|I have no additional information",
    re.IGNORECASE,
)
# values that say nothing about the student's data
_OPAQUE = re.compile(r"^<(builtin|class|function|module|bound method) ")


class Late(BaseException):
    """The explanation took longer than its budget (a BaseException: the library's own
    `except Exception` must not swallow it)."""


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Late


def with_deadline(fn: Callable[[], T], seconds: float) -> T:
    """`fn()`, interrupted after `seconds` when it runs on the main thread (SIGALRM, the
    old handler and timer restored); elsewhere it runs to its end and a late result is
    refused. Raises Late either way."""
    started = time.perf_counter()
    main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not main:
        result = fn()
        if time.perf_counter() - started > seconds:
            raise Late
        return result
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    old_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay:  # someone else's timer: give back what is left of it
            left = old_delay - (time.perf_counter() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


def _load() -> None:
    """Import friendly-traceback (about 40 ms, once: on the first failing cell, outside
    the budget, which is the explanation's own time)."""
    import friendly_traceback.core  # noqa: F401


def from_cells(tb: TracebackType | None, is_cell: Callable[[str], bool]) -> TracebackType | None:
    """The traceback from the first frame in a student's cell on: IPython's own frames
    above it are no part of the explanation, and reading their source costs the library
    most of its time (a SyntaxError's traceback, which has no cell frame, is kept)."""
    first = tb
    while first is not None and not is_cell(first.tb_frame.f_code.co_filename):
        first = first.tb_next
    return _shortened(first) if first is not None else tb


def _shortened(tb: TracebackType, keep: int = MAX_FRAMES) -> TracebackType:
    """A traceback of at most `keep` frames: the first and the last ones (a recursion's
    thousand frames would take the library seconds to read, and say nothing more)."""
    frames: list[TracebackType] = []
    link: TracebackType | None = tb
    while link is not None:
        frames.append(link)
        link = link.tb_next
    if len(frames) <= keep:
        return tb
    chosen = frames[:2] + frames[-(keep - 2) :]
    rebuilt: TracebackType | None = None
    for frame in reversed(chosen):
        rebuilt = TracebackType(rebuilt, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return rebuilt or tb


def _friendly_info(exc: BaseException, tb: TracebackType | None = None) -> dict[str, Any]:
    """friendly-traceback's info dict for `exc`, read from `tb` (default: its own)."""
    from friendly_traceback.core import FriendlyTraceback

    tb = tb or exc.__traceback__
    friendly = FriendlyTraceback(type(exc), exc, tb)  # type: ignore[arg-type]
    friendly.compile_info()
    return dict(friendly.info)


def _student_line(exc: BaseException, is_cell: Callable[[str], bool]) -> tuple[int, str] | None:
    """(line number, source) of the last frame in one of the student's cells."""
    if isinstance(exc, SyntaxError):
        if exc.lineno and exc.text is not None and (not exc.filename or is_cell(exc.filename)):
            return exc.lineno, exc.text.strip()
        return None
    found = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if is_cell(code.co_filename):
            found = (tb.tb_lineno, code.co_filename)
        tb = tb.tb_next
    if found is None:
        return None
    import linecache

    number, filename = found
    return number, linecache.getline(filename, number).strip()


def _values(variables: str) -> list[tuple[str, str]]:
    """friendly-traceback's variables text as (name, value) pairs."""
    pairs: list[tuple[str, str]] = []
    for line in variables.splitlines():
        match = _VARIABLE.match(line)
        fact = _FACT.match(line)
        if match:
            pairs.append((match.group(1).strip(), match.group(2).strip()))
        elif fact:
            pairs.append((fact.group(1), fact.group(2).strip()))
        elif pairs and line.strip():
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}")
    return pairs


def _named(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


def _said(text: Any) -> str:
    """One line of the library's text without its sentences about itself."""
    sentences = re.split(r"(?<=[.!?])\s+", _one_line(text))
    return " ".join(s for s in sentences if s and not _ABOUT_ITSELF.search(s))


def build(info: dict[str, Any], line: tuple[int, str] | None) -> Explanation:
    """The explanation from friendly-traceback's info and the student's failing line."""
    # when the library finds no cause, what this kind of error means
    cause = _said(info.get("cause")) or (_said(info.get("generic")) if line else "")
    hint = _said(info.get("suggest"))
    said = f"{cause}\n{hint}"
    values = [
        (name, clip_value(value))
        for name, value in _values(str(info.get("exception_raised_variables") or ""))
        if _named(name, said) and not _OPAQUE.match(value)
    ]
    return Explanation(
        error=_one_line(info.get("message")),
        line=line[0] if line else None,
        source=line[1] if line else None,
        cause=cause,
        hint=hint,
        values=values,
    )


def explain(
    exc: BaseException,
    cells: Container[str],
    *,
    budget: float = BUDGET_SECONDS,
    info_of: Callable[[BaseException], dict[str, Any]] | None = None,
) -> str | None:
    """The explanation text for `exc`, or None when the library fails, is late or says
    nothing. `cells` holds the file names of the student's cells (IPython's compiler map)."""
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            if info_of is None:
                _load()
                tb = from_cells(exc.__traceback__, cells.__contains__)
                info = with_deadline(lambda: _friendly_info(exc, tb), budget)
            else:
                info = with_deadline(lambda: info_of(exc), budget)
        explanation = build(info, _student_line(exc, cells.__contains__))
    except (Exception, SystemExit, Late):  # friendly-traceback exits on internal errors
        return None
    return explanation.text() if explanation.cause else None


def cell_files(ip: Any) -> Container[str]:
    """The file names IPython compiled the student's cells under (In[n] in tracebacks)."""
    names = getattr(getattr(ip, "compile", None), "_filename_map", None)
    return names if isinstance(names, dict) else {}
