"""ProgSnap2 rows of the hand-offs to a person: the student's request and what staff did.

X-Escalation.Request and X-Escalation.Withdraw are the student's (UserDirectAction);
X-Escalation.Claim, X-Escalation.Reply and X-Escalation.Resolve are a staff member's,
EventInitiator InstructorDirectAction (the ProgSnap2 1.0 value for an action the
instructor caused; teaching assistants are instructors here, X-StaffRole says which).
The SubjectID of every row is the student's; the staff member is X-StaffID, a pseudonym
under the same key. Private columns as in ``analytics.progsnap2_rows``.
"""

from __future__ import annotations

import pandas as pd

from analytics.progsnap2_rows import keyed_id, pseudonym

__all__ = ["ESCALATION_EVENTS", "escalation_rows"]

STUDENT, STAFF = "UserDirectAction", "InstructorDirectAction"
ESCALATION_EVENTS = (
    "X-Escalation.Request",
    "X-Escalation.Claim",
    "X-Escalation.Reply",
    "X-Escalation.Resolve",
    "X-Escalation.Withdraw",
)


def _ids(prefix: str, values: pd.Series, key: str) -> list[str]:
    return [f"{prefix}-{keyed_id('escalation', v, key)}" for v in values]


def _staff(ids: pd.Series, key: str) -> list[str]:
    return ["" if pd.isna(s) else pseudonym(int(s), key) for s in ids]


def _int_text(values: pd.Series) -> pd.Series:
    return values.astype("Int64").astype("string")


def escalation_rows(escalations: pd.DataFrame, replies: pd.DataFrame, key: str) -> pd.DataFrame:
    """The five kinds of escalation events of `escalations` (``load_escalations``, with the
    ``message`` text when exported) and `replies` (``load_replies``, with ``text``)."""
    request_ids = pd.Series(_ids("esc", escalations["id"], key), index=escalations.index)
    session_ids = [
        "" if pd.isna(s) else keyed_id("session", s, key) for s in escalations["session_id"]
    ]
    common = pd.DataFrame(
        {
            "_user": escalations["user_id"],
            "_course": escalations["course_id"],
            "SessionID": session_ids,
            "X-PlatformAssignmentID": _int_text(escalations["assignment_id"]),
        },
        index=escalations.index,
    )
    message = escalations["message"] if "message" in escalations else None
    request = common.assign(
        EventType="X-Escalation.Request",
        EventID=request_ids,
        _server=escalations["created_at"],
        EventInitiator=STUDENT,
        **{
            "X-HelpMessage": message,
            "X-RequestType": escalations["classification"].astype("string"),
            "X-TutorTurns": escalations["tutor_turns"].astype("Int64"),
        },
    )
    frames = [request]
    for kind, prefix, time, who, role, initiator in (
        ("X-Escalation.Claim", "claim", "claimed_at", "claimed_by", "claimed_by_role", STAFF),
        (
            "X-Escalation.Resolve",
            "resolve",
            "resolved_at",
            "resolved_by",
            "resolved_by_role",
            STAFF,
        ),
        ("X-Escalation.Withdraw", "withdraw", "withdrawn_at", None, None, STUDENT),
    ):
        done = escalations[time].notna()
        rows = common[done].assign(
            EventType=kind,
            EventID=_ids(prefix, escalations["id"][done], key),
            ParentEventID=request_ids[done],
            _server=escalations[time][done],
            EventInitiator=initiator,
        )
        if who is not None and role is not None:
            rows["X-StaffID"] = _staff(escalations[who][done], key)
            rows["X-StaffRole"] = escalations[role][done].astype("string")
        frames.append(rows)
    frames.append(_reply_rows(escalations, replies, common, request_ids, key))
    return pd.concat(frames, ignore_index=True)


def _reply_rows(
    escalations: pd.DataFrame,
    replies: pd.DataFrame,
    common: pd.DataFrame,
    request_ids: pd.Series,
    key: str,
) -> pd.DataFrame:
    """One X-Escalation.Reply per reply to an exported escalation."""
    position = pd.Series(escalations.index, index=escalations["id"])
    replies = replies[replies["escalation_id"].isin(position.index)]
    at = position.loc[replies["escalation_id"]].to_numpy()
    rows = common.loc[at].reset_index(drop=True)
    text = replies["text"].reset_index(drop=True) if "text" in replies else None
    return rows.assign(
        EventType="X-Escalation.Reply",
        EventID=[f"reply-{keyed_id('escalation_reply', v, key)}" for v in replies["id"]],
        ParentEventID=request_ids.loc[at].to_numpy(),
        _server=replies["created_at"].to_numpy(),
        EventInitiator=STAFF,
        **{
            "X-StaffID": _staff(replies["author_id"].reset_index(drop=True), key),
            "X-StaffRole": replies["author_role"].astype("string").reset_index(drop=True),
            "X-ReplyMessage": text,
        },
    )
