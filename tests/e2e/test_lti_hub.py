"""LTI 1.3 launches from a fake LMS through the real hub, over HTTP: the records a first
launch makes (account, course, membership, roles), the choices it offers, and every
refusal with the rule it names. The browser test (test_lti_browser.py) follows a launch
into JupyterLab."""

from __future__ import annotations

import json

import pytest

from tests.e2e.lti import (
    Launcher,
    cli,
    course_of_context,
    records,
    refusal_rule,
    spawn_target,
)
from tests.fakes.lms import INSTRUCTOR, LEARNER, TA, LmsContext, LmsPerson, Tamper


def set_up_course(hub, lms) -> tuple[LmsContext, LmsPerson]:
    """An instructor's first launch: a new account, a new course bound to the context."""
    context, teacher = LmsContext(), LmsPerson(name="Grace Hopper")
    browser = Launcher(hub, lms)
    first = browser.launch(lms.add_launch(teacher, context, [INSTRUCTOR]))
    done = browser.choose(first, "lti-new-account")
    assert spawn_target(done).endswith("/lab/tree/tutor.ipynb")
    return context, teacher


def test_the_tool_configuration_and_jwks_are_published(hub) -> None:
    import httpx

    config = httpx.get(f"{hub.url}/hub/lti13/config").json()
    assert config["oidc_initiation_url"] == f"{hub.url}/hub/lti13/oauth_login"
    assert config["target_link_uri"] == f"{hub.url}/hub/lti13/oauth_callback"
    assert config["public_jwk_url"] == f"{hub.url}/hub/lti13/jwks"
    keys = httpx.get(config["public_jwk_url"]).json()["keys"]
    assert keys and keys[0]["kty"] == "RSA" and keys[0]["kid"] and "d" not in keys[0]


def test_the_cli_lists_and_merges_platforms(hub, lms) -> None:
    listed = cli(hub.stack, "lti", "platforms", "--json")
    assert listed.returncode == 0, listed.stderr
    [mine] = [p for p in json.loads(listed.stdout) if p["client_id"] == lms.client_id]
    assert mine["issuer"] == lms.issuer and lms.deployment_id in mine["deployment_ids"]
    bad = cli(hub.stack, "lti", "add-platform", "--issuer", "not-a-url", "--client-id", "x",
              "--deployment-id", "d", "--auth-login-url", "https://a", "--jwks-url",
              "https://a", "--token-url", "https://a")  # fmt: skip
    assert bad.returncode == 2 and "--issuer must be an absolute" in bad.stderr


def test_an_instructors_first_launch_creates_account_and_course(hub, lms) -> None:
    context, teacher = set_up_course(hub, lms)
    course = course_of_context(hub.stack.database_url, context.id)
    assert course["code"] == context.label and course["title"] == context.title
    assert course["memberships_url"] == lms.memberships_url(context)
    me = records(hub.stack.database_url, lms.issuer, teacher.sub)
    assert me["courses"] == {context.label: "instructor"}
    assert "instructor" in me["roles"] and "admin" not in me["roles"]
    assert me["email"] == teacher.email  # from the claims, free on the platform


def test_a_learner_gets_an_account_and_membership_and_next_time_goes_straight_in(hub, lms) -> None:
    context, _ = set_up_course(hub, lms)
    student = LmsPerson(name="Alan Turing")
    browser = Launcher(hub, lms)
    first = browser.launch(lms.add_launch(student, context, [LEARNER]))
    assert first.status_code == 200 and 'id="lti-new-account"' in first.text
    assert records(hub.stack.database_url, lms.issuer, student.sub) == {}  # nothing yet
    done = browser.choose(first, "lti-new-account")
    me = records(hub.stack.database_url, lms.issuer, student.sub)
    assert spawn_target(done) == f"/user/{me['username']}/lab/tree/tutor.ipynb"
    assert me["courses"] == {context.label: "student"} and me["roles"] == ["student"]
    again = Launcher(hub, lms).launch(lms.add_launch(student, context, [LEARNER]))
    assert spawn_target(again) == f"/user/{me['username']}/lab/tree/tutor.ipynb"


def test_a_custom_notebook_and_a_teaching_assistant(hub, lms) -> None:
    context, _ = set_up_course(hub, lms)
    ta = LmsPerson(name="TA")
    browser = Launcher(hub, lms)
    hint = lms.add_launch(ta, context, [TA, INSTRUCTOR], custom={"notebook": "week2/loops.ipynb"})
    done = browser.choose(browser.launch(hint), "lti-new-account")
    assert spawn_target(done).endswith("/lab/tree/week2/loops.ipynb")
    me = records(hub.stack.database_url, lms.issuer, ta.sub)
    assert me["courses"] == {context.label: "assistant"} and "instructor" not in me["roles"]


