"""LTI launches in a real browser: an instructor and a learner click the link in the
fake LMS and end in JupyterLab on tutor.ipynb, with account and membership made."""

from __future__ import annotations

import pytest

from tests.e2e.browser import browser_page, needs_chromium
from tests.e2e.lti import course_of_context, records
from tests.fakes.lms import INSTRUCTOR, LEARNER, LmsContext, LmsPerson

pytestmark = [pytest.mark.browser, needs_chromium]


def launch_into_lab(page, lms, person: LmsPerson, context: LmsContext, roles: list[str]) -> None:
    page.goto(lms.launch_url(lms.add_launch(person, context, roles)))
    page.locator("#lti-new-account-button").click()  # the first visit: a new account
    page.wait_for_url("**/lab/tree/tutor.ipynb*", timeout=120_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    assert page.url.split("?")[0].endswith("/lab/tree/tutor.ipynb")
    page.get_by_role("tab", name="tutor.ipynb").first.wait_for()  # the open notebook's tab


def test_instructor_then_learner_launch_into_jupyterlab(hub, lms, output_dir) -> None:
    context = LmsContext(title="Programming 1 (browser)")
    teacher, student = LmsPerson(name="Grace"), LmsPerson(name="Alan")
    with browser_page(output_dir / "lti_instructor_last.png") as page:
        launch_into_lab(page, lms, teacher, context, [INSTRUCTOR])
    course = course_of_context(hub.stack.database_url, context.id)
    assert course["code"] == context.label
    with browser_page(output_dir / "lti_learner_last.png") as page:
        launch_into_lab(page, lms, student, context, [LEARNER])
        page.screenshot(path=str(output_dir / "lti-learner-lab.png"))
    me = records(hub.stack.database_url, lms.issuer, student.sub)
    assert me["courses"] == {context.label: "student"}
    assert records(hub.stack.database_url, lms.issuer, teacher.sub)["courses"] == {
        context.label: "instructor"
    }
