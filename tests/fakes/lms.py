"""A fake LMS that follows LTI 1.3 (Core, Security Framework) and NRPS 2.0.

It has its own RSA key and JWKS; `/launch/<hint>` is the link a person clicks in the
LMS (it sends the browser to the tool's login initiation); `/auth` answers the tool's
authentication request (it checks scope, response_type, response_mode, prompt, client
id and redirect URI) with a page that form-posts a signed id_token and the state back;
`/token` grants a client-credentials token only for a client assertion signed by the
tool's key (checked against the tool's JWKS, RFC 7523); `/nrps/<context>` lists the
context's members two per page (Link: rel="next"). A launch can be tampered with
(`Tamper`) to test each of the tool's refusals.
"""

from __future__ import annotations

import html
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.http_fake import FakeHTTP, Reply

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER, INSTRUCTOR = ROLE + "Learner", ROLE + "Instructor"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
KID = "fake-lms-key-1"
PAGE_SIZE = 2


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Tamper:
    """What to get wrong in one launch's id_token."""

    aud: str | None = None
    exp_offset: int = 300
    deployment_id: str | None = None
    other_key: bool = False
    message_type: str | None = None


@dataclass
class LmsPerson:
    sub: str = field(default_factory=lambda: f"lms-{uuid.uuid4().hex[:10]}")
    name: str = "Ada Lovelace"
    email: str = field(default_factory=lambda: f"ada-{uuid.uuid4().hex[:6]}@uni.example")


@dataclass
class LmsContext:
    id: str = field(default_factory=lambda: f"ctx-{uuid.uuid4().hex[:10]}")
    label: str = field(default_factory=lambda: f"PY{uuid.uuid4().hex[:5].upper()}")
    title: str = "Programming 1"


@dataclass
class PendingLaunch:
    person: LmsPerson
    context: LmsContext
    roles: list[str]
    tamper: Tamper
    custom: dict[str, str]


