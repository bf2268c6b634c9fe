"""A fake campus OpenID Connect provider: authorization code with PKCE (S256), a token
endpoint checking the client's secret, redirect URI and code verifier, and userinfo.

Whoever the test puts in `signed_in` is the person the provider "knows" in the browser.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tests.fakes.http_fake import FakeHTTP, Reply


@dataclass
class CampusPerson:
    sub: str = field(default_factory=lambda: f"campus-{uuid.uuid4().hex[:10]}")
    name: str = "Barbara Liskov"
    email: str = field(default_factory=lambda: f"bl-{uuid.uuid4().hex[:6]}@campus.example")
    preferred_username: str = field(default_factory=lambda: f"bl{uuid.uuid4().hex[:5]}")


class FakeOIDCProvider(FakeHTTP):
    name = "fake-oidc"

    def __init__(self) -> None:
        super().__init__()
        self.client_id, self.client_secret = "hub-client", secrets.token_urlsafe(16)
        self.signed_in: CampusPerson | None = None
        self.codes: dict[str, tuple[CampusPerson, str, str]] = {}  # code: person, uri, challenge
        self.tokens: dict[str, CampusPerson] = {}

    @property
    def env(self) -> dict[str, str]:
        """The hub's settings for this provider (OIDC_ISSUER and oauthenticator's names)."""
        return {
            "OIDC_ISSUER": self.base_url,
            "OIDC_LOGIN_SERVICE": "Fake Campus",
            "OAUTH_CLIENT_ID": self.client_id,
            "OAUTH_CLIENT_SECRET": self.client_secret,
            "OAUTH2_AUTHORIZE_URL": f"{self.base_url}/authorize",
            "OAUTH2_TOKEN_URL": f"{self.base_url}/token",
            "OAUTH2_USERDATA_URL": f"{self.base_url}/userinfo",
        }

    def handle(self, method, path, query, form, headers) -> Reply:  # type: ignore[no-untyped-def]
        if path == "/authorize":
            return self._authorize(query)
        if path == "/token" and method == "POST":
            return self._token(form)
        if path == "/userinfo":
            auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            person = self.tokens.get(auth.removeprefix("Bearer ").strip())
            if person is None:
                return Reply.json({"error": "invalid_token"}, 401)
            return Reply.json(
                {
                    "sub": person.sub,
                    "name": person.name,
                    "email": person.email,
                    "email_verified": True,
                    "preferred_username": person.preferred_username,
                }
            )
        return Reply.json({"error": "not found"}, 404)

    def _authorize(self, q: dict[str, str]) -> Reply:
        if q.get("response_type") != "code" or q.get("client_id") != self.client_id:
            return Reply(400, "bad authorization request")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return Reply(400, "PKCE S256 required")
        if self.signed_in is None:
            return Reply(401, "nobody is signed in at the campus")
        code = secrets.token_urlsafe(12)
        self.codes[code] = (self.signed_in, q["redirect_uri"], q["code_challenge"])
        sep = "&" if "?" in q["redirect_uri"] else "?"
        return Reply.redirect(
            q["redirect_uri"] + sep + urlencode({"code": code, "state": q.get("state", "")})
        )

    def _token(self, form: dict[str, str]) -> Reply:
        found = self.codes.pop(form.get("code", ""), None)
        if found is None or form.get("grant_type") != "authorization_code":
            return Reply.json({"error": "invalid_grant", "error_description": "bad code"}, 400)
        person, uri, challenge = found
        if form.get("client_secret") != self.client_secret or form.get("redirect_uri") != uri:
            return Reply.json({"error": "invalid_client", "error_description": "client"}, 401)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).decode().rstrip("=") != challenge:
            return Reply.json({"error": "invalid_grant", "error_description": "verifier"}, 400)
        token = secrets.token_urlsafe(16)
        self.tokens[token] = person
        return Reply.json({"access_token": token, "token_type": "Bearer", "expires_in": 600})
