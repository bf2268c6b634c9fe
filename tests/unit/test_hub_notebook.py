"""The notebook side without a hub: cell capture in a real IPython shell, %tutor, error mapping.

The client's retries and refreshes against a scripted server are in test_notebook_client.py;
its traffic with the real API (refresh, long-poll, rating) is exercised end to end in
tests/e2e (a kernel in a spawned server, and the widget in a browser).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ainative.notebook import tokens
from ainative.notebook.client import TutorClient
from ainative.notebook.tokens import TokenStore
from ainative.notebook.wire import (
    QuotaExceededError,
    SessionExpiredError,
    TutorClientError,
    TutorUnavailableError,
    raise_for,
)
from ainative.runtime.devservices import free_port
from ainative.tutor.modes import DEFAULT_MODE, all_modes


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext ainative.notebook")
    yield shell
    shell.run_cell("%unload_ext ainative.notebook")
    InteractiveShell.clear_instance()


@pytest.mark.parametrize(
    ("cell", "code", "error"),
    [
        ("x = 1", "x = 1", None),
        (
            "def f(xs):\n    return xs[3]\nf([1])",
            "def f(xs)",
            "IndexError: list index out of range",
        ),
        ("1/0", "1/0", "ZeroDivisionError: division by zero"),
        ("def broken(:\n    pass", "def broken(", "SyntaxError"),
    ],
)
def test_capture_remembers_last_cell_and_error(ip, cell, code, error):
    from ainative import notebook

    ip.run_cell(cell)
    ip.run_cell("%tutor")  # the tutor's own cell is not the student's work
    ctx = notebook._capture.context()
    assert ctx["code"].startswith(code)
    if error is None:
        assert "error" not in ctx
    else:
        assert error in ctx["error"]
        assert "/IPython/" not in ctx["error"]  # only the student's frames


@pytest.mark.parametrize(
    ("line", "mode"), [("", DEFAULT_MODE)] + [(m.name, m.name) for m in all_modes()]
)
def test_tutor_magic_shows_widget_in_mode(ip, line, mode):
    from ainative.notebook.widget import TutorWidget

    widget = ip.run_line_magic("tutor", line)
    assert isinstance(widget, TutorWidget)
    assert widget.mode.value == mode
    # what goes with a question is ticked by default; the student may untick each item
    assert {name: box.value for name, box in widget.preview.checks.items()} == {
        "code": True,
        "error": True,
        "explanation": True,
        "notebook": True,
    }
    # the dropdown offers exactly the registry's modes, titled as the registry titles them
    assert list(widget.mode.options) == [(m.label, m.name) for m in all_modes()]


def test_every_tutor_widget_of_a_kernel_shares_the_recorders_context(ip):
    from ainative import notebook
    from ainative.notebook import activity

    first, second = ip.run_line_magic("tutor", ""), ip.run_line_magic("tutor", "hints")
    assert first.context is second.context is notebook._context
    assert first.context.ip is ip
    offline = TokenStore(f"http://127.0.0.1:{free_port()}", "access")
    activity.install(ip, tokens=offline, context=first.context, flush_interval=3600)
    try:
        ip.run_cell("%reload_ext ainative.notebook")  # resets the package's globals
        again = ip.run_line_magic("tutor", "")
        assert again.context is first.context is activity.current().context
    finally:
        activity.uninstall(ip)


def test_tutor_magic_rejects_unknown_mode(ip):
    with pytest.raises(UsageError, match="unknown tutor mode 'chatty'"):
        ip.run_line_magic("tutor", "chatty")


def _response(status: int, body: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body or {}, request=httpx.Request("GET", "http://x/"))


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (200, {}, None, None),
        (202, {"id": "1", "status": "queued"}, None, None),
        (401, {"detail": "token has expired"}, SessionExpiredError, "log in to the hub again"),
        (
            429,
            {"detail": "tutor quota exceeded", "resets_at": "2026-11-28T14:05:00+00:00"},
            QuotaExceededError,
            "tutor quota used up, refills at ",
        ),
        (429, {"detail": "too many login attempts"}, QuotaExceededError, "too many requests"),
        (503, {"detail": "busy"}, TutorUnavailableError, "try again in a minute"),
        (422, {"detail": "the question is empty"}, TutorClientError, "the question is empty"),
    ],
)
def test_responses_become_readable_errors(status, body, error, message):
    if error is None:
        raise_for(_response(status, body))
        return
    with pytest.raises(error) as exc:
        raise_for(_response(status, body))
    assert message in str(exc.value)
    if "refills at" in message:
        local = datetime(2026, 11, 28, 14, 5, tzinfo=UTC).astimezone().strftime("%H:%M")
        assert str(exc.value).endswith(local)


def test_token_store_takes_a_token_someone_else_refreshed():
    store = TokenStore(f"http://127.0.0.1:{free_port()}", "new-access", "refresh")
    # the caller used an older token: no network call (the port is closed), just the new one
    assert store.refresh("old-access") == "new-access"
    with pytest.raises(TutorUnavailableError):
        store.refresh("new-access")
    with pytest.raises(SessionExpiredError, match="log in to the hub again"):
        TokenStore("http://127.0.0.1:1", "a", "").refresh("a")


def test_client_outside_the_hub_says_so(monkeypatch):
    monkeypatch.setattr(tokens, "_shared", None)
    monkeypatch.delenv("AINATIVE_ACCESS_TOKEN", raising=False)
    with pytest.raises(TutorClientError, match="open this notebook from JupyterHub"):
        TutorClient()


def test_client_gives_up_politely_when_the_api_is_down():
    url = f"http://127.0.0.1:{free_port()}"
    with (
        TutorClient(url, "access", "refresh", retries=2, backoff=0.01) as client,
        pytest.raises(TutorUnavailableError, match="cannot reach the tutor"),
    ):
        client.ask("why?")


def test_widget_asks_for_a_question_first():
    from ainative.notebook.widget import TutorWidget

    widget = TutorWidget(client=object())  # never used: the question is empty
    asyncio.run(widget.ask())
    assert "Type a question first" in widget.status.value
    assert widget.ask_button.disabled is False


def test_package_face_is_cheap_and_complete():
    """`from ainative.notebook import TutorClient, TutorWidget` works; the import alone is light."""
    import subprocess
    import sys

    code = (
        "import sys, ainative.notebook as nb\n"
        "heavy = [m for m in ('ipywidgets', 'httpx') if m in sys.modules]\n"
        "from ainative.notebook import TutorClient, TutorWidget, TutorClientError\n"
        "from ainative.notebook import activity\n"
        "print(heavy, TutorClient.__module__, TutorWidget.__module__, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "[]",
        "ainative.notebook.client",
        "ainative.notebook.widget",
        "True",
    ]


def test_preview_shows_exactly_what_goes_and_unticked_items_stay_home(ip):
    ip.run_cell("numbers = [1, 2]\nnumbers[5]")
    widget = ip.run_line_magic("tutor", "")
    outgoing = widget._outgoing()
    widget.preview.show(outgoing)
    shown = widget.preview.shown
    assert "numbers[5]" in shown["code"].value
    assert "IndexError: list index out of range" in shown["error"].value
    assert "not known here" in shown["notebook"].value  # no Jupyter session in this shell
    assert widget.preview.checks["notebook"].disabled
    assert "index `5` of `numbers`" in shown["explanation"].value
    widget.preview.checks["error"].value = False
    context = outgoing.context(widget.preview.include())
    assert set(context) == {"code", "explanation"}
    widget.preview.checks["explanation"].value = False
    context = outgoing.context(widget.preview.include())
    assert context == {"code": "numbers = [1, 2]\nnumbers[5]"}
