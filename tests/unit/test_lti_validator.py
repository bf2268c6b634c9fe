"""LaunchValidator's rules as a truth table: one id_token per broken rule, each refused
with that rule's name (the LMS's JWKS served by a loopback fake)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ainative.lti.errors import LaunchRefused
from ainative.lti.validator import LaunchValidator, Registration
from tests.fakes.http_fake import FakeHTTP, Reply

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ISS, CLIENT, DEPLOYMENT, NONCE, STATE = "https://lms.example", "tool-1", "dep-1", "n-1", "s-1"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Jwks(FakeHTTP):
    name = "fake-jwks"

    def handle(self, method, path, query, form, headers) -> Reply:  # type: ignore[no-untyped-def]
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
        return Reply.json({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})


@pytest.fixture(scope="module")
def validator() -> Iterator[LaunchValidator]:
    jwks = Jwks().start()
    try:
        yield LaunchValidator([Registration(1, ISS, CLIENT, (DEPLOYMENT,), jwks.base_url)])
    finally:
        jwks.stop()


def token(**changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISS,
        "aud": CLIENT,
        "sub": "u1",
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": DEPLOYMENT,
        LTI + "resource_link": {"id": "r1"},
        LTI + "roles": [],
        LTI + "context": {"id": "c1"},
    }
    for name, value in changes.items():
        name = LTI + name[4:] if name.startswith("lti_") else name
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})


def test_a_good_launch_passes(validator) -> None:
    platform, claims = validator.validate(
        token(), state=STATE, cookie_state=STATE, cookie_nonce=NONCE
    )
    assert platform.client_id == CLIENT and claims["sub"] == "u1"


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"iss": "https://other.example"}, "iss"),
        ({"aud": "other-tool"}, "aud"),
        ({"aud": [CLIENT, "other"]}, "azp"),
        ({"aud": [CLIENT, "other"], "azp": "other"}, "azp"),
        ({"exp": int(time.time()) - 100}, "exp"),
        ({"iat": int(time.time()) + 3600}, "iat"),
        ({"nonce": "another"}, "nonce"),
        ({"lti_deployment_id": "dep-2"}, "deployment_id"),
        ({"lti_message_type": "LtiDeepLinkingRequest"}, "message_type"),
        ({"lti_version": "1.1"}, "version"),
        ({"lti_context": None}, "context"),
        ({"lti_resource_link": None}, "resource_link"),
        ({"lti_roles": None}, "roles"),
        ({"sub": None}, "sub"),
    ],
)
def test_each_broken_rule_is_named(validator, changes, rule) -> None:
    with pytest.raises(LaunchRefused) as refused:
        validator.validate(token(**changes), state=STATE, cookie_state=STATE, cookie_nonce=NONCE)
    assert refused.value.rule == rule


def test_state_and_signature(validator) -> None:
    good = token()
    with pytest.raises(LaunchRefused, match="another browser") as refused:
        validator.validate(good, state="s-other", cookie_state=STATE, cookie_nonce=NONCE)
    assert refused.value.rule == "state"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(jwt.decode(good, options={"verify_signature": False}), other,
                        algorithm="RS256", headers={"kid": "k1"})  # fmt: skip
    with pytest.raises(LaunchRefused) as refused:
        validator.validate(forged, state=STATE, cookie_state=STATE, cookie_nonce=NONCE)
    assert refused.value.rule == "signature"
    unsigned = jwt.encode({"iss": ISS, "aud": CLIENT}, None, algorithm="none")
    with pytest.raises(LaunchRefused) as refused:
        validator.validate(unsigned, state=STATE, cookie_state=STATE, cookie_nonce=NONCE)
    assert refused.value.rule == "signature"
