"""Finding 1 of issue 11: a student's code cannot read the hub's or another student's secrets.

A real hub with HUB_SPAWNER=local-users (the hub as root, each student's server as a system
user of their own, created at first spawn). Two students log in and start servers; from
student A's kernel the attacks of the review are tried: the hub's /proc/<pid>/environ, its
SQLite database and cookie secret, student B's home and B's server's environment. Each must
fail with PermissionError. Redis outside the local demo requires a password: a redis-server
with requirepass refuses A's kernel, which has no password.

Students' servers need a Python they may execute: this machine's virtualenv points into
/root (0700), so the test gives them the system python3.11 with the virtualenv's packages
(a .pth line), as docs/security-isolation.md describes for single-host installs.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ainative.hub.spawner import system_username
from ainative.runtime.devservices import free_port, redis_server_binary
from tests.e2e.conftest import Hub, running_hub
from tests.e2e.jupyter import run_in_kernel, start_server, stop_server
from tests.stack import Stack
from tests.support.eventually import eventually

SYSTEM_PYTHON = Path("/usr/bin/python3.11")
pytestmark = [
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("useradd"),
        reason="the local-users spawner needs root and useradd",
    ),
    pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs a python3.11 students can run"),
]
CANARY = "HUB_ONLY_CANARY"
SECRET_NAMES = (
    CANARY,
    "JWT_SECRET_KEY",
    "JUPYTERHUB_CRYPT_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "PSEUDONYM_KEY",
    "CONFIGPROXY_AUTH_TOKEN",
    "FLOWER_BASIC_AUTH",
    "FLOWER_HUB_TOKEN",
    "METRICS_TOKEN",
)

ATTACK = """
import json, os
targets = json.loads({targets!r})
results = {{}}
def attempt(label, read):
    try:
        read()
        results[label] = "read"
    except Exception as exc:
        results[label] = type(exc).__name__
attempt("hub_environ", lambda: open(targets["hub_environ"], "rb").read())
attempt("hub_database", lambda: open(targets["hub_database"], "rb").read())
attempt("cookie_secret", lambda: open(targets["cookie_secret"], "rb").read())
attempt("hub_data_dir", lambda: os.listdir(targets["hub_data_dir"]))
attempt("other_home", lambda: os.listdir(targets["other_home"]))
attempt("other_notebook", lambda: open(targets["other_notebook"]).read())
attempt("other_server_environ", lambda: open(targets["other_server_environ"], "rb").read())
import socket
from urllib.parse import urlsplit
where = urlsplit(targets["redis"])
with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
    conn.sendall(b"SET stolen cache-entry\\r\\n")   # what any Redis client sends first
    reply = conn.recv(200).decode()
