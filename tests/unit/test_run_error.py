"""The error's line in the student's cell and its first line, as the recorder stores them."""

from __future__ import annotations

import pytest

from ainative.notebook.activity import cell_event
from ainative.notebook.run_error import error_line, first_line, is_cell_file
from api.schemas.events import EventIn

CELL = "/tmp/ipykernel_4242/123456.py"  # how ipykernel names a cell's code


def _raised(source: str, filename: str = CELL) -> BaseException:
    try:
        exec(compile(source, filename, "exec"), {})
    except BaseException as exc:  # noqa: BLE001 - the error is what is under test
        return exc
    raise AssertionError("the cell did not fail")


def test_a_syntax_errors_line_and_message_without_the_file_name() -> None:
    error = _raised("x = 1\nprint(x\n")
    assert isinstance(error, SyntaxError)
    assert error_line(error) == 2
    assert first_line(error) == error.msg and CELL not in first_line(error)


def test_a_runtime_errors_line_is_the_last_frame_in_the_cell() -> None:
    source = "import json\n\ndef load(text):\n    return json.loads(text)\n\nload('{')\n"
    error = _raised(source)
    assert error_line(error) == 4  # json's own frames are not the student's
    assert first_line(error).startswith("Expecting property name")


def test_an_error_outside_any_cell_has_no_line() -> None:
    assert error_line(_raised("1 / 0", "/usr/lib/python3/x.py")) is None
    assert is_cell_file("<ipython-input-3-5f2a>") and not is_cell_file("/usr/lib/x.py")


@pytest.mark.parametrize(
    ("code", "tutor"), [("%tutor", True), ("print(1)", False), ("%load_ext ainative", True)]
)
def test_cell_events_carry_line_first_line_and_the_tutor_flag(code: str, tutor: bool) -> None:
    error = _raised("a = 1\nb = a + c\n")
    event = cell_event(code, error, 3)
    payload = event["payload"]
    assert payload["error_line"] == 2 and payload["error_first_line"] == "name 'c' is not defined"
    assert payload.get("tutor_cell", False) is tutor
    EventIn.model_validate(event)  # the API accepts what the recorder sends
