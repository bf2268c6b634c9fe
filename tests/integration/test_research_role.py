"""`ainative research-role` on a real PostgreSQL: the researchers' login reads what the
loaders need and can neither write nor read anything that would let it act as someone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from analytics import load
from analytics.load_escalations import load_escalations, load_replies
from analytics.load_windows import load_exercises, load_window_refusals
from analytics.synth import CohortSpec, generate
from analytics.synth_write import write
from tests.stack import REPO_ROOT

pytestmark = pytest.mark.integration
END = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "ainative.cli", "research-role", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def research_url(fresh_database_url: str, tmp_path: Path) -> str:
    write(
        generate(CohortSpec(students=8, days=3, seed=3, consent_rate=0.5, end=END)),
        fresh_database_url,
        password_hash="$2b$04$" + "x" * 53,
    )
    secret = tmp_path / "password"
    secret.write_text("a:research%pass'word\n")
    done = _cli(fresh_database_url, "--name", "thesis_reader", "--password-file", str(secret))
    assert done.returncode == 0, done.stderr
    assert "read-only" in done.stdout and "research%pass" not in done.stdout
    url = make_url(fresh_database_url).set(
        username="thesis_reader", password="a:research%pass'word"
    )
    return url.render_as_string(hide_password=False)


def test_the_loaders_run_as_the_research_role(research_url: str, fresh_database_url: str) -> None:
    as_owner = load.load_interactions(fresh_database_url)
    as_researcher = load.load_interactions(research_url)
    assert len(as_researcher) == len(as_owner) > 0
    for loader in (
        load.load_events,
        load.load_sessions,
        load.load_enrolments,
        load.load_experiments,
        load.load_assignments,
        load_escalations,
        load_replies,
        load_window_refusals,
        load_exercises,
    ):
        assert loader(research_url).columns.size > 0, loader.__name__


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT email FROM users",
        "SELECT password_hash FROM users",
        "SELECT join_code FROM courses",
        "SELECT reference_solution FROM assignments",
        "SELECT * FROM refresh_tokens",
        "SELECT * FROM password_resets",
        "SELECT * FROM lti_tool_keys",
        "SELECT * FROM audit_log",
        "UPDATE interactions SET answer = 'changed'",
        "DELETE FROM consent_records",
        "INSERT INTO research_exports (kind, key_id, provenance) VALUES ('x', 'y', '{}')",
        "CREATE TABLE copied AS SELECT id FROM interactions",
    ],
)
def test_the_research_role_is_refused(research_url: str, statement: str) -> None:
    engine = create_engine(research_url, poolclass=NullPool)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    assert refused.value.orig.pgcode in {"42501", "25006"}, refused.value  # denied / read-only


def test_running_it_again_keeps_one_role_and_bad_names_are_refused(
    research_url: str, fresh_database_url: str
) -> None:
    again = _cli(fresh_database_url, "--name", "thesis_reader")
    assert again.returncode == 0, again.stderr
    assert "thesis_reader:" in again.stdout and "postgresql" in again.stdout  # a new password
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = 'thesis_reader'")
        ).all()
        assert len(rows) == 1 and rows[0][0].startswith(("SCRAM-SHA-256$", "md5"))
    engine.dispose()
    bad = _cli(fresh_database_url, "--name", 'x"; DROP TABLE users; --')
    assert bad.returncode == 2 and "not a usable role name" in bad.stderr