def test_linking_an_existing_account_needs_its_password(hub, lms, make_user) -> None:
    context, _ = set_up_course(hub, lms)
    existing = make_user()
    person = LmsPerson(email=existing.email)  # the same e-mail alone links nothing
    browser = Launcher(hub, lms)
    first = browser.launch(lms.add_launch(person, context, [LEARNER]))
    wrong = browser.choose(first, "lti-link-account", username=existing.username, password="x")
    assert wrong.status_code == 403 and "Wrong username or password" in wrong.text
    assert records(hub.stack.database_url, lms.issuer, person.sub) == {}
    done = browser.choose(
        wrong, "lti-link-account", username=existing.username, password=existing.password
    )
    assert spawn_target(done) == f"/user/{existing.username.lower()}/lab/tree/tutor.ipynb"
    me = records(hub.stack.database_url, lms.issuer, person.sub)
    assert me["id"] == existing.id and me["courses"] == {context.label: "student"}


def test_an_instructor_who_teaches_already_chooses_the_course(hub, lms) -> None:
    context, teacher = set_up_course(hub, lms)
    second = LmsContext(title="Programming 1, second group")
    browser = Launcher(hub, lms)
    page = browser.launch(lms.add_launch(teacher, second, [INSTRUCTOR]))
    assert page.status_code == 200 and 'id="lti-course"' in page.text
    course = course_of_context(hub.stack.database_url, context.id)
    done = browser.choose(page, "lti-course", choice=f"course:{course['id']}")
    spawn_target(done)
    assert course_of_context(hub.stack.database_url, second.id)["id"] == course["id"]


def test_a_learner_into_a_context_not_set_up_is_told_so(hub, lms) -> None:
    r = Launcher(hub, lms).launch(lms.add_launch(LmsPerson(), LmsContext(), [LEARNER]))
    assert r.status_code == 403 and refusal_rule(r) == "context"
    assert "not set up on the hub yet" in r.text


@pytest.mark.parametrize(
    ("tamper", "rule", "words"),
    [
        (Tamper(aud="another-tool"), "aud", "not for a client id"),
        (Tamper(exp_offset=-120), "exp", "expired"),
        (Tamper(deployment_id="unknown-deployment"), "deployment_id", "not registered"),
        (Tamper(other_key=True), "signature", "does not verify"),
        (Tamper(message_type="LtiDeepLinkingRequest"), "message_type", "deep linking"),
    ],
    ids=["wrong-aud", "expired", "unknown-deployment", "other-key", "deep-linking"],
)
def test_a_bad_id_token_is_refused_with_the_rule(hub, lms, tamper, rule, words) -> None:
    person = LmsPerson()
    r = Launcher(hub, lms).launch(lms.add_launch(person, LmsContext(), [INSTRUCTOR], tamper))
    assert r.status_code == 403 and refusal_rule(r) == rule, r.text[:600]
    assert words in r.text
    assert records(hub.stack.database_url, lms.issuer, person.sub) == {}


def test_a_replayed_launch_is_refused_by_its_spent_nonce(hub, lms) -> None:
    context, _ = set_up_course(hub, lms)
    person, browser = LmsPerson(), Launcher(hub, lms)
    action, fields = browser.start(lms.add_launch(person, context, [LEARNER]))
    captured = dict(browser.client.cookies.items())  # an attacker with cookie and form
    assert browser.post(action, fields).status_code == 200  # the real launch
    replay = Launcher(hub, lms)
    for name, value in captured.items():
        replay.client.cookies.set(name, value)
    r = replay.post(action, fields)
    assert r.status_code == 403 and refusal_rule(r) == "nonce" and "already used" in r.text


def test_a_state_from_another_browser_is_refused(hub, lms) -> None:
    context, _ = set_up_course(hub, lms)
    victim, attacker = Launcher(hub, lms), Launcher(hub, lms)
    action, fields = attacker.start(lms.add_launch(LmsPerson(), context, [LEARNER]))
    victim.start(lms.add_launch(LmsPerson(), context, [LEARNER]))  # its own launch pending
    r = victim.post(action, fields)
    assert r.status_code == 403 and refusal_rule(r) == "state"
    assert "another browser" in r.text
    fresh = Launcher(hub, lms).post(action, fields)  # no launch cookie at all
    assert fresh.status_code == 403 and refusal_rule(fresh) == "state"


def test_an_unregistered_lms_is_refused_at_login_initiation(hub) -> None:
    import httpx

    r = httpx.get(
        f"{hub.url}/hub/lti13/oauth_login",
        params={"iss": "https://lms.nowhere.example", "login_hint": "x", "target_link_uri": "y"},
    )
    assert r.status_code == 403 and refusal_rule(r) == "iss"


def test_a_rotated_lms_key_is_fetched_by_its_new_kid(hub) -> None:
    """The LMS signs with a new key (new kid): the hub fetches its JWKS again, no restart.

    PyJWKClient refetches an unknown kid at most every 30 s, so launches right after
    the rotation may be refused until then; one succeeds within the deadline."""
    from tests.e2e.lti import register
    from tests.fakes.lms import FakeLMS
    from tests.support.eventually import eventually

    lms = FakeLMS().start()
    try:
        lms.hub_url = hub.url
        assert register(hub.stack, lms).returncode == 0
        context, _ = set_up_course(hub, lms)  # the hub has fetched and cached the JWKS
        lms.rotate_key()

        def launched() -> bool:
            r = Launcher(hub, lms).launch(lms.add_launch(LmsPerson(), context, [LEARNER]))
            return r.status_code == 200 and 'id="lti-new-account"' in r.text

        assert eventually(launched, 120, interval=3)
    finally:
        lms.stop()
