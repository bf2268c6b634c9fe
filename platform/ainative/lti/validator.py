"""The LTI 1.3 launch's checks (Core 1.3 section 5, Security Framework 5.1.3), one per rule.

Each method refuses with LaunchRefused naming its rule, so the hub's page says which
rule the launch broke. The signature is checked with PyJWT against the platform's JWKS
(PyJWKClient: the set cached for five minutes, fetched again for an unknown `kid`, so a
platform's key rotation works without a restart). Blocking (the JWKS fetch): the hub
runs `validate` in a thread. Single use of the nonce is the caller's (records.consume_nonce),
in the same transaction that records the launch.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from ainative.lti import claims as c
from ainative.lti.errors import LaunchRefused

LEEWAY_SECONDS = 10  # clock skew allowed on exp / iat
_clients: dict[str, jwt.PyJWKClient] = {}
_clients_lock = threading.Lock()


def jwks_client(url: str) -> jwt.PyJWKClient:
    """One cached JWKS client per platform JWKS URL, shared by every launch of this process."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = jwt.PyJWKClient(url, lifespan=300, timeout=10)
        return client


@dataclass(frozen=True)
class Registration:
    """What the validator needs of a platform row (ainative.db.models.LtiPlatform)."""

    id: int
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    jwks_url: str


class LaunchValidator:
    """Validate one launch: the form's id_token and state against this browser's cookie."""

    def __init__(self, registrations: Sequence[Registration]) -> None:
        self.registrations = list(registrations)

    def validate(
        self, id_token: str, *, state: str, cookie_state: str, cookie_nonce: str
    ) -> tuple[Registration, dict[str, Any]]:
        """The platform that sent it and the verified claims; LaunchRefused otherwise."""
        self.check_state(state, cookie_state)
        unverified = self.check_token_shape(id_token)
        platform = self.check_audience(unverified)
        claims = self.check_signature(id_token, platform)
        self.check_nonce(claims, cookie_nonce)
        self.check_deployment(claims, platform)
        self.check_message(claims)
        self.check_required(claims)
        return platform, claims

    def check_state(self, state: str, cookie_state: str) -> None:
        if not cookie_state:
            raise LaunchRefused(
                "state",
                "This browser did not start this launch (no launch cookie): the state does "
                "not belong to it. Open the link in the LMS again.",
            )
        if not state or not hmac.compare_digest(state, cookie_state):
            raise LaunchRefused(
                "state",
                "The launch's state does not match the one this browser was given: it was "
                "started in another browser or tab. Open the link in the LMS again.",
            )

    def check_token_shape(self, id_token: str) -> dict[str, Any]:
        if not id_token:
            raise LaunchRefused("id_token", "The LMS sent no id_token.")
        try:
            return dict(jwt.decode(id_token, options={"verify_signature": False}))
        except jwt.PyJWTError as exc:
            raise LaunchRefused("id_token", f"The id_token is not a JWT ({exc}).") from exc

    def check_audience(self, unverified: dict[str, Any]) -> Registration:
        """iss registered, aud holds one of its client ids, azp names it when needed."""
        issuer = str(unverified.get("iss") or "")
        mine = [r for r in self.registrations if r.issuer == issuer]
        if not mine:
            raise LaunchRefused("iss", f"The LMS {issuer!r} (iss) is not registered with this hub.")
        aud = unverified.get("aud")
        audiences = [aud] if isinstance(aud, str) else [str(a) for a in aud or ()]
        azp = unverified.get("azp")
        for platform in mine:
            if platform.client_id not in audiences:
                continue
            if len(audiences) > 1 and azp is None:
                raise LaunchRefused(
                    "azp", "The id_token has several audiences and no azp naming this tool."
                )
            if azp is not None and azp != platform.client_id:
                raise LaunchRefused(
                    "azp", f"The id_token's azp {azp!r} is not this tool's client id."
                )
            return platform
        raise LaunchRefused(
            "aud",
            f"The id_token is meant for {audiences!r} (aud), not for a client id this hub "
            f"has registered for {issuer!r}.",
        )

    def check_signature(self, id_token: str, platform: Registration) -> dict[str, Any]:
        """RS256 against the platform's JWKS by kid; exp and iat required and in range."""
        try:
            key = jwks_client(platform.jwks_url).get_signing_key_from_jwt(id_token)
        except jwt.PyJWKClientError as exc:
            raise LaunchRefused(
                "signature", f"No key of the LMS's JWKS matches this id_token ({exc})."
            ) from exc
        try:
            return dict(
                jwt.decode(
                    id_token,
                    key.key,
                    algorithms=["RS256"],
                    audience=platform.client_id,
                    issuer=platform.issuer,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
                )
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchRefused("exp", "The id_token has expired (exp is past).") from exc
        except jwt.ImmatureSignatureError as exc:
            raise LaunchRefused("iat", "The id_token was issued in the future (iat).") from exc
        except jwt.InvalidSignatureError as exc:
            raise LaunchRefused(
                "signature", "The id_token's signature does not verify with the LMS's key."
            ) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchRefused(exc.claim, f"The id_token lacks the {exc.claim!r} claim.") from exc
        except jwt.PyJWTError as exc:
            raise LaunchRefused("id_token", f"The id_token is not valid ({exc}).") from exc

    def check_nonce(self, claims: dict[str, Any], cookie_nonce: str) -> None:
        nonce = str(claims.get("nonce") or "")
        if not cookie_nonce or not hmac.compare_digest(nonce, cookie_nonce):
            raise LaunchRefused(
                "nonce", "The id_token's nonce is not the one this launch asked for (a replay?)."
            )

    def check_deployment(self, claims: dict[str, Any], platform: Registration) -> None:
        deployment = str(claims.get(c.DEPLOYMENT_ID) or "")
        if deployment not in platform.deployment_ids:
            raise LaunchRefused(
                "deployment_id",
                f"The deployment {deployment!r} is not registered for this LMS; ask the hub's "
                "administrator to add it (ainative lti add-platform --deployment-id).",
            )

    def check_message(self, claims: dict[str, Any]) -> None:
        kind = claims.get(c.MESSAGE_TYPE)
        if kind != c.RESOURCE_LINK_REQUEST:
            raise LaunchRefused(
                "message_type",
                f"This tool answers resource link launches only, not {kind!r} "
                "(deep linking is not supported yet).",
            )
        version = claims.get(c.VERSION)
        if version != c.LTI_VERSION:
            raise LaunchRefused("version", f"LTI version {version!r} is not 1.3.0.")

    def check_required(self, claims: dict[str, Any]) -> None:
        if not str(claims.get("sub") or ""):
            raise LaunchRefused("sub", "Anonymous launches (no sub) are not supported.")
        link = claims.get(c.RESOURCE_LINK)
        if not isinstance(link, dict) or not link.get("id"):
            raise LaunchRefused("resource_link", "The launch has no resource_link id.")
        roles = claims.get(c.ROLES)
        if not isinstance(roles, list):
            raise LaunchRefused("roles", "The launch has no roles claim.")
        context = claims.get(c.CONTEXT)
        if not isinstance(context, dict) or not context.get("id"):
            raise LaunchRefused("context", "The launch comes from no course (no context id).")
