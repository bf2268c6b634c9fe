"""Route: the models course policies may choose (TUTOR_MODELS, an admin's setting).

The staff console offers this list in the policy form; `PUT courses/{id}/policy` refuses
any other model (api.routes.courses), so the list is the one allow-list.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ainative.config import Settings
from api.deps import StaffCaller
from api.schemas.errors import error_responses
from api.state import StateDep

router = APIRouter(prefix="/api/v1/tutor", tags=["tutor"], responses=error_responses(401, 403, 503))


class TutorModel(BaseModel):
    provider: str
    model: str
    label: str = Field(description="what a form shows for it")


class TutorModelsPublic(BaseModel):
    models: list[TutorModel]


def model_label(provider: str, model: str) -> str:
    return f"{model} (offline demo tutor)" if provider == "offline" else model


def enabled_models(settings: Settings) -> list[TutorModel]:
    """TUTOR_MODELS as the API lists it; the default provider and model when unset."""
    return [
        TutorModel(provider=p, model=m, label=model_label(p, m))
        for p, m in settings.tutor_model_choices()
    ]


@router.get("/models", response_model=TutorModelsPublic)
async def read_tutor_models(caller: StaffCaller, state: StateDep) -> TutorModelsPublic:
    """The models a course's tutor policy may name (provider and model)."""
    return TutorModelsPublic(models=enabled_models(state.settings))
