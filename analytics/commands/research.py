"""`ainative research`: coding real requests by people, and an experiment's CONSORT report.

    ainative export coding-sample --out coding/ --course CS101 --per-stratum 20
    # two people fill in coding/coder_A.csv and coding/coder_B.csv, then:
    ainative research coding-report coding/
    ainative research consort CS101 3 --out report/

Registered by `analytics.commands.export.register` (the package's one `ainative.commands`
entry point for exports), so an installed package needs no new entry point.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register_sample(formats: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`ainative export coding-sample`: the stratified sample for coders."""
    cs = formats.add_parser(
        "coding-sample",
        help="a stratified sample of real requests (consenting students, scrubbed) for coders",
    )
    cs.add_argument("--out", required=True, type=Path, help="output directory")
    cs.add_argument("--course", action="append", help="course code or id (repeatable)")
    cs.add_argument("--per-stratum", type=int, default=20, help="requests per stratum")
    cs.add_argument("--coders", default="A,B", help="comma-separated coder names")
    cs.add_argument("--seed", type=int, default=0)
    cs.set_defaults(func=run_sample)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("research", help="coding reports and experiment reports")
    cmds = p.add_subparsers(dest="research_command", required=True)
    cr = cmds.add_parser("coding-report", help="coders' agreement and the classifier's matrix")
    cr.add_argument("folder", type=Path, help="the coding-sample folder with coders' files")
    cr.set_defaults(func=run_coding_report)
    co = cmds.add_parser("consort", help="an experiment's CONSORT flow and its pre-registration")
    co.add_argument("course", help="course code")
    co.add_argument("experiment_id", type=int)
    co.add_argument("--outcome", default="time_to_fix", help="the primary outcome analysed")
    co.add_argument("--out", type=Path, help="also write report.md and provenance.json here")
    co.set_defaults(func=run_consort)


def _course(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def run_sample(args: argparse.Namespace) -> int:
    from ainative.config import get_settings
    from analytics.coding import draw_sample, export_sample
    from analytics.commands.export import _no_database
    from analytics.load import TraceFilter, load_interactions
    from analytics.progsnap2 import course_people
    from analytics.provenance import record_run

    if _no_database():
        return 2
    if args.per_stratum < 1:
        print("export: --per-stratum must be at least 1")
        return 2
    coders = [c.strip() for c in args.coders.split(",") if c.strip()]
    if len(coders) < 2 or len(set(coders)) != len(coders):
        print("export: --coders needs two or more different names")
        return 2
    key = get_settings().research_key()
    courses = [_course(c) for c in args.course] if args.course else None
    interactions = load_interactions(where=TraceFilter(courses=courses), include_text=True)
    sample = draw_sample(interactions, per_stratum=args.per_stratum, key=key, seed=args.seed)
    ids = sorted({int(v) for v in interactions["user_id"].dropna()})
    course_ids = sorted({int(v) for v in interactions["course_id"].dropna()})
    scrub = course_people(None, course_ids, ids)
    export_sample(sample, args.out, coders=coders, scrub=scrub, seed=args.seed)
    parameters = {
        "courses": courses,
        "per_stratum": args.per_stratum,
        "coders": coders,
        "seed": args.seed,
        "strata": ["course_id", "classification"],
    }
    record_run(args.out, None, kind="coding-sample", key=key, parameters=parameters)
    print(f"wrote {len(sample)} requests for coders {', '.join(coders)} to {args.out}")
    return 0


def run_coding_report(args: argparse.Namespace) -> int:
    from analytics.coding import CodingError, coding_report

    try:
        summary, matrix, scores = coding_report(args.folder)
    except (CodingError, FileNotFoundError) as exc:
        print(f"research: {exc}")
        return 2
    import json

    from analytics.provenance import provenance

    text = render_coding_report(summary, matrix, scores)
    (args.folder / "coding_report.md").write_text(text, encoding="utf-8")
    record = provenance("coding-report", {"folder": str(args.folder), **summary})
    (args.folder / "coding_report.provenance.json").write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )
    print(text, end="")
    return 0


def render_coding_report(summary, matrix, scores) -> str:
    """The agreement figures and the confusion matrix as Markdown."""
    lines = [
        "## Agreement",
        "",
        f"items coded by two or more: {int(summary['items'])}, coders: {int(summary['coders'])}",
        f"percent agreement: {summary['percent']:.3f}",
        f"Cohen's kappa: {summary['kappa']:.3f}",
        f"Krippendorff's alpha (nominal): {summary['alpha']:.3f}",
        "",
        "## Classifier against the agreed codes (rows: coded, columns: classifier)",
        "",
        matrix.to_string(),
        "",
        scores.to_string(float_format=lambda v: f"{v:.3f}"),
    ]
    return "\n".join(lines) + "\n"


def run_consort(args: argparse.Namespace) -> int:
    import pandas as pd
    from sqlalchemy import text

    from ainative.config import get_settings
    from ainative.course.event_types import CELL_EXECUTED
    from ainative.db.engine import get_engine
    from analytics import consort
    from analytics.commands.export import _no_database
    from analytics.load import TraceFilter, load_assignments, load_events
    from analytics.novice import time_to_fix
    from analytics.provenance import code_version, record_run

    if _no_database():
        return 2
    with get_engine().connect() as conn:
        row = conn.execute(
            text(
                "SELECT e.id, e.preregistration, e.ended_at FROM experiments e "
                "JOIN courses c ON c.id = e.course_id WHERE c.code = :c AND e.id = :e"
            ),
            {"c": args.course, "e": args.experiment_id},
        ).first()
    if row is None:
        print(f"research: no experiment {args.experiment_id} in {args.course}")
        return 2
    flow = consort.load_flow(experiment_id=row.id)
    assignments = load_assignments(where=TraceFilter(experiments=[row.id]))
    runs = load_events(
        where=TraceFilter(courses=[args.course], event_types=[CELL_EXECUTED]),
    )
    streaks = time_to_fix(runs) if len(runs) else pd.DataFrame(columns=["user_id"])
    observed = streaks.groupby("user_id").size().astype(float)  # students with a streak
    itt = consort.intention_to_treat(assignments, {args.outcome: observed})
    table = consort.flow_table(flow, itt)
    deviation = consort.deviations(
        row.preregistration,
        assigned=int(flow["assigned"].sum()),
        ended_at=row.ended_at,
        analysis_commit=code_version(),
        primary_outcome=args.outcome,
    )
    report = consort.report_markdown(table, deviation)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.md").write_text(report, encoding="utf-8")
        parameters = {"course": args.course, "experiment": row.id, "outcome": args.outcome}
        key = get_settings().research_key()
        record_run(args.out, None, kind="consort", key=key, parameters=parameters)
    print(report, end="")
    return 0
