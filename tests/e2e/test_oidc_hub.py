"""Campus single sign-on through a fake OIDC provider, on a hub of its own with the
platform's passwords switched off: (issuer, sub) makes one account, the same person
comes back to it, and a matching e-mail never links to someone else's account."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Hub, running_hub
from tests.e2e.lti import form_of
from tests.fakes.oidc_provider import CampusPerson, FakeOIDCProvider


@pytest.fixture(scope="module")
def campus() -> Iterator[FakeOIDCProvider]:
    provider = FakeOIDCProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def campus_hub(stack, campus, output_dir) -> Iterator[Hub]:
    env = {**campus.env, "HUB_PASSWORD_LOGIN": "false"}
    with running_hub(stack, output_dir / f"hub-oidc-{os.getpid()}", "hub-oidc", env) as hub:
        yield hub


def sign_in(hub: Hub) -> tuple[httpx.Client, httpx.Response]:
    """Click "Sign in with Fake Campus" and follow the provider's redirects back."""
    client = httpx.Client(base_url=hub.url, timeout=60, follow_redirects=False)
    r = client.get("/hub/oauth_login")
    assert r.status_code == 302, r.text[:300]
    r = client.get(r.headers["location"])  # the provider's authorization endpoint
    assert r.status_code == 302, r.text[:300]
    return client, client.get(r.headers["location"])  # the hub's callback


def choose(hub: Hub, client: httpx.Client, page: httpx.Response, form_id: str, **fields: str):
    """Submit the first sign-in's choice (new account, or link one with its password)."""
    assert f'id="{form_id}"' in page.text, page.text[:500]
    action, values = form_of(page.text, form_id)
    return client.post(hub.url + action, data={**values, **fields})


def identity_user(database_url: str, issuer: str, sub: str) -> tuple[int, str, str] | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT u.id, u.username, u.email FROM external_identities i JOIN users u "
                    "ON u.id = i.user_id WHERE i.issuer = :i AND i.subject = :s AND i.kind = 'oidc'"
                ),
                {"i": issuer, "s": sub},
            ).first()
    finally:
        engine.dispose()
    return tuple(row) if row else None  # type: ignore[return-value]


def test_the_login_page_offers_campus_sign_in_and_no_password_form(campus_hub) -> None:
    page = httpx.get(f"{campus_hub.url}/hub/login").text
    assert 'id="campus-login"' in page and "Sign in with Fake Campus" in page
    assert 'id="username_input"' not in page and "Passwords are switched off" in page


def test_a_password_login_is_refused_when_passwords_are_off(campus_hub, make_user) -> None:
    user = make_user()
    r = campus_hub.login(user.username, user.password)
    assert r.status_code == 403 and "Passwords are switched off" in r.text


def test_campus_sign_in_makes_one_account_per_issuer_and_sub(campus_hub, campus, make_user) -> None:
    db = campus_hub.stack.database_url
    person = CampusPerson()
    campus.signed_in = person
    client, first = sign_in(campus_hub)
    assert first.status_code == 200 and identity_user(db, campus.base_url, person.sub) is None
    back = choose(campus_hub, client, first, "lti-new-account")
    assert back.status_code == 302, back.text[:500]
    found = identity_user(db, campus.base_url, person.sub)
    assert found is not None and found[1] == person.preferred_username.lower()
    assert found[2] == person.email  # verified and free: kept
    home = client.get("/hub/home")
    assert home.status_code == 200 and found[1] in home.text  # logged in
    _, again = sign_in(campus_hub)
    assert again.status_code == 302  # known: straight in, no choice
    assert identity_user(db, campus.base_url, person.sub) == found  # the same account

    existing = make_user()
    twin = CampusPerson(email=existing.email)  # someone else's e-mail
    campus.signed_in = twin
    client, first = sign_in(campus_hub)
    back = choose(campus_hub, client, first, "lti-new-account")
    assert back.status_code == 302
    other = identity_user(db, campus.base_url, twin.sub)
    assert other is not None and other[0] != existing.id and other[2] != existing.email


def test_a_first_campus_sign_in_links_an_account_only_with_its_password(
    campus_hub, campus, make_user
) -> None:
    db, existing, person = campus_hub.stack.database_url, make_user(), CampusPerson()
    campus.signed_in = person
    client, first = sign_in(campus_hub)
    wrong = choose(campus_hub, client, first, "lti-link-account",
                   username=existing.username, password="wrong")  # fmt: skip
    assert wrong.status_code == 403 and identity_user(db, campus.base_url, person.sub) is None
    done = choose(campus_hub, client, wrong, "lti-link-account",
                  username=existing.username, password=existing.password)  # fmt: skip
    assert done.status_code == 302, done.text[:500]
    assert identity_user(db, campus.base_url, person.sub)[0] == existing.id  # type: ignore[index]
