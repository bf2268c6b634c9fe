"""The hub's "Join a course" page (GET/POST /hub/join): a student makes their own account.

The form takes the course's join code, a username, an e-mail and a password, plus a
yes/no answer to the research consent (no by default). It calls the one registration
path (ainative.auth.registration.register, which enrols the student in the code's
course and records the consent with its date and text version), then logs the student
in exactly as the login form does and sends them to spawn: their server opens
tutor.ipynb (Spawner.default_url). Every refusal is shown beside its field on the page,
never as a JSON body; attempts count per client address like the API's registrations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from jupyterhub.handlers.base import BaseHandler
from jupyterhub.utils import url_path_join
from sqlalchemy.orm import Session

from ainative.auth.errors import (
    DuplicateUserError,
    InvalidJoinCodeError,
    RegistrationClosedError,
    UserError,
)
from ainative.auth.passwords import PASSWORD_RULE
from ainative.auth.registration import register
from ainative.config import get_settings
from ainative.course import consent
from ainative.hub.handlers import client_ip
from ainative.limits import ratelimit

FIELDS = ("join_code", "username", "email", "password")
RULES = {
    "join_code": "10 letters and digits from your instructor, e.g. ABCDE-FGH23 (dash optional)",
    "username": "3-32 letters, digits, '-' or '_'; your name on the hub",
    "email": "so staff can recognise you; no mail is sent to it",
    "password": PASSWORD_RULE,
}


@dataclass
class SignupForm:
    """What the student typed, and the errors to show beside each field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    consent: bool = False
    general: str = ""

    def ok(self) -> bool:
        return not self.errors and not self.general


def field_for(message: str) -> str:
    """Which field a registration error belongs beside (the message names it)."""
    lowered = message.lower()
    for name, word in (("password", "password"), ("username", "username"), ("email", "email")):
        if lowered.startswith(word) or f"that {word}" in lowered:
            return name
    return "username"


def check_form(form: SignupForm) -> None:
    """The checks that need no database: filled in, a plausible e-mail address."""
    for name in FIELDS:
        if not form.values.get(name):
            form.errors[name] = "this field is required"
    email = form.values.get("email", "")
    if email and "email" not in form.errors:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:
            form.errors["email"] = f"that e-mail address is not valid: {exc}"


class SignupHandler(BaseHandler):  # type: ignore[misc]  # jupyterhub ships no types
    """GET shows the form; POST (XSRF-checked by the hub) registers, logs in and spawns."""

    async def get(self) -> None:
        if self.current_user is not None:
            self.redirect(url_path_join(self.hub.base_url, "home"))
            return
        await self._page(SignupForm())

    async def post(self) -> None:
        form = SignupForm(
            values={name: self.get_body_argument(name, default="").strip() for name in FIELDS},
            consent=self.get_body_argument("research_consent", default="no") == "yes",
        )
        form.values["password"] = self.get_body_argument("password", default="")
        check_form(form)
        if form.ok():
            await self._register(form)
        if not form.ok():
            self.set_status(429 if form.general.startswith("Too many") else 422)
            await self._page(form)
            return
        user = await self.login_user(
            {"username": form.values["username"], "password": form.values["password"]}
        )
        if user is None:  # not expected for an account just made: the login form says why
            self.redirect(self.settings["login_url"])
            return
        self.redirect(url_path_join(self.hub.base_url, "spawn"))

    async def _register(self, form: SignupForm) -> None:
        """Count the attempt per address, then register; errors land in `form`."""
        settings = get_settings()
        limiter = self.authenticator._limiter()
        if limiter is not None:
            ip = client_ip(self, settings.trusted_proxies)
            verdict = await ratelimit.check_register_allowed(limiter, ip=ip, settings=settings)
            if not verdict.allowed:
                form.general = f"Too many sign-up attempts from your network: {verdict.detail()}."
                return

        def work(session: Session) -> None:
            register(
                session,
                mode=settings.registration_mode,
                username=form.values["username"],
                email=form.values["email"],
                password=form.values["password"],
                join_code=form.values["join_code"],
                research_consent=form.consent,
            )

        try:
            await self.authenticator._db(work)
        except InvalidJoinCodeError as exc:
            form.errors["join_code"] = str(exc)
        except RegistrationClosedError as exc:
            form.general = str(exc)
        except DuplicateUserError as exc:
            form.errors["username"] = str(exc)
        except UserError as exc:
            form.errors[field_for(str(exc))] = str(exc)

    async def _page(self, form: SignupForm) -> None:
        self.set_header("Cache-Control", "no-store")
        html = await self.render_template(
            "signup.html",
            form=form,
            rules=RULES,
            consent_text=consent.CONSENT_TEXT,
            consent_version=consent.CONSENT_TEXT_VERSION,
            closed=get_settings().registration_mode == "closed",
        )
        self.finish(html)
