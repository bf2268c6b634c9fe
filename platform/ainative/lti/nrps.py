"""Names and Role Provisioning Services 2.0: the context's members, fetched from the LMS.

The access token comes from the LMS's token endpoint by the OAuth 2 client-credentials
grant with a JWT client assertion signed by the tool's key (RFC 7523; LTI Security
Framework 4.1); the membership container is read page by page (Link: rel="next").
Synchronous httpx: the worker and the CLI call it outside any event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ainative.db.models import LtiToolKey
from ainative.lti import keys
from ainative.lti.claims import NRPS_SCOPE
from ainative.lti.errors import RosterError

MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 200  # a roster of 200 pages is a loop, not a course
TIMEOUT = httpx.Timeout(30.0)


@dataclass(frozen=True)
class Member:
    user_id: str
    roles: tuple[str, ...]
    status: str  # Active | Inactive | Deleted
    name: str = ""
    email: str = ""


def access_token(client: httpx.Client, key: LtiToolKey, *, client_id: str, token_url: str) -> str:
    """A bearer token with the NRPS read scope (client credentials + signed assertion)."""
    assertion = keys.client_assertion(key, client_id=client_id, audience=token_url)
    r = client.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": keys.ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": NRPS_SCOPE,
        },
    )
    if r.status_code != 200:
        raise RosterError(f"the LMS's token endpoint refused ({r.status_code}): {r.text[:200]}")
    token = r.json().get("access_token")
    if not token:
        raise RosterError("the LMS's token endpoint answered without an access_token")
    return str(token)


def _member(raw: dict[str, Any]) -> Member | None:
    user_id = str(raw.get("user_id") or "")
    if not user_id:
        return None
    return Member(
        user_id=user_id,
        roles=tuple(str(r) for r in raw.get("roles") or ()),
        status=str(raw.get("status") or "Active"),
        name=str(raw.get("name") or ""),
        email=str(raw.get("email") or ""),
    )


def fetch_members(
    key: LtiToolKey, *, client_id: str, token_url: str, memberships_url: str
) -> list[Member]:
    """Every member the LMS lists for the context, across pages."""
    members: list[Member] = []
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            token = access_token(client, key, client_id=client_id, token_url=token_url)
            headers = {"Authorization": f"Bearer {token}", "Accept": MEMBERSHIP_MEDIA_TYPE}
            url: str | None = memberships_url
            for _ in range(MAX_PAGES):
                if url is None:
                    return members
                r = client.get(url, headers=headers)
                if r.status_code != 200:
                    raise RosterError(
                        f"the LMS's membership service refused ({r.status_code}): {r.text[:200]}"
                    )
                body = r.json()
                members += [m for m in map(_member, body.get("members") or ()) if m]
                nxt = r.links.get("next", {}).get("url")
                url = str(nxt) if nxt else None
    except httpx.HTTPError as exc:
        raise RosterError(f"the LMS could not be reached: {exc}") from exc
    except ValueError as exc:
        raise RosterError(f"the LMS answered something that is not JSON: {exc}") from exc
    raise RosterError(f"the roster has more than {MAX_PAGES} pages; stopped")
