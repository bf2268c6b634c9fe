"""The experiment report's CONSORT parts on a real database: the flow of students counted
from the allocation log and the dated consent records, intention to treat, the
pre-registration comparison, and exports that name the SubjectIDs withdrawn since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from ainative.course.experiments import arm_for, create_experiment
from analytics import consort, load
from analytics.progsnap2 import export_progsnap2
from analytics.progsnap2_rows import pseudonym
from tests.support.factories import make_course

KEY = "c" * 32
PLAN = {
    "hypothesis": "a shortens time to fix",
    "primary_outcome": "time_to_fix",
    "planned_n": 6,
    "planned_end": "2027-03-01",
    "analysis_commit": "abc1234",
}


@pytest.fixture
def engine(fresh_database_url: str):
    engine = create_engine(fresh_database_url)
    yield engine
    engine.dispose()


def _consent(conn, user: int, given: bool, at: datetime) -> None:
    conn.execute(
        text(
            "INSERT INTO consent_records (user_id, given, recorded_at, source) "
            "VALUES (:u, :g, :t, 'test')"
        ),
        {"u": user, "g": given, "t": at},
    )


def _cohort(engine) -> tuple[int, int, list[int]]:
    course = make_course(engine, code="CON1", title="Consort")
    with engine.begin() as conn:
        users = list(
            conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash) "
                    "SELECT 'k' || g || '@example.org', 'k' || g, 'x' "
                    "FROM generate_series(1, 6) g RETURNING id"
                )
            ).scalars()
        )
        experiment = create_experiment(
            conn, course_id=course, name="t", arms=[("a", {}), ("b", {})], preregistration=PLAN
        )
    for user in users:
        with engine.begin() as conn:
            arm_for(conn, course_id=course, user_id=user, key=KEY)
    now = datetime.now(UTC)
    with engine.begin() as conn:  # assigned an hour ago: every record below is in the past
        for table in ("experiment_assignments", "experiment_allocations"):
            conn.execute(text(f"UPDATE {table} SET assigned_at = assigned_at - interval '1 hour'"))
        for user in users[:3]:  # consented before their first question
            _consent(conn, user, True, now - timedelta(days=1))
        _consent(conn, users[3], False, now - timedelta(days=1))  # consents after it
        _consent(conn, users[3], True, now - timedelta(minutes=30))
        _consent(conn, users[2], False, now - timedelta(minutes=20))  # then withdrew
        _consent(conn, users[4], False, now - timedelta(days=1))  # never
        conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": users[5]})
    return course, experiment, users


def test_flow_itt_and_the_preregistration_comparison(engine, fresh_database_url) -> None:
    _, experiment, users = _cohort(engine)
    flow = consort.load_flow(fresh_database_url, experiment_id=experiment)
    totals = flow[["assigned", "deleted", "not_consented", "consented", "withdrew"]].sum()
    assert totals.to_dict() == {
        "assigned": 6,
        "deleted": 1,
        "not_consented": 1,
        "consented": 4,
        "withdrew": 1,
    }
    assignments = load.load_assignments(
        fresh_database_url, where=load.TraceFilter(experiments=[experiment])
    )
    assert set(assignments["user_id"]) == set(users[:4])  # the late consenter is kept
    assert assignments["block"].notna().all()
    fix = pd.Series({users[0]: 30.0, users[3]: 12.0})  # others: no value, kept as NA
    itt = consort.intention_to_treat(assignments, {"time_to_fix": fix})
    assert len(itt) == 4 and int(itt["observed_time_to_fix"].sum()) == 2
    table = consort.flow_table(flow, itt)
    assert int(table.loc["analysed: time_to_fix"].sum()) == 2
    assert int(table.loc["assigned"].sum()) == 6
    deviation = consort.deviations(
        PLAN,
        assigned=int(totals["assigned"]),
        ended_at=None,
        analysis_commit="abc1234def",
        primary_outcome="time_to_fix",
    ).set_index("item")["deviates"]
    assert deviation.to_dict() == {
        "primary outcome": False,
        "sample size": False,
        "end": True,  # still running on the planned end's eve
        "analysis commit": False,
    }
    text_ = consort.report_markdown(table, consort.deviations(
        PLAN, assigned=5, ended_at=None, analysis_commit="fff0000", primary_outcome="x"
    ))  # fmt: skip
    assert "## CONSORT flow" in text_ and "| analysed: time_to_fix |" in text_
    assert "| sample size | 6 | 5 | yes |" in text_
    dirty = consort.deviations(
        PLAN, assigned=6, ended_at=None, analysis_commit="abc1234-dirty", primary_outcome="x"
    ).set_index("item")["deviates"]
    assert bool(dirty["analysis commit"])  # the registered commit with uncommitted changes


def test_missing_outcomes_bound_the_difference() -> None:
    itt = pd.DataFrame(
        {"arm": ["a", "a", "a", "b", "b", "b"], "y": [1.0, 3.0, None, 2.0, 4.0, None]}
    ).astype({"y": "Float64"})
    out = consort.missing_sensitivity(itt, outcome="y", treatment="a", control="b")
    got = dict(zip(out["analysis"], out["difference"], strict=True))
    # worst: a's missing at the minimum 1, b's at the maximum 4: 5/3 - 10/3; best: 8/3 - 7/3
    assert got == pytest.approx({"complete-case": -1.0, "worst-case": -5 / 3, "best-case": 1 / 3})


def test_exports_name_the_subjects_withdrawn_since_the_previous_one(
    engine, fresh_database_url, tmp_path
) -> None:
    _, _, users = _cohort(engine)
    first = tmp_path / "first"
    export_progsnap2(first, fresh_database_url, key=KEY, progress=False)
    withdrawn = pd.read_csv(first / "WithdrawnSubjects.csv")
    assert withdrawn["SubjectID"].tolist() == [pseudonym(users[2], KEY)]
    record = json.loads((first / "provenance.json").read_text())
    assert record["kind"] == "progsnap2" and record["parameters"]["text"] == "scrub"
    assert record["packages"]["pandas"] == pd.__version__ and record["code_version"]
    with engine.begin() as conn:  # recorded now, after the first export
        conn.execute(
            text("INSERT INTO consent_records (user_id, given) VALUES (:u, false)"),
            {"u": users[0]},
        )
    second = tmp_path / "second"
    export_progsnap2(second, fresh_database_url, key=KEY, progress=False)
    again = pd.read_csv(second / "WithdrawnSubjects.csv")
    assert again["SubjectID"].tolist() == [pseudonym(users[0], KEY)]  # only the new one
    assert json.loads((second / "provenance.json").read_text())["previous_export_at"]


def test_the_cli_prints_the_consort_table_and_the_plan_comparison(
    engine, fresh_database_url, tmp_path, monkeypatch, capsys
) -> None:
    from ainative.cli import main as cli_main
    from ainative.config import get_settings

    _, experiment, _ = _cohort(engine)
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    get_settings.cache_clear()
    try:
        assert cli_main(["research", "consort", "CON1", "999"]) == 2
        assert "no experiment 999" in capsys.readouterr().out
        out = tmp_path / "report"
        assert cli_main(["research", "consort", "CON1", str(experiment), "--out", str(out)]) == 0
        printed = capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    assert "## CONSORT flow" in printed and "| assigned | " in printed
    assert "| analysed: time_to_fix | 0 | 0 |" in printed  # nobody ran a cell
    assert "| primary outcome | time_to_fix | time_to_fix | no |" in printed
    assert "| analysis commit | abc1234 |" in printed
    assert (out / "report.md").read_text() == printed
    assert json.loads((out / "provenance.json").read_text())["kind"] == "consort"


def test_an_erased_student_is_named_to_the_next_export(
    engine, fresh_database_url, tmp_path
) -> None:
    from ainative.config import Settings
    from ainative.course.my_data import delete

    _, _, users = _cohort(engine)
    export_progsnap2(tmp_path / "before", fresh_database_url, key=KEY, progress=False)
    settings = Settings(pseudonym_key=KEY)
    with engine.begin() as conn:
        delete(conn, users[1], keep_account=False, settings=settings)  # took part: named
        delete(conn, users[4], keep_account=False, settings=settings)  # never consented
    export_progsnap2(tmp_path / "after", fresh_database_url, key=KEY, progress=False)
    listed = pd.read_csv(tmp_path / "after" / "WithdrawnSubjects.csv")
    assert listed[["SubjectID", "Reason"]].values.tolist() == [[pseudonym(users[1], KEY), "erased"]]
    with engine.connect() as conn:  # no user id kept, only the pseudonym and the key's name
        columns = set(
            conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'erased_subjects'"
                )
            ).scalars()
        )
    assert columns == {"id", "subject_id", "key_id", "erased_at"}