results["redis_without_password"] = "refused" if reply.startswith("-NOAUTH") else reply.strip()
print(json.dumps({{
    "results": results,
    "uid": os.getuid(),
    "home": os.environ.get("HOME"),
    "env_names": sorted(os.environ),
    "env_values": sorted(os.environ.values()),
}}))
"""


@pytest.fixture(scope="module")
def shared_root() -> Iterator[Path]:
    """A folder every user may traverse (pytest's own tmp folders are 0700, root's only)."""
    root = Path(tempfile.mkdtemp(prefix="ainative-isolation-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def student_python(shared_root: Path) -> Path:
    """A virtualenv of the system Python that sees this virtualenv's packages.

    This virtualenv's interpreter lives under /root (0700), which students cannot run.
    """
    venv = shared_root / "venv"
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sys.prefix) / "lib" / "python3.11" / "site-packages"
    (venv / "lib" / "python3.11" / "site-packages" / "ainative-venv.pth").write_text(
        f"import site; site.addsitedir({str(site)!r})\n"
    )
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def locked_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A redis-server that requires a password; (url without password, password)."""
    password, port = secrets.token_urlsafe(16), free_port()
    folder = tmp_path_factory.mktemp("locked-redis")
    proc = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1"]
        + ["--requirepass", password, "--dir", str(folder), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port, password=password)

        def pings() -> bool:
            if proc.poll() is not None:
                raise RuntimeError("the locked redis-server did not start")
            return bool(client.ping())

        if not eventually(pings, 30, interval=0.05, ignore=(redis.ConnectionError,)):
            raise RuntimeError("the locked redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0", password
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def isolated_hub(
    stack: Stack, output_dir: Path, student_python: Path, shared_root: Path
) -> Iterator[tuple[Hub, Path]]:
    """One hub for the module: students' servers under their own system users."""
    homes = shared_root / "homes"
    homes.mkdir(mode=0o755)
    extra = {
        "HUB_SPAWNER": "local-users",
        "HUB_USERS_HOME_ROOT": str(homes),
        "HUB_SINGLEUSER_PYTHON": str(student_python),
        CANARY: secrets.token_hex(16),
    }
    with running_hub(stack, output_dir / f"hub-iso-{os.getpid()}", "hub-iso", extra) as hub:
        yield hub, homes


def user_pids(uid: int) -> list[int]:
    """Processes owned by `uid` (from /proc, as root)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except FileNotFoundError:
                continue
    return sorted(pids)


def test_attack_student_reads_hub_and_other_students_secrets(
    isolated_hub, make_user, stack, locked_redis
):
    hub, homes = isolated_hub
    alice, bob = make_user(), make_user()
    names = [u.username.lower() for u in (alice, bob)]
    tokens = {
        n: hub.api_token(hub.session(u.username, u.password), n)
        for n, u in zip(names, (alice, bob), strict=True)
    }
    servers: dict[str, str] = {}
    system_users = [system_username("jh-", n) for n in names]
    try:
        for name in names:
            servers[name] = start_server(hub.url, name, tokens[name])
        a_user, b_user = (pwd.getpwnam(u) for u in system_users)
        for entry in (a_user, b_user):
            home = Path(entry.pw_dir)
            assert home.parent == homes
            assert home.stat().st_uid == entry.pw_uid and home.stat().st_mode & 0o777 == 0o700
        assert a_user.pw_uid != b_user.pw_uid and 0 not in (a_user.pw_uid, b_user.pw_uid)
        hub_pid = stack.processes["hub-iso"].pid
        b_pids = user_pids(b_user.pw_uid)
        assert b_pids, "student B's server runs as B's system user"
        hub_dir = hub.data_dir / "hub"
        targets = {
            "hub_environ": f"/proc/{hub_pid}/environ",
            "hub_database": str(hub_dir / "jupyterhub.sqlite"),
            "cookie_secret": str(hub_dir / "jupyterhub_cookie_secret"),
            "hub_data_dir": str(hub_dir),
            "other_home": b_user.pw_dir,
            "other_notebook": str(Path(b_user.pw_dir) / "tutor.ipynb"),
            "other_server_environ": f"/proc/{b_pids[0]}/environ",
            "redis": locked_redis[0],
        }
        for key in ("hub_database", "cookie_secret", "other_notebook"):
            assert Path(targets[key]).is_file(), f"{key} must exist for the attack to mean much"
        assert stat_mode(hub_dir) == 0o700 and stat_mode(Path(targets["cookie_secret"])) == 0o600
        result = run_in_kernel(
            servers[names[0]], tokens[names[0]], ATTACK.format(targets=json.dumps(targets))
        )
    finally:
        for name in servers:
            stop_server(hub.url, name, tokens[name])
        for user in system_users:
            subprocess.run(["userdel", "--remove", user], capture_output=True)
    assert not result.errors, result.errors
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["uid"] == a_user.pw_uid and out["home"] == a_user.pw_dir
    expected = {k: "PermissionError" for k in targets if k != "redis"}
    expected["redis_without_password"] = "refused"
    assert out["results"] == expected
    # The hub's own secrets never reach a student's server; the student's own tokens do.
    leaked = [n for n in SECRET_NAMES if n in out["env_names"]]
    assert not leaked, f"the hub passed {leaked} to a student's server"
    hub_secrets = {stack.env[k] for k in ("JWT_SECRET_KEY", "DATABASE_URL") if stack.env.get(k)}
    assert hub_secrets and not hub_secrets & set(out["env_values"])
    assert {"JUPYTERHUB_API_TOKEN", "AINATIVE_ACCESS_TOKEN"} <= set(out["env_names"])
    # With the password the same Redis answers: the refusal above is the password's doing.
    url, password = locked_redis
    assert redis.Redis.from_url(url, password=password).ping() is True


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
