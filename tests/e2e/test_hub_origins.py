"""Finding 3 of issue 11: a page a student serves cannot use the hub with a visitor's cookies.

A hub with HUB_SUBDOMAIN_HOST=http://ainative.localhost:<port> (Chromium resolves any
*.localhost to loopback; configurable-http-proxy routes by host) gives each user's server
its own origin, <name>.ainative.localhost. An instructor logs in and opens their student's
server (the hub's OAuth step, then JupyterLab). Script on the student's origin stands for
anything the student serves there (the student controls their server's responses): its
fetch of the hub's API with credentials fails (another origin, no CORS), and the hub's
cookies are not on that origin. The same fetch from the hub's own origin, where every
server lived before, returns the instructor's model: the refusal is the origin's doing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ainative.runtime.devservices import free_port
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.conftest import Hub, running_hub

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent"),
]
DOMAIN = "ainative.localhost"

STEAL = """async ([hubApi, xsrf]) => {
  const out = {cookies: document.cookie, origin: location.origin};
  try {
    const headers = xsrf ? {"X-XSRFToken": xsrf} : {};
    const r = await fetch(hubApi, {credentials: "include", headers});
    out.status = r.status;
    out.body = await r.text();
  } catch (e) {
    out.error = String(e);
  }
  // The hub is reachable from here; only its answer is unreadable (opaque).
  out.reachable = (await fetch(hubApi, {mode: "no-cors", credentials: "include"})).type;
  return out;
}"""


@pytest.fixture(scope="module")
def subdomain_hub(stack, output_dir: Path) -> Iterator[Hub]:
    port = free_port()
    extra = {"HUB_SUBDOMAIN_HOST": f"http://{DOMAIN}:{port}"}
    data = output_dir / f"hub-origins-{os.getpid()}"
    with running_hub(stack, data, "hub-origins", extra, port=port) as hub:
        yield hub


def log_in(page, hub_origin: str, user) -> None:
    page.goto(f"{hub_origin}/hub/login")
    page.fill("#username_input", user.username)
    page.fill("#password_input", user.password)
    page.click("#login_submit")


def test_attack_student_page_calls_the_hub_with_the_instructors_cookies(
    subdomain_hub, api, make_user
):
    from playwright.sync_api import sync_playwright

    hub = subdomain_hub
    port = hub.url.rsplit(":", 1)[1]
    hub_origin = f"http://{DOMAIN}:{port}"
    admin, teacher, student = (
        make_user(roles=("admin",)),
        make_user(roles=("instructor",)),
        make_user(),
    )
    course = api.post(
        "/api/v1/courses",
        json={"code": f"ORIG-{uuid.uuid4().hex[:6]}", "title": "Origins"},
        headers=admin.headers,
    ).json()
    for body in ({"user_id": teacher.id, "role": "instructor"}, {"user_id": student.id}):
        r = api.post(f"/api/v1/courses/{course['id']}/members", json=body, headers=admin.headers)
        assert r.status_code == 201, r.text
    name = student.username.lower()
    student_origin = f"http://{name}.{DOMAIN}:{port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            # The student logs in; the hub starts their server and sends them to its origin.
            mine = browser.new_context().new_page()
            mine.set_default_timeout(120_000)
            log_in(mine, hub_origin, student)
            mine.wait_for_url(f"{student_origin}/user/{name}/lab**")

            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(90_000)
            log_in(page, hub_origin, teacher)
            page.wait_for_url(f"{hub_origin}/hub/**")
            hub_login = [c for c in context.cookies() if c["name"] == "jupyterhub-hub-login"]
            assert hub_login and hub_login[0]["domain"] == DOMAIN, hub_login
            assert hub_login[0]["path"] == "/hub/" and hub_login[0]["httpOnly"]

            # Control: on the hub's origin (where servers lived before) the fetch works.
            xsrf = next(
                c["value"]
                for c in context.cookies()
                if c["name"] == "_xsrf" and c["path"] == "/hub/"
            )
            same = page.evaluate(STEAL, [f"{hub_origin}/hub/api/user", xsrf])
            assert same.get("status") == 200, same
            assert teacher.username.lower() in same["body"]

            # The instructor opens the student's server: the hub asks them to authorise.
            page.goto(f"{student_origin}/user/{name}/lab")
            page.get_by_role("button", name="Authorize").click()
            page.wait_for_url(f"{student_origin}/user/{name}/**")
            student_page = page.evaluate(STEAL, [f"{hub_origin}/hub/api/user", xsrf])
        finally:
            browser.close()
    assert student_page["origin"] == student_origin
    assert "status" not in student_page and "Failed to fetch" in student_page["error"]
    assert student_page["reachable"] == "opaque" and same["reachable"] == "basic"
    assert xsrf not in student_page["cookies"], (
        "the hub's XSRF token is not on the student's origin"
    )
