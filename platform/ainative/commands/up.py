"""`ainative up`: the whole platform on one machine, under one process manager.

Starts embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset,
migrates, creates demo accounts (development only), then runs the API, a Celery
worker, beat (the sweeper), JupyterHub, the staff console and Flower under
ainative.runtime.supervisor, which restarts a process that dies (with a back-off) instead
of stopping the others.
Ctrl-C or SIGTERM stops all, then the embedded servers.
Everything it needs comes from the installed package; its working directory holds
`.env` and the default data folder `.data` (the repository under `make run`).
"""

from __future__ import annotations

import argparse
import os
import sys

from ainative.config import Component, Settings, get_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("up", help="run the whole platform locally (make run)")
    p.add_argument("--no-hub", action="store_true", help="do not start JupyterHub")
    p.add_argument("--no-flower", action="store_true", help="do not start Flower")
    p.add_argument(
        "--no-console", action="store_true", help="do not start the staff console (a hub service)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ainative.auth.demo_accounts import create_demo_accounts
    from ainative.db.engine import session_scope
    from ainative.db.migrate import upgrade
    from ainative.runtime import processes
    from ainative.runtime.devservices import ensure_services
    from ainative.runtime.supervisor import Supervisor

    components: list[Component] = []
    if not args.no_hub:
        components.append("hub")
    if not args.no_flower:
        components.append("flower")
    if not args.no_console and not args.no_hub:
        components.append("console")
    _export_local_defaults(get_settings())
    _reload_settings().check_production(*components)
    started, env = ensure_services(get_settings().data_dir)
    os.environ.update(env)
    settings = _reload_settings()
    data_dir = settings.data_dir

    upgrade()
    demo = None
    if settings.environment == "development":
        with session_scope() as session:
            demo = create_demo_accounts(session, data_dir)

    procs = {
        "api": processes.api_command(settings),
        "worker": processes.worker_command(settings),
        "beat": processes.beat_command(str(data_dir / "celerybeat-schedule")),
    }
    if "hub" in components:
        procs["hub"] = processes.hub_command()
    if "flower" in components:
        procs["flower"] = processes.flower_command()
    if "console" in components:
        procs["console"] = processes.console_command()

    _print_banner(settings, demo, procs)
    supervisor = Supervisor()
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name, argv in procs.items():
        supervisor.add(name, argv, env={**child_env, "AINATIVE_PROCESS": name})
    try:
        return supervisor.run()
    finally:
        for server in reversed(started):
            server.stop()


def _reload_settings() -> Settings:
    """Settings read again after this process exported variables for its children."""
    get_settings.cache_clear()
    return get_settings()


def _export_local_defaults(settings: Settings) -> None:
    """Export what the children must agree on, for them and for this process's Settings.

    DATA_DIR is fixed for every child; outside production the hub's crypt key is a
    per-install secret kept in the data folder (Flower's hub token and the metrics
    token are too: Settings.development_secret, read by each child).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DATA_DIR"] = str(settings.data_dir)
    os.environ.setdefault("LOG_FORMAT", "text")
    # Flower serves under the prefix the hub proxies to it (c.JupyterHub.services).
    os.environ.setdefault("FLOWER_URL_PREFIX", "services/flower")
    if settings.environment != "production":
        os.environ.setdefault("JUPYTERHUB_CRYPT_KEY", settings.development_secret("hub_crypt_key"))


def _print_banner(
    settings: Settings, demo: dict[str, str] | None, procs: dict[str, list[str]]
) -> None:
    host = settings.api_host
    lines = [
        "",
        "AI-Native Tutor Platform is starting:",
        f"  API        http://{host}:{settings.api_port}  (docs: /docs, health: /api/v1/health)",
    ]
    if "hub" in procs:
        lines.append(f"  JupyterHub http://{host}:{settings.hub_port}")
    if "console" in procs:
        lines.append(f"  Console    http://{host}:{settings.hub_port}/services/console/  (staff)")
    if "flower" in procs:
        prefix = settings.flower_url_prefix.strip("/")
        path = f"/{prefix}/" if prefix else "/"
        if "hub" in procs:
            lines.append(
                f"  Flower     http://{host}:{settings.hub_port}{path}  (hub admins: log in "
                "through the hub)"
            )
        else:
            flower = f"http://{host}:{settings.flower_port}{path}"
            lines.append(f"  Flower     {flower}  (its login needs the hub)")
    if not settings.metrics_token:
        token_file = settings.data_dir / "secrets" / "metrics_token"
        lines.append(f"  Metrics    /metrics with the bearer token in {token_file}")
    lines.append(f"  Database   {os.environ['DATABASE_URL']}")
    lines.append(f"  Redis      {os.environ['REDIS_URL']}")
    if demo:
        lines.append(f"Demo accounts (shown once; also in {settings.data_dir}/demo_accounts.txt):")
        lines += [f"  {user:<11} {password}" for user, password in demo.items()]
    lines.append("Press Ctrl-C to stop everything.\n")
    print("\n".join(lines), file=sys.stderr, flush=True)
