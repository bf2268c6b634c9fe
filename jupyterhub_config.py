"""JupyterHub for the AI-Native Tutor Platform, configured from environment variables.

Every value comes from ainative.config.Settings (the one place reading the environment):
HUB_PORT (public, 8000), HUB_IP, HUB_API_PORT (8081), HUB_PROXY_API_PORT (8001),
HUB_DATABASE_URL (default sqlite in DATA_DIR/hub), HUB_API_URL (the platform API as seen
from single-user servers), HUB_AUTH_REFRESH_AGE, HUB_ALLOWED_COURSES, JUPYTERHUB_CRYPT_KEY,
HUB_AUTHENTICATE_PROMETHEUS,
plus the platform's DATABASE_URL / REDIS_URL / JWT_* shared with the API.

Locally (`make run`, the e2e tests) it spawns JupyterLab as a local process with the same
Python; on Kubernetes the Zero to JupyterHub chart loads this file through hub.extraConfig
and overrides the spawner (see deploy/jupyterhub/).
"""

# ruff: noqa: F821  (get_config is injected by JupyterHub)
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ainative import resources
from ainative.config import get_settings
from ainative.observability.logging import hub_logging_config

c = get_config()  # type: ignore[name-defined]  # injected by traitlets' config loader
settings = get_settings()
settings.check_production("hub")
hub_dir = Path(settings.data_dir) / "hub"
hub_dir.mkdir(parents=True, exist_ok=True)
STARTER_NOTEBOOK = resources.starter_notebook()


def copy_starter_notebook(spawner: Any) -> None:
    """Put the starter tutor.ipynb in a new user's home (never overwrite their copy)."""
    home = getattr(spawner, "home_dir", "")
    if home:
        target = Path(home) / STARTER_NOTEBOOK.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(STARTER_NOTEBOOK, target)


# --- the hub and its proxy ---
c.JupyterHub.bind_url = f"http://{settings.hub_ip}:{settings.hub_port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings.hub_api_port
c.JupyterHub.db_url = settings.hub_database_url or f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.hub_proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "proxy.pid")
# configurable-http-proxy comes from PATH (the Makefile puts node_modules/.bin first).
# Outside production, a key kept in DATA_DIR/secrets; production requires the setting.
c.CryptKeeper.keys = [settings.jupyterhub_crypt_key or settings.development_secret("hub_crypt_key")]
# Prometheus scrapes /hub/metrics without credentials (deploy/prometheus); the reverse proxy
# keeps that path private. HUB_AUTHENTICATE_PROMETHEUS=true requires a token instead.
c.JupyterHub.authenticate_prometheus = settings.hub_authenticate_prometheus
# The hub's lines in the platform's format (JSON, or text under make run), redacted.
c.JupyterHub.logging_config = hub_logging_config()

# --- Flower for admins at /services/flower/ (Flower keeps its own basic auth) ---
# Flower must serve under the same prefix: FLOWER_URL_PREFIX=services/flower.
c.JupyterHub.services = [
    {
        "name": "flower",
        "url": settings.flower_url or f"http://{settings.flower_host}:{settings.flower_port}",
        "display": True,
    }
]

# --- who may log in: the platform's accounts ---
c.JupyterHub.authenticator_class = "ainative"
c.AINativeAuthenticator.auth_refresh_age = settings.hub_auth_refresh_age
c.AINativeAuthenticator.allowed_courses = {
    code.strip() for code in settings.hub_allowed_courses.split(",") if code.strip()
}

# --- single-user servers: JupyterLab in this same Python, opening the tutor notebook ---
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
c.Spawner.default_url = "/lab/tree/tutor.ipynb"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.pre_spawn_hook = copy_starter_notebook
c.SimpleLocalProcessSpawner.home_dir_template = str(hub_dir / "users" / "{username}")
