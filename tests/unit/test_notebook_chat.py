"""The chat's state without a server: what goes with a question, turns, throttling, courses."""

from __future__ import annotations

import json
import time

import nbformat
import pytest

from ainative.notebook import course_choice, kernel_context
from ainative.notebook.chat import Conversation, Outgoing, Throttle
from ainative.notebook.course_choice import BINDING_MIME, Course
from ainative.notebook.wire import Interaction

COURSES = [Course(1, "CS101", "Programming 1"), Course(2, "DS200", "Data science")]


def test_unticked_items_are_left_out_of_the_context():
    out = Outgoing(code="x = 1/0", error="ZeroDivisionError", notebook="week1.ipynb", cell_id="c1")
    assert out.context({}) == {
        "code": "x = 1/0",
        "error": "ZeroDivisionError",
        "notebook": "week1.ipynb",
    }
    assert out.context({"code": False, "notebook": False}) == {"error": "ZeroDivisionError"}
    assert Outgoing(code="x").context({"code": True, "error": True}) == {"code": "x"}


def test_notebook_fields_follow_the_checkboxes():
    out = Outgoing(code="x", notebook="week1.ipynb", cell_id="c1")
    assert out.request_fields({}) == {"notebook_path": "week1.ipynb", "cell_id": "c1"}
    assert out.request_fields({"notebook": False, "code": False}) == {}
    assert out.request_fields({"notebook": False}) == {"cell_id": "c1"}


def test_the_stored_answer_replaces_the_streamed_text():
    conversation = Conversation(course_id=1, session_id="s")
    turn = conversation.ask("why?", "socratic", {})
    turn.text = "Think about wh"
    turn.finish(Interaction(id="i1", status="done", answer="Think about **what** changes."))
    assert (turn.interaction_id, turn.status, turn.text) == (
        "i1",
        "done",
        "Think about **what** changes.",
    )
    failed = conversation.ask("and now?", "hints", {})
    failed.finish(Interaction(id="i2", status="error", error="the model timed out"))
    assert failed.error == "the model timed out"
    assert [t.prompt for t in conversation.turns] == ["why?", "and now?"]


def test_throttle_renders_at_most_once_per_interval_and_flushes_the_rest():
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(time.monotonic()), interval=3600)
    for _ in range(50):
        throttle()
    assert len(calls) == 1
    throttle.flush()
    assert len(calls) == 2
    throttle.flush()  # nothing pending
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            '[{"id": 3, "code": "CS101", "title": "Programming 1"}]',
            [Course(3, "CS101", "Programming 1")],
        ),
        ("[]", []),
        ("", None),
        ("not json", None),
        ('[{"code": "no id"}]', None),
    ],
)
def test_courses_from_the_hub_environment(raw, expected):
    assert course_choice.parse_courses(raw) == expected


def test_courses_from_the_api_leave_out_courses_the_caller_is_not_in():
    body = {
        "data": [
            {"id": 1, "code": "CS101", "title": "P1", "role": "student"},
            {"id": 9, "code": "X", "title": "seen by an admin", "role": None},
        ],
        "count": 2,
    }
    assert course_choice.courses_from_api(body) == [Course(1, "CS101", "P1")]


@pytest.mark.parametrize(
    ("courses", "remembered", "expected"),
    [
        (COURSES[:1], None, COURSES[0]),
        (COURSES[:1], 2, COURSES[0]),
        (COURSES, None, None),
        (COURSES, 2, COURSES[1]),
        (COURSES, 77, None),
        ([], None, None),
    ],
)
def test_one_course_is_taken_several_need_a_choice(courses, remembered, expected):
    assert course_choice.choose(courses, remembered) == expected


def _notebook(tmp_path, metadata=None, binding_course=None):
    nb = nbformat.v4.new_notebook(metadata=metadata or {})
    cell = nbformat.v4.new_code_cell("%tutor")
    if binding_course is not None:
        data = {"text/plain": "VBox()", BINDING_MIME: {"course_id": binding_course}}
        cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    nb.cells = [cell]
    path = tmp_path / "week1.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_choice_saved_in_the_tutor_output_is_read_back(tmp_path):
    assert course_choice.remembered_course(_notebook(tmp_path, binding_course=2)) == 2


def test_an_instructor_pin_in_the_notebook_metadata_wins(tmp_path):
    path = _notebook(tmp_path, metadata={"ainative": {"course_id": 1}}, binding_course=2)
    assert course_choice.remembered_course(path) == 1


def test_nothing_remembered_without_a_readable_notebook(tmp_path):
    assert course_choice.remembered_course(None) is None
    assert course_choice.remembered_course(_notebook(tmp_path)) is None
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert course_choice.remembered_course(broken) is None


class _Kernel:
    def __init__(self, metadata):
        self.parent = {"header": {}, "metadata": metadata}

    def get_parent(self, channel="shell"):
        return self.parent


class _Shell:
    def __init__(self, metadata=None, session=None):
        self.kernel = _Kernel(metadata or {})
        self.user_ns = {"__session__": session} if session else {}


