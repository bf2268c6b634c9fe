"""Admins reach Flower through the hub: a JupyterHub service proxied at /services/flower/."""

from __future__ import annotations

import secrets

import httpx

from tests.integration.opsutil import start_flower, stop


def test_flower_is_a_hub_service_and_keeps_its_own_auth(hub, stack) -> None:
    password = secrets.token_urlsafe(12)
    proc, _ = start_flower(
        stack.env,
        stack.log_dir / "flower-hub.log",
        f"admin:{password}",
        prefix="services/flower",
        port=hub.flower_port,
    )
    try:
        through_hub = f"{hub.url}/services/flower/"
        assert httpx.get(through_hub, timeout=10).status_code == 401
        r = httpx.get(through_hub + "workers", auth=("admin", password), timeout=10)
        assert r.status_code == 200 and "Flower" in r.text
    finally:
        stop(proc)
