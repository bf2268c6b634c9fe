"""The hub's "Join a course" page over HTTP: errors shown in place, a replaced code refused,
consent stored with date and version, and a successful sign-up logged in and sent to spawn."""

from __future__ import annotations

from ainative.course.consent import CONSENT_TEXT, CONSENT_TEXT_VERSION
from tests.e2e.signup import identity, join_client, make_course, rotate, stored, submit


def test_login_page_links_to_join_a_course(hub) -> None:
    page = join_client(hub).get("/hub/login").text
    assert 'href="/hub/join"' in page and "Join a course" in page
    assert 'id="username_input"' in page  # the stock form is still there


def test_signup_page_shows_rules_and_consent_defaulting_to_no(hub) -> None:
    page = join_client(hub).get("/hub/join").text
    assert "at least 8 characters" in page  # the password rule beside its field
    assert CONSENT_TEXT in page and CONSENT_TEXT_VERSION in page
    no = page[page.index('id="consent_no"') - 200 : page.index('id="consent_no"') + 120]
    yes = page[page.index('id="consent_yes"') - 200 : page.index('id="consent_yes"') + 120]
    assert "checked" in no and "checked" not in yes


def test_wrong_replaced_and_weak_are_refused_in_place_then_the_student_joins(
    hub, api, make_user
) -> None:
    course = make_course(api, make_user)
    client, me = join_client(hub), identity()

    wrong = submit(client, **me, join_code="ABCDE-FGHJK")
    assert wrong.status_code == 422 and wrong.headers["content-type"].startswith("text/html")
    assert 'id="join_code_error"' in wrong.text and "not valid" in wrong.text
    assert me["username"] in wrong.text  # what was typed is kept

    old = course.join_code
    course.join_code = rotate(api, course.id, course.staff)
    replaced = submit(client, **me, join_code=old)
    assert replaced.status_code == 422 and 'id="join_code_error"' in replaced.text
    assert "replaced" in replaced.text

    weak = submit(client, **{**me, "password": "short"}, join_code=course.join_code)
    assert weak.status_code == 422 and 'id="password_error"' in weak.text
    assert "at least 8 characters" in weak.text[weak.text.index('id="password_error"') :]

    done = submit(client, **me, join_code=course.join_code, research_consent="yes")
    assert done.status_code == 302, done.text[:500]
    assert done.headers["location"].endswith("/hub/spawn")
    # Logged in: the hub's own pages answer without sending us back to the login form.
    home = client.get("/hub/home")
    assert home.status_code == 200 and me["username"] in home.text

    row = stored(hub.stack.database_url, me["username"])
    assert row["memberships"] == [(course.id, "student")]
    [consent] = row["consents"]
    assert consent.given is True and consent.text_version == CONSENT_TEXT_VERSION
    assert consent.recorded_at is not None and consent.source == "registration"


def test_consent_left_alone_is_stored_as_no(hub, api, make_user) -> None:
    course, me = make_course(api, make_user), identity()
    done = submit(join_client(hub), **me, join_code=course.join_code)
    assert done.status_code == 302, done.text[:500]
    [consent] = stored(hub.stack.database_url, me["username"])["consents"]
    assert consent.given is False and consent.text_version == CONSENT_TEXT_VERSION


def test_an_expired_code_says_so(hub, api, make_user) -> None:
    course = make_course(api, make_user)
    r = api.delete(f"/api/v1/courses/{course.id}/join-code", headers=course.staff)
    assert r.status_code == 204
    refused = submit(join_client(hub), **identity(), join_code=course.join_code)
    assert refused.status_code == 422 and "expired" in refused.text


def test_signup_without_the_xsrf_field_is_refused(hub) -> None:
    client = join_client(hub)
    r = client.post("/hub/join", data={**identity(), "join_code": "ABCDE-FGHJK"})
    assert r.status_code == 403
