"""Routes: experiments in a course — start one with its arms, list them, end one.

Instructors and admins start and end them; assistants may read the list (the balance).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from ainative.course import experiments
from ainative.db.engine import on_connection
from api.deps import StaffCaller
from api.routes.courses import CourseReader, CourseStaff, check_model
from api.schemas.bounds import IdField
from api.schemas.errors import error_responses
from api.schemas.experiments import ExperimentCreate, ExperimentPublic, ExperimentsPublic
from api.state import StateDep

router = APIRouter(
    prefix="/api/v1/courses/{course_id}/experiments",
    tags=["experiments"],
    responses=error_responses(400, 401, 403, 404, 422, 503),
)


async def _listing(state: StateDep, course_id: int) -> list[ExperimentPublic]:
    rows = await state.db(on_connection(experiments.list_experiments), course_id=course_id)
    return [ExperimentPublic.model_validate(r) for r in rows]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperimentPublic,
    responses=error_responses(409),
)
async def create_experiment(
    body: ExperimentCreate, access: CourseStaff, caller: StaffCaller, state: StateDep
) -> ExperimentPublic:
    """Start an experiment: from now on each student's first question assigns an arm (an
    arm's model must be one of `GET tutor/models`)."""
    for arm in body.arms:
        check_model(arm.policy.provider, arm.policy.model, state.settings)
    arms = [(a.name, a.policy.model_dump(exclude_none=True)) for a in body.arms]
    experiment_id = await state.db(
        on_connection(experiments.create_experiment),
        course_id=access.course.id,
        name=body.name,
        arms=arms,
        description=body.description,
        created_by=caller.id,
        preregistration=(
            body.preregistration.model_dump(mode="json") if body.preregistration else None
        ),
    )
    return next(e for e in await _listing(state, access.course.id) if e.id == experiment_id)


@router.get("", response_model=ExperimentsPublic)
async def read_experiments(access: CourseReader, state: StateDep) -> ExperimentsPublic:
    """The course's experiments, their arms and how many students each arm has."""
    return ExperimentsPublic(data=await _listing(state, access.course.id))


@router.post(
    "/{experiment_id}/end", response_model=ExperimentPublic, responses=error_responses(409)
)
async def end_experiment(
    experiment_id: IdField, access: CourseStaff, state: StateDep
) -> ExperimentPublic:
    """End a running experiment: students go back to the course's own policy."""
    ended = await state.db(
        on_connection(experiments.end_experiment),
        course_id=access.course.id,
        experiment_id=experiment_id,
    )
    listing = {e.id: e for e in await _listing(state, access.course.id)}
    if experiment_id not in listing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no experiment {experiment_id} here")
    if not ended:
        raise HTTPException(status.HTTP_409_CONFLICT, "this experiment has already ended")
    return listing[experiment_id]
