"""The sign-up page's own checks: which field an error belongs beside, and the checks
made before the database is asked."""

from __future__ import annotations

import pytest

from ainative.auth.passwords import password_problem
from ainative.auth.registration import TAKEN
from ainative.hub.signup import SignupForm, check_form, field_for


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (password_problem("weak") or "", "password"),
        ("username must be 3-32 letters, digits, '-' or '_'", "username"),
        (TAKEN, "username"),
        ("that email is already registered", "email"),
    ],
)
def test_each_registration_error_lands_beside_its_field(message: str, field: str) -> None:
    assert field_for(message) == field


def test_empty_fields_and_a_bad_email_are_refused_before_registering() -> None:
    form = SignupForm(values={"join_code": "", "username": "ann", "email": "not-an-address"})
    check_form(form)
    assert set(form.errors) == {"join_code", "email", "password"}
    assert "not valid" in form.errors["email"] and not form.ok()


def test_a_complete_form_passes_the_local_checks() -> None:
    form = SignupForm(
        values={
            "join_code": "ABCDE-FGHJK",
            "username": "ann",
            "email": "ann@example.org",
            "password": "Good-pass-1",
        }
    )
    check_form(form)
    assert form.ok()
