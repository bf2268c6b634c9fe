"""The FastAPI app factory; `uvicorn api.main:app` serves `app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import ainative
from ainative.config import Settings, get_settings
from api.errors import install_error_handlers
from api.metrics import install_observability
from api.redis_client import make_async_redis
from api.routes import admin, auth, courses, events, health, hub, tutor, users


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API; refuses to start in production on unsafe settings."""
    settings = settings or get_settings()
    settings.check_production()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.redis = make_async_redis(settings)
        for hook in app.state.startup_hooks:
            await hook(app)
        try:
            yield
        finally:
            for hook in reversed(app.state.shutdown_hooks):
                await hook(app)
            await app.state.redis.aclose()

    app = FastAPI(
        title="AI-Native Tutor Platform",
        version=ainative.__version__,
        lifespan=lifespan,
        debug=settings.debug,
    )
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    install_error_handlers(app)
    for module in (auth, hub, users, courses, tutor, events, health, admin):
        app.include_router(module.router)
    install_observability(app)
    return app


app = create_app()
