"""The HTTP floor: uvicorn and FastAPI as the API runs them, with none of the platform's logic.

Two routes in the shape of the tutor's (a validated JSON body in, a small JSON reply out):
what one question's two requests cost before authentication, Redis, the database or
Celery. Served by `floors.py` with the API's own uvicorn flags and process count.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI, status
from pydantic import BaseModel, Field

app = FastAPI()


class Ask(BaseModel):
    prompt: str = Field(min_length=1, max_length=8000)
    mode: str = Field(default="socratic", max_length=32)


class Accepted(BaseModel):
    id: uuid.UUID
    status: str


@app.post("/requests", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def ask(body: Ask) -> Accepted:
    return Accepted(id=uuid.uuid4(), status="queued")


@app.get("/requests/{interaction_id}", response_model=Accepted)
async def read(interaction_id: uuid.UUID, wait: float = 0) -> Accepted:
    return Accepted(id=interaction_id, status="done")
