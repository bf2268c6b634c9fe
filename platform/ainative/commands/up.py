"""`ainative up`: the whole platform on one machine, under one process manager.

Starts embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset,
migrates, creates demo accounts (development only), then runs the API, a Celery
worker, beat (the sweeper), JupyterHub and Flower with honcho. Ctrl-C stops all.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import sys
from pathlib import Path

from ainative.config import REPO_ROOT, get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("up", help="run the whole platform locally (make run)")
    p.add_argument("--no-hub", action="store_true", help="do not start JupyterHub")
    p.add_argument("--no-flower", action="store_true", help="do not start Flower")
    p.set_defaults(func=run)


def _dev_secret(data_dir: Path, name: str, nbytes: int = 32) -> str:
    """A per-install secret kept in the data folder, so restarts keep sessions valid."""
    path = data_dir / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


def run(args: argparse.Namespace) -> int:
    from honcho.manager import Manager

    from ainative import processes
    from ainative.db.engine import session_scope
    from ainative.db.migrate import upgrade
    from ainative.demo import create_demo_accounts
    from ainative.devservices import ensure_services

    settings = get_settings()
    settings.check_production()
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    started, env = ensure_services(data_dir, persist=True)
    os.environ.update(env)
    os.environ.setdefault("LOG_FORMAT", "text")
    # Flower serves under the prefix the hub proxies to it (c.JupyterHub.services).
    os.environ.setdefault("FLOWER_URL_PREFIX", "services/flower")
    if settings.environment != "production":
        os.environ.setdefault("JUPYTERHUB_CRYPT_KEY", _dev_secret(data_dir, "hub_crypt_key"))
        os.environ.setdefault("FLOWER_BASIC_AUTH", f"admin:{_dev_secret(data_dir, 'flower', 12)}")
    get_settings.cache_clear()
    settings = get_settings()

    upgrade()
    demo = None
    if settings.environment == "development":
        with session_scope() as session:
            demo = create_demo_accounts(session, data_dir)

    procs = {
        "api": processes.api_command(settings),
        "worker": processes.worker_command(settings),
        "beat": processes.beat_command(settings, str(data_dir / "celerybeat-schedule")),
    }
    if not args.no_hub:
        procs["hub"] = processes.hub_command(settings)
    if not args.no_flower:
        procs["flower"] = processes.flower_command(settings)

    _print_banner(settings, demo, procs, os.environ.get("FLOWER_BASIC_AUTH", ""), data_dir)
    manager = Manager()
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name, argv in procs.items():
        manager.add_process(name, shlex.join(argv), env={**child_env, "AINATIVE_PROCESS": name},
                            cwd=str(REPO_ROOT))  # fmt: skip
    try:
        manager.loop()
    finally:
        for server in reversed(started):
            server.stop()  # type: ignore[attr-defined]
    return manager.returncode or 0


def _print_banner(settings, demo, procs, flower_auth: str, data_dir: Path) -> None:
    host = settings.api_host
    lines = [
        "",
        "AI-Native Tutor Platform is starting:",
        f"  API        http://{host}:{settings.api_port}  (docs: /docs, health: /api/v1/health)",
    ]
    if "hub" in procs:
        lines.append(f"  JupyterHub http://{host}:{settings.hub_port}")
    if "flower" in procs:
        prefix = settings.flower_url_prefix.strip("/")
        path = f"/{prefix}/" if prefix else "/"
        lines.append(f"  Flower     http://{host}:{settings.flower_port}{path}  ({flower_auth})")
        if prefix and "hub" in procs:
            lines.append(
                f"             and through the hub: http://{host}:{settings.hub_port}{path}"
            )
    lines.append(f"  Database   {os.environ['DATABASE_URL']}")
    lines.append(f"  Redis      {os.environ['REDIS_URL']}")
    if demo:
        lines.append(f"Demo accounts (shown once; also in {data_dir}/demo_accounts.txt):")
        lines += [f"  {user:<11} {password}" for user, password in demo.items()]
    lines.append("Press Ctrl-C to stop everything.\n")
    print("\n".join(lines), file=sys.stderr, flush=True)