class FakeLMS(FakeHTTP):
    name = "fake-lms"

    def __init__(self) -> None:
        super().__init__()
        self.issuer = self.base_url
        self.client_id = f"tool-{uuid.uuid4().hex[:8]}"
        self.deployment_id = "deployment-1"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = KID
        self.retired: list[tuple[str, rsa.RSAPrivateKey]] = []  # still listed in the JWKS
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.hub_url = ""  # set once the hub runs
        self.launches: dict[str, PendingLaunch] = {}
        self.rosters: dict[str, list[dict[str, Any]]] = {}
        self.tokens: set[str] = set()
        self.token_refusals: list[str] = []

    # --- what tests set up ------------------------------------------------------------------

    @property
    def urls(self) -> dict[str, str]:
        """The registration flags of `ainative lti add-platform`."""
        return {
            "--issuer": self.issuer,
            "--client-id": self.client_id,
            "--deployment-id": self.deployment_id,
            "--auth-login-url": f"{self.base_url}/auth",
            "--jwks-url": f"{self.base_url}/jwks",
            "--token-url": f"{self.base_url}/token",
        }

    def add_launch(
        self,
        person: LmsPerson,
        context: LmsContext,
        roles: list[str],
        tamper: Tamper | None = None,
        custom: dict[str, str] | None = None,
    ) -> str:
        """A link the person can click; its URL is launch_url(hint)."""
        hint = secrets.token_urlsafe(8)
        self.launches[hint] = PendingLaunch(
            person, context, roles, tamper or Tamper(), custom or {}
        )
        return hint

    def launch_url(self, hint: str) -> str:
        return f"{self.base_url}/launch/{hint}"

    def memberships_url(self, context: LmsContext) -> str:
        return f"{self.base_url}/nrps/{context.id}"

    # --- HTTP -------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], headers: dict
    ) -> Reply:
        if path == "/jwks":
            keys = [(self.kid, self.key), *self.retired]
            return Reply.json({"keys": [self._jwk(key, kid) for kid, key in keys]})
        if path.startswith("/launch/"):
            return self._initiate(path.rsplit("/", 1)[1])
        if path == "/auth":
            return self._auth(query)
        if path == "/token" and method == "POST":
            return self._token(form)
        if path.startswith("/nrps/"):
            return self._members(path.rsplit("/", 1)[1], query, headers)
        return Reply.json({"error": "not found"}, 404)

    def _jwk(self, key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        return {**public, "kid": kid, "alg": "RS256", "use": "sig"}

    def rotate_key(self) -> None:
        """Sign with a new key under a new kid from now on (the old one stays listed)."""
        self.retired.append((self.kid, self.key))
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"fake-lms-key-{len(self.retired) + 1}"

    def _initiate(self, hint: str) -> Reply:
        """The LMS sends the browser to the tool's OIDC login initiation (GET form)."""
        params = {
            "iss": self.issuer,
            "login_hint": hint,
            "target_link_uri": f"{self.hub_url}/hub/lti13/oauth_callback",
            "lti_message_hint": f"msg-{hint}",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        return Reply.redirect(f"{self.hub_url}/hub/lti13/oauth_login?{urlencode(params)}")

    def _auth(self, q: dict[str, str]) -> Reply:
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": self.client_id,
            "redirect_uri": f"{self.hub_url}/hub/lti13/oauth_callback",
        }
        for name, value in expected.items():
            if q.get(name) != value:
                return Reply(400, f"bad authentication request: {name}={q.get(name)!r}")
        launch = self.launches.get(q.get("login_hint", ""))
        if launch is None or q.get("lti_message_hint") != f"msg-{q.get('login_hint')}":
            return Reply(400, "unknown login_hint / lti_message_hint")
        token = self.id_token(launch, nonce=q["nonce"])
        return Reply(200, self.form_post_page(q["redirect_uri"], token, q["state"]))

    def id_token(self, launch: PendingLaunch, *, nonce: str) -> str:
        now, t = int(time.time()), launch.tamper
        claims = {
            "iss": self.issuer,
            "aud": t.aud or self.client_id,
            "azp": t.aud or self.client_id,
            "sub": launch.person.sub,
            "iat": now,
            "exp": now + t.exp_offset,
            "nonce": nonce,
            "name": launch.person.name,
            "email": launch.person.email,
            LTI + "message_type": t.message_type or "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": t.deployment_id or self.deployment_id,
            LTI + "target_link_uri": f"{self.hub_url}/hub/lti13/oauth_callback",
            LTI + "resource_link": {"id": f"link-{launch.context.id}"},
            LTI + "roles": launch.roles,
            LTI + "context": {
                "id": launch.context.id,
                "label": launch.context.label,
                "title": launch.context.title,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            NRPS_CLAIM: {
                "context_memberships_url": self.memberships_url(launch.context),
                "service_versions": ["2.0"],
            },
        }
        if launch.custom:
            claims[LTI + "custom"] = launch.custom
        key = self.other_key if t.other_key else self.key
        return jwt.encode(claims, _pem(key), algorithm="RS256", headers={"kid": self.kid})

    @staticmethod
    def form_post_page(action: str, id_token: str, state: str) -> str:
        a, i, s = (html.escape(v, quote=True) for v in (action, id_token, state))
        return (
            '<!doctype html><html><body onload="document.forms[0].submit()">'
            f'<form method="post" action="{a}">'
            f'<input type="hidden" name="id_token" value="{i}" />'
            f'<input type="hidden" name="state" value="{s}" />'
            '<noscript><button type="submit">Continue</button></noscript>'
            "</form></body></html>"
        )

    def _token(self, form: dict[str, str]) -> Reply:
        """Client credentials with an RFC 7523 assertion signed by the tool's key."""

        def refuse(why: str) -> Reply:
            self.token_refusals.append(why)
            return Reply.json({"error": "invalid_client", "error_description": why}, 401)

        if form.get("grant_type") != "client_credentials":
            return refuse("grant_type")
        if form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return refuse("client_assertion_type")
        if NRPS_SCOPE not in form.get("scope", "").split():
            return refuse("scope")
        assertion = form.get("client_assertion", "")
        try:
            key = jwt.PyJWKClient(f"{self.hub_url}/hub/lti13/jwks").get_signing_key_from_jwt(
                assertion
            )
            claims = jwt.decode(
                assertion,
                key.key,
                algorithms=["RS256"],
                audience=f"{self.base_url}/token",
                issuer=self.client_id,
                options={"require": ["exp", "iat", "jti", "sub"]},
            )
        except jwt.PyJWTError as exc:
            return refuse(f"assertion: {exc}")
        if claims["sub"] != self.client_id:
            return refuse("sub")
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return Reply.json(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": NRPS_SCOPE}
        )

    def _members(self, context_id: str, q: dict[str, str], headers: dict) -> Reply:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return Reply.json({"error": "unauthorized"}, 401)
        members = self.rosters.get(context_id, [])
        page = int(q.get("page", "0"))
        chunk = members[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        link = {}
        if (page + 1) * PAGE_SIZE < len(members):
            link["Link"] = f'<{self.base_url}/nrps/{context_id}?page={page + 1}>; rel="next"'
        body = {
            "id": f"{self.base_url}/nrps/{context_id}",
            "context": {"id": context_id},
            "members": chunk,
        }
        return Reply(
            200,
            json.dumps(body),
            "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            link,
        )
