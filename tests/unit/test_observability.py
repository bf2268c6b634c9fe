"""Structured logs and multi-process metric folders, without servers."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from ainative.observability import multiproc
from ainative.observability.logging import (
    REDACTED,
    ContextFilter,
    JsonFormatter,
    RedactionFilter,
    TextFormatter,
    bind,
    correlation_headers,
    log_context,
)


def emit(formatter: logging.Formatter, msg: str, *args: object, **extra: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactionFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test.obs.{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.warning(msg, *args, extra=extra)
    return stream.getvalue().strip()


@pytest.mark.parametrize(
    "message,secret",
    [
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl", "eyJhbGciOi"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefgh here", "eyJhbGciOiJIUzI1NiJ9"),
        ("calling with key sk-live-abcdef123456", "sk-live-abcdef123456"),
        ("login failed password=hunter2xyz for bob", "hunter2xyz"),
        ('{"password": "hunter2xyz"}', "hunter2xyz"),
        ("GET /hub/login?token=abcdef123456&next=/", "abcdef123456"),
        ("basic auth Basic YWRtaW46c2VjcmV0", "YWRtaW46c2VjcmV0"),
    ],
)
def test_secrets_in_messages_are_redacted(message: str, secret: str) -> None:
    line = emit(JsonFormatter("test"), "%s", message)
    assert secret not in line and REDACTED in line


def test_secret_fields_are_redacted_but_counts_kept() -> None:
    line = json.loads(
        emit(
            JsonFormatter("t"),
            "asked",
            prompt="my homework",
            password="pw-123456",
            authorization="Bearer abc",
            prompt_tokens=12,
        )
    )
    assert line["prompt"] == line["password"] == line["authorization"] == REDACTED
    assert line["prompt_tokens"] == 12


def test_json_lines_carry_bound_ids() -> None:
    with log_context(request_id="r-1"):
        bind(user_id=7, interaction_id="i-9")
        line = json.loads(emit(JsonFormatter("api"), "hello %s", "there"))
        assert correlation_headers() == {"request_id": "r-1"}
    assert line["msg"] == "hello there"
    assert (line["request_id"], line["user_id"], line["interaction_id"]) == ("r-1", 7, "i-9")
    assert line["process"] == "api" and line["level"] == "warning"
    assert correlation_headers() == {}


def test_text_format_is_one_readable_line() -> None:
    with log_context(request_id="r-2"):
        line = emit(TextFormatter("api"), "answered in %d ms", 12)
    assert "\n" not in line and "answered in 12 ms" in line and "request_id=r-2" in line


@pytest.mark.parametrize(
    "argv,role",
    [
        (["/x/uvicorn/__main__.py", "api.main:app", "--port", "8123"], ("api", "8123")),
        (["/x/celery/__main__.py", "-A", "worker", "worker", "--pool", "threads"], ("worker", "")),
        (["/x/celery/__main__.py", "-A", "worker", "beat"], ("beat", "")),
        (["/x/celery/__main__.py", "--app=worker", "flower", "--conf=x"], ("flower", "")),
        (["/x/bin/pytest", "tests"], ("other", "")),
    ],
)
def test_role_comes_from_the_command_line(argv: list[str], role: tuple[str, str]) -> None:
    assert multiproc.detect_role(argv) == role


def test_startup_cleans_files_of_dead_processes_only(tmp_path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    live_pid = os.getppid()
    for name in (
        f"counter_{dead_pid}.db",
        f"gauge_livesum_{dead_pid}.db",
        f"counter_{live_pid}.db",
        f"histogram_{os.getpid()}.db",
        "notes.txt",
    ):
        (tmp_path / name).write_bytes(b"")
    removed = multiproc.clean_stale_files(tmp_path)
    assert sorted(removed) == sorted(
        [f"counter_{dead_pid}.db", f"gauge_livesum_{dead_pid}.db", f"histogram_{os.getpid()}.db"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"counter_{live_pid}.db", "notes.txt"]
    )


def test_secrets_command_prints_fresh_env_lines() -> None:
    from ainative.commands.secrets import fresh_secrets

    first, second = fresh_secrets(), fresh_secrets()
    assert set(first) >= {
        "JWT_SECRET_KEY",
        "JUPYTERHUB_CRYPT_KEY",
        "PSEUDONYM_KEY",
        "FLOWER_HUB_TOKEN",
        "METRICS_TOKEN",
    }
    assert "FLOWER_BASIC_AUTH" not in first  # Flower's login is the hub's
    assert all(first[k] != second[k] for k in first)
    assert len(bytes.fromhex(first["JUPYTERHUB_CRYPT_KEY"])) == 32
    assert len(first["JWT_SECRET_KEY"]) >= 32
    assert all(len(first[k]) >= 32 for k in ("FLOWER_HUB_TOKEN", "METRICS_TOKEN"))


def test_hub_logging_config_gives_jupyterhub_redacted_json_lines(capsys) -> None:
    from traitlets.config import Application

    from ainative.observability.logging import hub_logging_config

    class JupyterHub(Application):  # the hub's logger is named after its class
        pass

    app = JupyterHub(logging_config=hub_logging_config(log_format="json"))
    app.log_level = "INFO"
    app.log.info("302 GET /hub/login?token=eyJabc.def.ghi-secret&next=/hub/ 1.2ms")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["process"] == "hub" and line["logger"] == "JupyterHub"
    assert "secret" not in line["msg"] and REDACTED in line["msg"]
