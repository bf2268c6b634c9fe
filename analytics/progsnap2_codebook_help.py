"""Codebook entries for assignments' leak checks and the hand-off to a person.

Part of the codebook (``analytics.progsnap2_codebook`` ships them with its own entries):
the X- event types of escalations (issue 23) and the X- columns of assignments and leak
scores (issue 22), as (Kind, Name, AppliesTo, Definition).
"""

from __future__ import annotations

ANSWERS = "Intervention; X-Help.Refused"
STAFF_EVENTS = "X-Escalation.Claim; X-Escalation.Reply; X-Escalation.Resolve"
ESCALATION_EVENTS = f"X-Escalation.Request; {STAFF_EVENTS}; X-Escalation.Withdraw"
HELP_ENTRIES: tuple[tuple[str, str, str, str], ...] = (
    (
        "EventType",
        "X-Escalation.Request",
        "",
        "The student asked a person (a teaching assistant or instructor of the course) to "
        "take over the conversation, with the line in X-HelpMessage; staff received the "
        "conversation and the notebook with it. SubjectID is the student; EventInitiator "
        "UserDirectAction.",
    ),
    (
        "EventType",
        "X-Escalation.Claim",
        "",
        "A staff member took the request (no one else can then answer it); ParentEventID is "
        "the X-Escalation.Request, X-StaffID who. EventInitiator InstructorDirectAction.",
    ),
    (
        "EventType",
        "X-Escalation.Reply",
        "",
        "A staff member's reply, shown in the student's conversation (X-ReplyMessage); "
        "ParentEventID is the request. EventInitiator InstructorDirectAction. The time to "
        "the first human reply is its ServerTimestamp minus the request's.",
    ),
    (
        "EventType",
        "X-Escalation.Resolve",
        "",
        "A staff member closed the request as resolved; ParentEventID is the request. "
        "EventInitiator InstructorDirectAction.",
    ),
    (
        "EventType",
        "X-Escalation.Withdraw",
        "",
        "The student withdrew the request before it was resolved; ParentEventID is the "
        "request. EventInitiator UserDirectAction.",
    ),
    (
        "Column",
        "X-PlatformAssignmentID",
        f"X-Help.Request; {ANSWERS}; {ESCALATION_EVENTS}",
        "The platform's id of the assignment (an exercise an instructor defined, with a "
        "reference solution) the question belongs to; empty outside assignments. "
        "AssignmentID stays the notebook's path.",
    ),
    (
        "Column",
        "X-LeakScore",
        ANSWERS,
        "The answer's similarity to the assignment's reference solution (0-1: code "
        "fingerprints, syntax trees, step-by-step prose), scored before the student saw "
        "it; empty when the question had no assignment.",
    ),
    (
        "Column",
        "X-Leaked",
        ANSWERS,
        "true when the score reached the course's leak threshold in force (or the code "
        "passed the hidden tests): the answer would have given the solution away.",
    ),
    (
        "Column",
        "X-LeakDecision",
        ANSWERS,
        "What the guardrail did about the leak check: passed (shown as written), rewritten "
        "(the code removed) or refused.",
    ),
    (
        "Column",
        "X-PassedHiddenTests",
        ANSWERS,
        "true when the answer's code passed the assignment's hidden tests in the sandbox, "
        "false when it was run and failed; empty without hidden tests or code.",
    ),
    (
        "Column",
        "X-TutorTurns",
        "X-Escalation.Request",
        "How many tutor requests the session had before the student asked a person.",
    ),
    (
        "Column",
        "X-StaffID",
        STAFF_EVENTS,
        "The staff member's pseudonym (the same keyed HMAC as SubjectID); empty when the "
        "account was deleted.",
    ),
    (
        "Column",
        "X-StaffRole",
        STAFF_EVENTS,
        "The staff member's role in the course: assistant or instructor (admin: a platform "
        "administrator outside the course). Both roles are InstructorDirectAction.",
    ),
    (
        "Column",
        "X-ReplyMessage",
        "X-Escalation.Reply",
        "The staff member's reply as Markdown (see the text rule: treated like answers).",
    ),
)
