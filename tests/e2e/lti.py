"""Helpers for the LTI tests: the fake LMS registered with the real CLI, a browser-like
client that follows a launch step by step, and reads of what the launch stored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Hub
from tests.fakes.lms import FakeLMS
from tests.stack import REPO_ROOT, Stack

_INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.S)


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """`ainative ARGS` as an operator runs it, on the stack's database."""
    return subprocess.run(
        [sys.executable, "-m", "ainative.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **stack.env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def register(stack: Stack, lms: FakeLMS) -> subprocess.CompletedProcess[str]:
    args = [item for pair in lms.urls.items() for item in pair]
    return cli(stack, "lti", "add-platform", *args)


def form_of(page: str, form_id: str | None = None) -> tuple[str, dict[str, str]]:
    """A page's (first or named) form: its action and hidden/default fields."""
    if form_id:
        page = page[page.index(f'id="{form_id}"') - 200 :]
    start = page.index("<form")
    chunk = page[start : page.index("</form>", start)]
    action = unescape(re.search(r'action="([^"]+)"', chunk).group(1))  # type: ignore[union-attr]
    return action, {name: unescape(value) for name, value in _INPUT.findall(chunk)}


@dataclass
class Launcher:
    """One browser (its own cookies) clicking LMS links."""

    hub: Hub
    lms: FakeLMS

    def __post_init__(self) -> None:
        self.client = httpx.Client(timeout=60, follow_redirects=False)

    def start(self, hint: str) -> tuple[str, dict[str, str]]:
        """Click the LMS link up to the LMS's auto-posting form: (action, id_token+state)."""
        r = self.client.get(self.lms.launch_url(hint))
        assert r.status_code == 302, r.text
        r = self.client.get(r.headers["location"])  # the hub's login initiation
        assert r.status_code == 302, r.text[:500]
        assert r.headers["location"].startswith(f"{self.lms.base_url}/auth?")
        r = self.client.get(r.headers["location"])  # the LMS's authentication response
        assert r.status_code == 200, r.text
        return form_of(r.text)

    def post(self, action: str, fields: dict[str, str]) -> httpx.Response:
        return self.client.post(action, data=fields)

    def launch(self, hint: str) -> httpx.Response:
        return self.post(*self.start(hint))

    def choose(self, page: httpx.Response, form_id: str, **fields: str) -> httpx.Response:
        """Submit one of the hub's choice forms (XSRF field included)."""
        assert f'id="{form_id}"' in page.text, page.text[:500]
        action, values = form_of(page.text, form_id)
        return self.client.post(self.hub.url + action, data={**values, **fields})


def refusal_rule(r: httpx.Response) -> str:
    """The rule a refusal page names (data-rule), or '' when the page is no refusal."""
    found = re.search(r'id="lti-refusal"[^>]*data-rule="([^"]+)"', r.text)
    return found.group(1) if found else ""


def spawn_target(r: httpx.Response) -> str:
    """Where a finished launch sends the browser: the `next` of /hub/spawn."""
    assert r.status_code == 302, r.text[:800]
    url = urlsplit(r.headers["location"])
    assert url.path.endswith("/hub/spawn"), r.headers["location"]
    return parse_qs(url.query)["next"][0]


def records(database_url: str, issuer: str, subject: str) -> dict[str, Any]:
    """The account of an LMS identity: id, username, roles, memberships {course: role}."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT u.id, u.username, u.email, u.roles FROM external_identities i "
                    "JOIN users u ON u.id = i.user_id WHERE i.issuer = :i AND i.subject = :s"
                ),
                {"i": issuer, "s": subject},
            ).first()
            if row is None:
                return {}
            members = conn.execute(
                text(
                    "SELECT c.code, m.role FROM memberships m JOIN courses c "
                    "ON c.id = m.course_id WHERE m.user_id = :u"
                ),
                {"u": row.id},
            ).all()
    finally:
        engine.dispose()
    return {
        "id": row.id,
        "username": row.username,
        "email": row.email,
        "roles": list(row.roles),
        "courses": {code: role for code, role in members},
    }


def course_of_context(database_url: str, context_id: str) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT c.id, c.code, c.title, x.memberships_url FROM lti_contexts x "
                    "JOIN courses c ON c.id = x.course_id WHERE x.context_id = :x"
                ),
                {"x": context_id},
            ).first()
    finally:
        engine.dispose()
    return dict(row._mapping) if row is not None else {}
