"""Experiments: named arms (tutor policies) compared within a course, students assigned
to arms once, deterministically and in balance.

Assignment happens at a student's first question in the course while the experiment
runs, in permuted blocks: each block of k consecutive assignments (k arms) gives every
arm once, and within a block the arriving student gets, of the arms not yet used in
it, the one with the smallest keyed hash of student, experiment and arm (ALLOCATION_KEY;
so the order of arrival and the key decide, not a random draw, and a re-run of the same
arrivals gives the same arms). The choice is stored, so it stays across sessions.

Every assignment is also a row of the allocation log (`experiment_allocations`):
sequence number, block, arm and the arm counts after it, no user id. An auditor checks
the blocks from the log alone; the log outlives deleted accounts, whose assignments
remain as counts. Counts come from the log, so a deleted account does not reopen a slot.

An arm's policy is laid over the course's policy; every interaction records experiment,
arm and the course policy's version. A pre-registration (course.preregistration) is
stored with the experiment when it starts and cannot change afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from ainative.course.errors import ExperimentError
from ainative.course.preregistration import preregistration as checked_plan

# What an arm may set, on top of the course policy.
ARM_POLICY_KEYS = (
    "allowed_modes",
    "guardrail",  # "standard" or "strict"
    "provider",
    "model",
    "prompt_variant",
    "extra_context",
)


@dataclass(frozen=True)
class Arm:
    experiment_id: int
    experiment: str
    arm_id: int
    name: str
    policy: dict[str, Any]


def effective_policy(course_policy: Mapping[str, Any], arm: Arm | None) -> dict[str, Any]:
    """The course policy with the arm's keys laid over it."""
    policy = dict(course_policy)
    if arm is not None:
        policy.update({k: v for k, v in arm.policy.items() if k in ARM_POLICY_KEYS})
    return policy


def tie_break(key: str, user_id: int, experiment_id: int, arm_name: str) -> str:
    material = f"experiment:{experiment_id}:user:{user_id}:arm:{arm_name}".encode()
    return hmac.new(key.encode(), material, hashlib.sha256).hexdigest()


def create_experiment(
    conn: Connection,
    *,
    course_id: int,
    name: str,
    arms: Sequence[tuple[str, Mapping[str, Any]]],
    description: str = "",
    created_by: int | None = None,
    preregistration: Mapping[str, Any] | None = None,
) -> int:
    """Start an experiment with its arms; refuses a second running one in the course.

    `preregistration` (hypothesis, primary outcome, planned n and end, analysis commit)
    is stored with the start and frozen; without one the report says it was not
    pre-registered.
    """
    plan = None if preregistration is None else json.dumps(checked_plan(preregistration))
    if len(arms) < 2:
        raise ExperimentError("an experiment needs at least two arms")
    if len({arm for arm, _ in arms}) != len(arms):
        raise ExperimentError("arm names must differ")
    policies = [_json(policy) for _, policy in arms]
    running = conn.execute(
        text("SELECT name FROM experiments WHERE course_id = :c AND ended_at IS NULL"),
        {"c": course_id},
    ).scalar()
    if running is not None:
        raise ExperimentError(
            f"experiment '{running}' is still running in this course; end it first"
        )
    taken = conn.execute(
        text("SELECT 1 FROM experiments WHERE course_id = :c AND name = :n"),
        {"c": course_id, "n": name},
    ).scalar()
    if taken:
        raise ExperimentError(f"this course already had an experiment named '{name}'")
    experiment_id = int(
        conn.execute(
            text(
                "INSERT INTO experiments (course_id, name, description, created_by, "
                "preregistration, registered_at) VALUES (:c, :n, :d, :by, "
                "CAST(:plan AS jsonb), CASE WHEN :plan IS NULL THEN NULL ELSE now() END) "
                "RETURNING id"
            ),
            {"c": course_id, "n": name, "d": description, "by": created_by, "plan": plan},
        ).scalar_one()
    )
    for (arm, _), policy in zip(arms, policies, strict=True):
        conn.execute(
            text(
                "INSERT INTO experiment_arms (experiment_id, name, policy) "
                "VALUES (:e, :n, CAST(:p AS jsonb))"
            ),
            {"e": experiment_id, "n": arm, "p": policy},
        )
    return experiment_id


def _json(policy: Mapping[str, Any]) -> str:
    unknown = set(policy) - set(ARM_POLICY_KEYS)
    if unknown:
        raise ExperimentError(f"an arm cannot set {', '.join(sorted(unknown))}")
    return json.dumps(dict(policy))


