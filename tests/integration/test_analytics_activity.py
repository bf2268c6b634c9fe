"""The notebook activity recorder in a real IPython shell, against the real API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from sqlalchemy import create_engine, text

from ainative.notebook import activity
from ainative.notebook.tokens import TokenStore
from ainative.runtime.devservices import free_port
from tests.support.eventually import eventually


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    sh = InteractiveShell.instance()
    yield sh
    activity.uninstall(sh)
    InteractiveShell.clear_instance()


def cell_events(database_url: str, user_id: int) -> list[dict]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT payload FROM events WHERE user_id = :u AND event_type = 'cell.executed'"
                    " ORDER BY id"
                ),
                {"u": user_id},
            )
            return [r.payload for r in rows]
    finally:
        engine.dispose()


def test_cell_runs_reach_the_database(shell, stack, make_user) -> None:
    user = make_user(consent=True)
    activity.install(
        shell,
        tokens=TokenStore(stack.api_url, user.access_token),
        flush_interval=0.2,
    )
    recorder = activity.current()
    assert recorder is not None
    shell.run_cell("a = 21 * 2")
    shell.run_cell("1 / 0")
    shell.run_cell("def broken(:\n    pass")
    shell.run_cell("   ")  # blank cells are not recorded
    assert eventually(lambda: len(cell_events(stack.database_url, user.id)) == 3, 20, interval=0.1)
    ok, zero, syntax = cell_events(stack.database_url, user.id)
    assert ok["success"] is True and ok["code"] == "a = 21 * 2"
    assert ok["execution_count"] >= 1
    assert zero["success"] is False and zero["error_type"] == "ZeroDivisionError"
    assert "division by zero" in zero["error_message"]
    assert syntax["error_type"] == "SyntaxError"
    assert eventually(
        lambda: recorder.sent == 3, 20, interval=0.1
    )  # the reply may trail the commit
    assert recorder.dropped == 0 and recorder.consent is True


def test_without_consent_nothing_is_sent(shell, stack, make_user) -> None:
    user = make_user(consent=False)
    activity.install(
        shell,
        tokens=TokenStore(stack.api_url, user.access_token),
        flush_interval=0.2,
    )
    recorder = activity.current()
    shell.run_cell("b = 1")
    assert eventually(lambda: recorder.consent is False, 20, interval=0.1)
    shell.run_cell("c = 2")
    assert recorder.pending == 0 and recorder.sent == 0
    assert cell_events(stack.database_url, user.id) == []


def test_a_lost_network_queues_then_drops_with_a_count(shell) -> None:
    dead_api = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    activity.install(
        shell,
        tokens=TokenStore(dead_api, "t"),
        max_queue=5,
        flush_interval=0.05,
        max_backoff=0.1,
        timeout=0.5,
    )
    recorder = activity.current()
    for i in range(8):
        result = shell.run_cell(f"x{i} = {i}")
        assert result.success  # the student's cells are unaffected
    assert recorder.pending == 5
    assert recorder.dropped == 3
    assert eventually(lambda: recorder.failures >= 2, 20, interval=0.1)
    assert recorder.pending == 5 and recorder.sent == 0
    assert shell.user_ns["x7"] == 7


def test_events_queued_while_offline_are_sent_later(shell, stack, make_user) -> None:
    user = make_user(consent=True)
    tokens = TokenStore(f"http://127.0.0.1:{free_port()}", user.access_token)  # offline
    activity.install(
        shell,
        tokens=tokens,
        flush_interval=3600,  # nothing is sent until we flush by hand
    )
    recorder = activity.current()
    shell.run_cell("y = 1")
    shell.run_cell("y + 1")
    assert recorder.flush_once() is False and recorder.pending == 2
    tokens.api_url = stack.api_url  # the network is back
    assert recorder.flush_once() is True
    assert recorder.pending == 0 and recorder.sent == 2
    assert [e["code"] for e in cell_events(stack.database_url, user.id)] == ["y = 1", "y + 1"]


def test_clip_keeps_utf8_whole() -> None:
    text_ = "é" * 10
    clipped = activity.clip(text_, 5)
    assert clipped == "éé" and len(clipped.encode()) <= 5


def test_nul_characters_never_reach_the_api() -> None:
    assert activity.clip("a\x00b", 100) == "a\ufffdb"
    event = activity.cell_event("x = '\x00'", ValueError("bad \x00 byte"), 3)
    assert "\x00" not in event["payload"]["code"]
    assert "\x00" not in event["payload"]["error_message"]
