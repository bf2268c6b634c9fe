"""The widget's research line says in plain words whether the student takes part."""

from __future__ import annotations

from ainative.notebook.consent_view import ConsentLine


def test_the_line_says_where_the_student_stands_and_offers_the_opposite() -> None:
    line = ConsentLine()
    assert line.button.disabled  # nothing known yet: nothing to change
    line.show(True)
    assert "you take part" in line.label.value and line.button.description == "stop taking part"
    line.show(False)
    assert "you do not take part" in line.label.value and line.button.description == "take part"
    line.show(None, "not logged in")
    assert "not logged in" in line.label.value and line.button.disabled


def test_clicking_asks_for_the_opposite_of_what_is_shown() -> None:
    asked: list[bool] = []

    async def toggle(given: bool) -> None:
        asked.append(given)

    def spawn(coro) -> None:  # run the coroutine to completion, as the kernel's loop would
        try:
            coro.send(None)
        except StopIteration:
            pass

    line = ConsentLine()
    line.on_change(toggle, spawn)
    line.show(True)
    line.button.click()
    line.show(False)
    line.button.click()
    assert asked == [False, True]