def end_experiment(conn: Connection, *, course_id: int, experiment_id: int) -> bool:
    """Stop assigning and applying arms; True when it was running."""
    row = conn.execute(
        text(
            "UPDATE experiments SET ended_at = now() WHERE id = :e AND course_id = :c "
            "AND ended_at IS NULL RETURNING id"
        ),
        {"e": experiment_id, "c": course_id},
    ).first()
    return row is not None


def arm_for(conn: Connection, *, course_id: int, user_id: int, key: str) -> Arm | None:
    """The student's arm in the course's running experiment, assigning one on first use.

    The experiment row is locked while choosing, so concurrent first questions of
    different students still fill the arms in balance.
    """
    experiment = conn.execute(
        text(
            "SELECT id, name FROM experiments WHERE course_id = :c AND ended_at IS NULL FOR UPDATE"
        ),
        {"c": course_id},
    ).first()
    if experiment is None:
        return None
    existing = conn.execute(
        text(
            "SELECT a.id, a.name, a.policy FROM experiment_assignments s "
            "JOIN experiment_arms a ON a.id = s.arm_id "
            "WHERE s.experiment_id = :e AND s.user_id = :u"
        ),
        {"e": experiment.id, "u": user_id},
    ).first()
    if existing is None:
        existing = _allocate(conn, experiment.id, user_id, key)
    return Arm(experiment.id, experiment.name, existing.id, existing.name, dict(existing.policy))


ALLOCATED_SQL = text(
    """
    SELECT a.id, a.name, a.policy,
        (SELECT count(*) FROM experiment_allocations l
         WHERE l.experiment_id = a.experiment_id AND l.arm = a.name) AS allocated,
        (SELECT COALESCE(max(l.seq), 0) FROM experiment_allocations l
         WHERE l.experiment_id = a.experiment_id) AS last_seq
    FROM experiment_arms a WHERE a.experiment_id = :e ORDER BY a.id
    """
)


def _allocate(conn: Connection, experiment_id: int, user_id: int, key: str) -> Any:
    """Assign the next arm of the current permuted block and log it (the caller holds the
    experiment's row lock). Returns the arm's row."""
    arms = conn.execute(ALLOCATED_SQL, {"e": experiment_id}).all()
    chosen = min(arms, key=lambda a: (a.allocated, tie_break(key, user_id, experiment_id, a.name)))
    seq = int(arms[0].last_seq) + 1
    counts = {a.name: int(a.allocated) + (a.id == chosen.id) for a in arms}
    conn.execute(
        text(
            "INSERT INTO experiment_assignments (experiment_id, user_id, arm_id) "
            "VALUES (:e, :u, :a)"
        ),
        {"e": experiment_id, "u": user_id, "a": chosen.id},
    )
    conn.execute(
        text(
            "INSERT INTO experiment_allocations (experiment_id, seq, block, arm, counts) "
            "VALUES (:e, :seq, :block, :arm, CAST(:counts AS jsonb))"
        ),
        {
            "e": experiment_id,
            "seq": seq,
            "block": (seq - 1) // len(arms) + 1,
            "arm": chosen.name,
            "counts": json.dumps(counts),
        },
    )
    return chosen


def allocation_log(conn: Connection, *, experiment_id: int) -> list[dict[str, Any]]:
    """The experiment's allocation log in order: seq, block, arm, counts, assigned_at."""
    rows = conn.execute(
        text(
            "SELECT seq, block, arm, counts, assigned_at FROM experiment_allocations "
            "WHERE experiment_id = :e ORDER BY seq"
        ),
        {"e": experiment_id},
    ).mappings()
    return [dict(r) for r in rows]


def list_experiments(conn: Connection, *, course_id: int) -> list[dict[str, Any]]:
    """The course's experiments with their arms and how many students each arm has."""
    rows = conn.execute(
        text(
            "SELECT e.id, e.name, e.description, e.created_at, e.ended_at, "
            "e.preregistration, e.registered_at, a.id AS arm_id, "
            "a.name AS arm, a.policy, count(s.user_id) AS students "
            "FROM experiments e JOIN experiment_arms a ON a.experiment_id = e.id "
            "LEFT JOIN experiment_assignments s ON s.arm_id = a.id "
            "WHERE e.course_id = :c GROUP BY e.id, a.id ORDER BY e.id, a.id"
        ),
        {"c": course_id},
    ).mappings()
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = out.setdefault(
            r["id"],
            {
                "id": r["id"],
                "name": r["name"],
                "description": r["description"],
                "created_at": r["created_at"],
                "ended_at": r["ended_at"],
                "preregistration": r["preregistration"],
                "registered_at": r["registered_at"],
                "arms": [],
            },
        )
        entry["arms"].append(
            {
                "id": r["arm_id"],
                "name": r["arm"],
                "policy": dict(r["policy"]),
                "students": r["students"],
            }
        )
    return list(out.values())
