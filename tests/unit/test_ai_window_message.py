"""The widget's words for a question refused by an AI window `off`: off, and until when."""

from __future__ import annotations

import httpx
import pytest

from ainative.notebook.wire import TutorClientError, raise_for


def test_the_widget_says_the_tutor_is_off_and_until_when() -> None:
    body = {"detail": "off", "ai_window": "off", "until": "2026-12-07T12:00:00+00:00"}
    with pytest.raises(TutorClientError, match="switched off for this notebook until 2026-12-07"):
        raise_for(httpx.Response(403, json=body))


def test_an_open_ended_window_says_for_now() -> None:
    body = {"detail": "off", "ai_window": "off", "until": None}
    with pytest.raises(TutorClientError, match="switched off for this notebook for now"):
        raise_for(httpx.Response(403, json=body))
