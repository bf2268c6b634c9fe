"""Finding 12: log lines cannot be forged or made to leak secrets, in either format.

The attack: a request path or a student's text carrying a newline and a fake record,
terminal escapes, or a secret inside an exception's message (which ends in a traceback).
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from ainative.observability.logging import (
    TRACE_PREFIX,
    ContextFilter,
    JsonFormatter,
    RedactionFilter,
    TextFormatter,
)

FORGED = "12:00:00 INFO    api.auth: admin logged in"
SECRET = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2ln"


def _emit(
    formatter: logging.Formatter, *, filters: bool, exc: bool = False, **extra: object
) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    if filters:
        handler.addFilter(ContextFilter())
        handler.addFilter(RedactionFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test.inject.{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    path = f"/api/v1/x\n{FORGED}\r\x1b[2J\u2028end"
    if exc:
        try:
            raise ValueError(f"bad path {path} with token={SECRET}")
        except ValueError:
            logger.exception("request failed for %s", path, extra=extra)
    else:
        logger.warning("request for %s with Bearer %s", path, SECRET, extra=extra)
    return stream.getvalue()


@pytest.mark.parametrize("filters", [True, False], ids=["with-filter", "formatter-alone"])
@pytest.mark.parametrize("exc", [False, True], ids=["message", "traceback"])
def test_attack_text_log_injection_gives_no_forged_line(filters: bool, exc: bool) -> None:
    out = _emit(TextFormatter("api"), filters=filters, exc=exc, field=f"v\n{FORGED}", token=SECRET)
    lines = out.rstrip("\n").split("\n")
    assert lines[0].startswith(tuple(f"{h:02d}:" for h in range(24)))
    # Every further physical line is a traceback line, marked as such; none starts a record.
    assert all(line.startswith(TRACE_PREFIX) for line in lines[1:]), lines
    assert (len(lines) > 3) is exc
    assert "\x1b" not in out and "\r" not in out and "\u2028" not in out
    assert "\\n" + FORGED in lines[0]  # the attacker's text is still there, visibly escaped
    assert SECRET not in out


@pytest.mark.parametrize("filters", [True, False], ids=["with-filter", "formatter-alone"])
@pytest.mark.parametrize("exc", [False, True], ids=["message", "traceback"])
def test_attack_json_log_injection_stays_one_record(filters: bool, exc: bool) -> None:
    out = _emit(JsonFormatter("api"), filters=filters, exc=exc, field=f"v\n{FORGED}", token=SECRET)
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 1, lines
    assert "\x1b" not in out and "\u2028" not in out and "\r" not in out
    entry = json.loads(lines[0])
    assert FORGED in entry["msg"] and "\u2028" in entry["msg"]  # decoded back intact
    assert ("ValueError" in entry.get("exc", "")) is exc
    assert SECRET not in out
