"""The LMS and campus sign-in settings: production refuses half-configured campus OIDC,
and beat schedules the roster sync unless LTI_ROSTER_SYNC_INTERVAL is 0."""

from __future__ import annotations

import pytest

from ainative.config import Settings
from ainative.runtime.queue import TASK_LTI_SYNC_ALL, make_celery

CAMPUS = {
    "oidc_issuer": "https://login.uni.example",
    "oauth_client_id": "hub",
    "oauth_client_secret": "s" * 32,
    "oauth2_authorize_url": "https://login.uni.example/authorize",
    "oauth2_token_url": "https://login.uni.example/token",
    "oauth2_userdata_url": "https://login.uni.example/userinfo",
}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"oauth_client_secret": ""}, "OAUTH_CLIENT_SECRET is not set"),
        ({"oauth2_userdata_url": ""}, "OAUTH2_USERDATA_URL is not set"),
        (
            {"oauth2_token_url": "http://login.uni.example/token"},
            "OAUTH2_TOKEN_URL must be an https",
        ),
        ({"oidc_issuer": "http://login.uni.example"}, "OIDC_ISSUER must be an https"),
    ],
)
def test_half_configured_campus_oidc_is_named(change, named) -> None:
    settings = Settings(_env_file=None, **{**CAMPUS, **change})
    assert named in " | ".join(settings.production_problems("hub"))
    assert not Settings(_env_file=None, **CAMPUS).oidc_problems()
    assert "OAUTH_CLIENT_SECRET" not in " ".join(
        Settings(_env_file=None).production_problems("hub")
    )


@pytest.mark.parametrize(("interval", "scheduled"), [(3600, True), (0, False)])
def test_beat_schedules_the_roster_sync(interval, scheduled) -> None:
    settings = Settings(
        _env_file=None, redis_url="redis://127.0.0.1:1/0", lti_roster_sync_interval=interval
    )
    schedule = make_celery(settings).conf.beat_schedule
    tasks = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert (TASK_LTI_SYNC_ALL in tasks) is scheduled
    if scheduled:
        assert tasks[TASK_LTI_SYNC_ALL] == 3600.0