def test_cell_id_comes_from_the_execute_requests_metadata():
    assert kernel_context.current_cell_id(_Shell({"cellId": "4f2a-cell"})) == "4f2a-cell"
    assert kernel_context.current_cell_id(_Shell({})) is None
    assert kernel_context.current_cell_id(_Shell({"cellId": "no spaces <allowed>"})) is None
    assert kernel_context.current_cell_id(_Shell({"cellId": "x" * 65})) is None
    assert kernel_context.current_cell_id(object()) is None  # plain IPython: no kernel


def test_notebook_path_is_relative_to_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    nb = tmp_path / "week1" / "loops.ipynb"
    assert kernel_context.notebook_path(_Shell(session=str(nb))) == "week1/loops.ipynb"
    assert kernel_context.notebook_path(_Shell(session="/elsewhere/x.ipynb")) == "x.ipynb"
    assert kernel_context.notebook_path(_Shell()) is None
    assert kernel_context.notebook_path(_Shell(session="console-1")) is None


def test_binding_data_names_the_course():
    assert course_choice.binding_data(COURSES[1]) == {"course_id": 2, "course_code": "DS200"}
    assert course_choice.binding_data(None) == {}
    assert json.dumps(course_choice.binding_data(COURSES[0]))


def test_a_cell_event_names_its_notebook_and_cell():
    from ainative.notebook.activity import cell_event

    event = cell_event("x = 1", None, 4, notebook_path="week1/loops.ipynb", cell_id="c-9")
    assert (event["notebook_path"], event["cell_id"]) == ("week1/loops.ipynb", "c-9")
    assert "cell_id" not in cell_event("x = 1", None, 4)


def test_one_course_is_bound_and_kept_in_the_widgets_output():
    from ainative.notebook.widget import TutorWidget

    widget = TutorWidget(client=object(), courses=COURSES[:1])
    widget.show_courses(remembered=None)
    assert widget.conversation.course_id == 1
    assert widget.course.layout.display == "none"  # nothing to choose
    assert "CS101" in widget.course_label.value
    bundle = widget._bundle()
    assert bundle[BINDING_MIME] == {"course_id": 1, "course_code": "CS101"}
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_several_courses_ask_unless_one_is_remembered():
    from ainative.notebook.widget import NO_COURSE, TutorWidget

    asking = TutorWidget(client=object(), courses=COURSES)
    asking.show_courses(remembered=None)
    assert asking.course.value == 0 and asking.course.options[0] == (NO_COURSE, 0)
    assert asking.course_settled is False
    assert asking._check("why?") == "Choose your course first."
    assert asking._bundle()[BINDING_MIME] == {}

    remembered = TutorWidget(client=object(), courses=COURSES)
    remembered.show_courses(remembered=2)
    assert remembered.course.value == 2 and remembered.conversation.course_id == 2
    assert remembered._bundle()[BINDING_MIME]["course_id"] == 2
    assert remembered._check("why?") is None


def _api_courses(*readings: str | None) -> list[Course]:
    body = {
        "data": [
            {
                "id": n,
                "code": f"C{n}",
                "title": "",
                "role": "student",
                "tutor_policy": {} if r is None else {"staff_reading": r},
            }
            for n, r in enumerate(readings, start=1)
        ]
    }
    return course_choice.courses_from_api(body)


def test_the_widget_tells_students_what_course_staff_can_read():
    from ainative.notebook.staff_view import STAFF_READ, STAFF_TOTALS
    from ainative.notebook.widget import TutorWidget

    full = TutorWidget(client=object(), courses=_api_courses(None))
    full.show_courses(remembered=None)
    assert (
        STAFF_READ in full.staff_line.label.value and full.staff_line.label.layout.display is None
    )
    assert "Your course staff can read your questions" in full.staff_line.label.value

    several = TutorWidget(client=object(), courses=_api_courses("full", "aggregates"))
    several.show_courses(remembered=None)
    assert several.staff_line.label.layout.display == "none", "no course chosen: no claim"
    several.course.value = 2  # the student picks the course showing totals only
    assert several.staff_line.label.value == f"<small>{STAFF_TOTALS}</small>"
    several.course.value = 1
    assert STAFF_READ in several.staff_line.label.value


def test_the_hubs_course_list_takes_the_policy_from_the_api(monkeypatch):
    import asyncio

    from ainative.notebook.client import TutorClientError
    from ainative.notebook.widget import TutorWidget

    monkeypatch.setenv("AINATIVE_COURSES", json.dumps([{"id": 1, "code": "C1", "title": ""}]))

    class Api:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        async def courses(self):
            if self.fail:
                raise TutorClientError("offline")
            return {
                "data": [
                    {
                        "id": 1,
                        "code": "C1",
                        "role": "student",
                        "tutor_policy": {"staff_reading": "aggregates"},
                    }
                ]
            }

    known = asyncio.run(TutorWidget(client=Api(False))._load_courses())
    assert [c.staff_reading for c in known] == ["aggregates"]
    unknown = asyncio.run(TutorWidget(client=Api(True))._load_courses())
    assert [(c.id, c.staff_reading) for c in unknown] == [(1, None)]
