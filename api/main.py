"""The FastAPI app factory; `uvicorn api.main:app` serves `app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import ainative
from ainative.config import Settings, get_settings
from api.bodylimit import BodyLimitMiddleware
from api.errors import install_error_handlers
from api.observability import install_observability
from api.routes import (
    admin,
    assignments,
    auth,
    course_views,
    courses,
    escalations,
    events,
    experiments,
    health,
    hub,
    invitations,
    lti,
    me,
    tutor,
    tutor_models,
    users,
)
from api.routes import resets as reset_links
from api.routes.events import EVENTS_BATCH_PATH
from api.state import open_state


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API; refuses to start in production on unsafe settings."""
    settings = settings or get_settings()
    settings.check_production()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """The one start-up path: open the process's state, close it on shutdown."""
        async with open_state(settings) as state:
            app.state.api = state
            yield

    app = FastAPI(
        title="AI-Native Tutor Platform",
        version=ainative.__version__,
        lifespan=lifespan,
        debug=settings.debug,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    # After CORS, so it wraps it: an oversized body is refused before anything else runs.
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_body_bytes,
        per_path={EVENTS_BATCH_PATH: settings.max_events_body_bytes},
    )
    install_error_handlers(app)
    routers = (auth, hub, users, courses, experiments, tutor, events, health, admin, me)
    for module in (*routers, invitations):
        app.include_router(module.router)
    app.include_router(reset_links.router)
    app.include_router(tutor_models.router)
    app.include_router(course_views.router)
    app.include_router(assignments.router)
    app.include_router(lti.router)
    app.include_router(escalations.router)
    install_observability(app)
    return app


app = create_app()
