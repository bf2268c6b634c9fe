"""StudentUserSpawner: each student's server runs as their own system user (single-host installs).

Students run arbitrary code. With SimpleLocalProcessSpawner (the local demo) that code runs
as the hub's user and can read the hub's environment (/proc/<pid>/environ: JWT secret,
database password), its SQLite database and cookie secret, and every other student's files
and server environment. This spawner, selected by HUB_SPAWNER=local-users, runs the hub as
root and each student's server as a system user of their own:

- the user `<prefix><hub name>` (e.g. `jh-alice`) is created with useradd at first spawn,
  with a home directory of mode 0700 under `home_root`, and no login shell;
- the server is started with JupyterHub's LocalProcessSpawner (setuid to that user), its
  environment holding only what JupyterHub passes plus the student's own API tokens;
- the hub's files (DATA_DIR/hub, DATA_DIR/secrets) are 0700/0600 (jupyterhub_config.py);
- deleting the hub user (a deleted account, ainative.hub.removal) removes the system
  user and its home (`delete_forever`); DemoSpawner does the same for the demo's homes.

The Python that runs the server (the virtualenv, the repository for an editable install)
must be readable and traversable by the students' users: docs/security-isolation.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner, set_user_setuid
from traitlets import Unicode, validate

from ainative import resources

# useradd accepts [a-z_][a-z0-9_-]* up to 32 characters; hub names are [a-z0-9_-].
_SYSTEM_NAME_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_MAX_NAME = 32
MIN_STUDENT_UID = 1000  # useradd's UID_MIN: below it are the system's own accounts


def system_username(prefix: str, hub_name: str) -> str:
    """The system user of hub user `hub_name`: prefix + name, hashed when it would not fit.

    The prefix keeps students' users apart from system accounts (a student named `root`
    or `postgres` becomes `jh-root`); anything but [a-z0-9_-] is refused, never mapped.
    """
    if not re.fullmatch(r"[a-z0-9_-]+", hub_name):
        raise ValueError(f"hub user name {hub_name!r} cannot name a system user")
    name = prefix + hub_name
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256(hub_name.encode()).hexdigest()[:8]
        name = f"{name[: _MAX_NAME - 9]}-{digest}"
    if not _SYSTEM_NAME_RE.match(name):
        raise ValueError(f"{name!r} is not a valid system user name")
    return name


def ensure_system_user(name: str, home_root: Path, comment: str) -> pwd.struct_passwd:
    """The system user `name`, created (no password, no shell, home 0700) when missing."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        home_root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "useradd",
                "--create-home",
                "--home-dir",
                str(home_root / name),
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                "--comment",
                comment,
                name,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        entry = pwd.getpwnam(name)
    if entry.pw_uid < MIN_STUDENT_UID:
        # A system account (root, daemons) must never run a student's code.
        raise PermissionError(f"{name} is a system account (uid {entry.pw_uid}), not a student's")
    home = Path(entry.pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)  # whatever useradd's HOME_MODE: other students never look in
    return entry


def copy_starter(entry: pwd.struct_passwd) -> None:
    """The starter tutor.ipynb in the student's home, owned by them (never overwritten)."""
    target = Path(entry.pw_dir) / resources.starter_notebook().name
    if not target.exists():
        shutil.copyfile(resources.starter_notebook(), target)
        os.chown(target, entry.pw_uid, entry.pw_gid)
        target.chmod(0o600)


def remove_system_user(name: str) -> None:
    """Delete a student's system user and its home (`userdel --remove`), if it exists."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    if entry.pw_uid < MIN_STUDENT_UID:
        raise PermissionError(f"{name} is a system account (uid {entry.pw_uid}), not a student's")
    subprocess.run(["userdel", "--remove", name], check=True, capture_output=True, text=True)
    shutil.rmtree(entry.pw_dir, ignore_errors=True)  # userdel leaves a home it did not make


class DemoSpawner(SimpleLocalProcessSpawner):  # type: ignore[misc]  # jupyterhub ships no types
    """The local demo's spawner (HUB_SPAWNER=simple): a deleted user's home goes with them."""

    def delete_forever(self) -> None:
        """JupyterHub calls this when the hub user is deleted (ainative.hub.removal)."""
        if self.home_dir:
            self.log.info("removing %s's home %s", self.user.name, self.home_dir)
            shutil.rmtree(self.home_dir, ignore_errors=True)


class StudentUserSpawner(LocalProcessSpawner):  # type: ignore[misc]  # jupyterhub ships no types
    """LocalProcessSpawner under a per-student system user created at first spawn."""

    user_prefix = Unicode(
        "jh-",
        config=True,
        help="""Prefix of the system user made for each hub user (`jh-alice`): keeps
        students' accounts apart from the system's own.""",
    )
    home_root = Unicode(
        "/home",
        config=True,
        help="Directory holding the students' home directories (each 0700, owned by them).",
    )

    @validate("user_prefix")
    def _check_prefix(self, proposal: Any) -> str:
        prefix = str(proposal["value"])
        if not re.fullmatch(r"[a-z_][a-z0-9_-]*", prefix):
            raise ValueError("StudentUserSpawner.user_prefix must match [a-z_][a-z0-9_-]*")
        return prefix

    @property
    def system_user(self) -> str:
        return system_username(self.user_prefix, self.user.name)

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        """setuid to the student's system user, never to a user named like the hub user."""
        return set_user_setuid(self.system_user)  # type: ignore[no-any-return]

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        entry = pwd.getpwnam(self.system_user)
        env.update(USER=entry.pw_name, LOGNAME=entry.pw_name, HOME=entry.pw_dir)
        return env

    async def move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        raise NotImplementedError("StudentUserSpawner does not support internal_ssl")

    async def start(self) -> Any:
        """Create the student's system user and home if missing, then start as them."""
        comment = f"JupyterHub user {self.user.name}"
        entry = await asyncio.to_thread(
            ensure_system_user, self.system_user, Path(self.home_root), comment
        )
        await asyncio.to_thread(copy_starter, entry)
        self.log.info("starting %s's server as system user %s", self.user.name, entry.pw_name)
        return await super().start()

    async def delete_forever(self) -> None:
        """JupyterHub calls this when the hub user is deleted (ainative.hub.removal): the
        system user and its home go, so a later account never finds the notebooks."""
        self.log.info("removing system user %s and its home", self.system_user)
        await asyncio.to_thread(remove_system_user, self.system_user)
