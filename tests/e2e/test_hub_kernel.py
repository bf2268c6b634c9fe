"""Hub login -> spawned JupyterLab -> kernel -> TutorClient -> API -> worker -> answer, for real.

The kernel uses the tokens the authenticator's pre_spawn_start put into the server's
environment, so the interaction row must belong to the hub user.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import create_engine, text

from tests.e2e.conftest import record_timing
from tests.e2e.jupyter import run_in_kernel, start_server, stop_server

KERNEL_CODE = """
import json, os
import httpx
from ainative.notebook.client import TutorClient
client = TutorClient()
answer = client.ask("Why does my for loop only print the last item?", mode="socratic",
                    context={"code": "for x in xs:\\n    pass\\nprint(x)"})
client.access_token = "not-a-valid-token"   # as if it had expired
quota = client.quota()                      # must renew with the server key and go on
api, token = os.environ["AINATIVE_API_URL"], os.environ["AINATIVE_ACCESS_TOKEN"]
me_data = httpx.get(api + "/api/v1/me/data", headers={"Authorization": "Bearer " + token})
print(json.dumps({
    "api_url": api,
    "id": answer.id, "status": answer.status, "answer": answer.answer,
    "refreshed": client.access_token not in ("not-a-valid-token", token),
    "remaining": quota.remaining,
    "refresh_in_env": "AINATIVE_REFRESH_TOKEN" in os.environ,
    "me_data": me_data.status_code,
}))
"""


def test_kernel_asks_the_tutor_as_the_hub_user(hub, make_user, stack, output_dir):
    user = make_user()
    started = time.monotonic()
    browser = hub.session(user.username, user.password)
    name = user.username.lower()
    token = hub.api_token(browser, name)
    server = start_server(hub.url, name, token)
    record_timing(output_dir, "hub_login_to_server_ready_s", time.monotonic() - started)
    try:
        asked = time.monotonic()
        result = run_in_kernel(server, token, KERNEL_CODE)
        record_timing(output_dir, "kernel_ask_to_answer_s", time.monotonic() - asked)
    finally:
        stop_server(hub.url, name, token)
    assert not result.errors, result.errors
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["api_url"] == stack.api_url
    assert out["status"] == "done" and out["answer"]
    assert out["refreshed"] is True
    # 20.2: the server holds no refresh token and its access token cannot read the account
    assert out["refresh_in_env"] is False and out["me_data"] == 403
    assert isinstance(out["remaining"], int)
    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT user_id, status, answer FROM interactions WHERE id = :i"),
                {"i": out["id"]},
            ).one()
    finally:
        engine.dispose()
    assert row.user_id == user.id
    assert row.status == "done" and row.answer == out["answer"]
