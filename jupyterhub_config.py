"""JupyterHub for the AI-Native Tutor Platform, configured from environment variables.

Every value comes from ainative.config.Settings (the one place reading the environment):
HUB_PORT (public, 8000), HUB_IP, HUB_API_PORT (8081), HUB_PROXY_API_PORT (8001),
HUB_DATABASE_URL (default sqlite in DATA_DIR/hub), HUB_API_URL (the platform API as seen
from single-user servers), HUB_AUTH_REFRESH_AGE, HUB_ALLOWED_COURSES, JUPYTERHUB_CRYPT_KEY,
METRICS_TOKEN (Prometheus's token), FLOWER_HUB_TOKEN (Flower's OAuth secret),
plus the platform's DATABASE_URL / REDIS_URL / JWT_* shared with the API.

HUB_SPAWNER picks how students' servers run: `simple` (local demo: a process of the hub's
own user, refused in production), `local-users` (a system user per student, hub as root;
ainative/hub/spawner.py), `docker` (a container per student, docker-compose.yml). On
Kubernetes the Zero to JupyterHub chart configures KubeSpawner (see deploy/jupyterhub/).
HUB_SUBDOMAIN_HOST gives every user's server its own origin (docs/security-isolation.md).
"""

# ruff: noqa: F821  (get_config is injected by JupyterHub)
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import ainative.hub
from ainative import resources
from ainative.config import get_settings
from ainative.observability.logging import hub_logging_config

c = get_config()  # type: ignore[name-defined]  # injected by traitlets' config loader
settings = get_settings()
settings.check_production("hub")
# The hub's files (SQLite database, cookie secret, proxy pid) are the hub's alone: 0600
# files in 0700 folders, whoever else runs on this host (students' servers, see below).
os.umask(0o077)
hub_dir = Path(settings.data_dir) / "hub"
hub_dir.mkdir(parents=True, exist_ok=True)
for private in (hub_dir, Path(settings.data_dir) / "secrets"):
    if private.exists():
        private.chmod(0o700)
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
# /hub/metrics needs a token with read:metrics: Prometheus's (METRICS_TOKEN, the service
# `prometheus` below). Students reach the hub, so the path is never open.
c.JupyterHub.authenticate_prometheus = True
# The hub's lines in the platform's format (JSON, or text under make run), redacted.
c.JupyterHub.logging_config = hub_logging_config()

# --- Flower for admins at /services/flower/, logged in through the hub's OAuth ---
# Flower must serve under the same prefix: FLOWER_URL_PREFIX=services/flower. Its login
# (ainative.observability.flower_hub_auth) lets in hub admins only; admins skip the
# consent page (an admin-operated service).
c.JupyterHub.services = [
    {
        "name": "flower",
        "url": settings.flower_url or f"http://{settings.flower_host}:{settings.flower_port}",
        "display": True,
        "api_token": settings.flower_hub_secret(),
        "oauth_client_id": "service-flower",
        "oauth_redirect_uri": "/services/flower/login",
        "oauth_no_confirm": True,
    }
]

# --- the staff console at /services/console/ (ainative.console), signed in with the hub's
# OAuth; its api_token (CONSOLE_HUB_TOKEN) is the OAuth client's secret. No roles: it only
# identifies users, and the API trusts a token only with access:services!service=console.
c.JupyterHub.services.append(
    {
        "name": "console",
        "url": settings.console_service_url,
        "api_token": settings.console_service_secret(),
        "oauth_redirect_uri": "/services/console/oauth_callback",
        "oauth_no_confirm": True,
        "display": True,
    }
)

# --- the platform's own calls: removing a deleted account (ainative.hub.removal) ---
# The API and worker hold this service's token (HUB_SERVICE_TOKEN); its one scope deletes
# hub users, which stops their servers and calls the spawner's delete_forever.
c.JupyterHub.services.append({"name": "ainative-api", "api_token": settings.hub_service_secret()})
c.JupyterHub.load_roles = [
    {
        "name": "ainative-account-removal",
        "description": "Remove the hub user, servers and storage of a deleted account",
        "scopes": ["delete:users"],
        "services": ["ainative-api"],
    }
]

# --- Prometheus reads /hub/metrics with the monitoring token (METRICS_TOKEN) ---
c.JupyterHub.services.append({"name": "prometheus", "api_token": settings.metrics_secret()})
c.JupyterHub.load_roles.append(
    {
        "name": "prometheus-metrics",
        "description": "Read the hub's /hub/metrics",
        "scopes": ["read:metrics"],
        "services": ["prometheus"],
    }
)

# --- who may log in: the platform's accounts ---
# Our templates first: the login page links to "Join a course" (/hub/join, signup.py).
c.JupyterHub.template_paths = [str(Path(ainative.hub.__file__).parent / "templates")]
c.JupyterHub.authenticator_class = "ainative"
c.AINativeAuthenticator.auth_refresh_age = settings.hub_auth_refresh_age
# LTI 1.3 (ainative.hub.lti) needs nothing here: platforms live in the DB (ainative lti).
# Campus OIDC (ainative.hub.oidc) when OIDC_ISSUER is set, in GenericOAuthenticator's names.
if settings.oidc_issuer:
    c.GenericOAuthenticator.client_id = settings.oauth_client_id
    c.GenericOAuthenticator.client_secret = settings.oauth_client_secret
    c.GenericOAuthenticator.authorize_url = settings.oauth2_authorize_url
    c.GenericOAuthenticator.token_url = settings.oauth2_token_url
    c.GenericOAuthenticator.userdata_url = settings.oauth2_userdata_url
    c.GenericOAuthenticator.scope = ["openid", "profile", "email"]
    c.GenericOAuthenticator.login_service = settings.oidc_login_service
    if settings.oauth_callback_url:
        c.GenericOAuthenticator.oauth_callback_url = settings.oauth_callback_url
c.JupyterHub.template_vars = {
    "campus_login": settings.oidc_login_service if settings.oidc_issuer else "",
    "password_login": settings.hub_password_login,
}
c.AINativeAuthenticator.allowed_courses = {
    code.strip() for code in settings.hub_allowed_courses.split(",") if code.strip()
}

# --- single-user servers: JupyterLab opening the tutor notebook (HUB_SPAWNER) ---
c.Spawner.default_url = "/lab/tree/tutor.ipynb"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
if settings.hub_subdomain_host:
    # Each user's server on its own origin (alice.tutor.example.org): a page a student
    # serves never runs with the hub's or another user's cookies.
    c.JupyterHub.subdomain_host = settings.hub_subdomain_host
if settings.hub_spawner in ("simple", "local-users"):
    # Local processes with this same Python (local-users: one its users may run).
    python = settings.hub_singleuser_python or sys.executable
    c.Spawner.cmd = [python, "-m", "jupyterhub.singleuser"]
if settings.hub_spawner == "simple":
    # Local demo only (refused in production): servers run as the hub's own user.
    c.JupyterHub.spawner_class = "ainative.hub.spawner.DemoSpawner"
    c.Spawner.args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    c.Spawner.pre_spawn_hook = copy_starter_notebook
    c.DemoSpawner.home_dir_template = str(hub_dir / "users" / "{username}")
elif settings.hub_spawner == "local-users":
    # One system user per student, created at first spawn; the hub runs as root.
    c.JupyterHub.spawner_class = "ainative.hub.spawner.StudentUserSpawner"
    c.StudentUserSpawner.home_root = settings.hub_users_home_root
elif settings.hub_spawner == "docker":
    # One container per student, alone on its own internal network with the hub and the
    # API (ainative/hub/docker_spawner.py); needs the `deploy` extra.
    c.JupyterHub.spawner_class = "ainative.hub.docker_spawner.StudentNetworkSpawner"
    c.StudentNetworkSpawner.network_prefix = settings.hub_docker_network
    c.JupyterHub.hub_ip = "0.0.0.0"
    c.JupyterHub.hub_connect_ip = "hub"
    c.DockerSpawner.image = settings.hub_singleuser_image
    c.DockerSpawner.remove = True
    c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
    # The image's user (10001) owns /data; a fresh named volume there inherits that.
    c.DockerSpawner.notebook_dir = "/data"
    # A deleted account's volume is the deployer's to remove (ainative.hub.removal).
    c.DockerSpawner.volumes = {"ainative-user-{username}": "/data"}
    c.DockerSpawner.post_start_cmd = (
        f"sh -c 'test -e /data/{STARTER_NOTEBOOK.name} || cp {STARTER_NOTEBOOK} /data/'"
    )
    c.DockerSpawner.mem_limit = "1G"
    c.DockerSpawner.cpu_limit = 1.0
# kubernetes: the Zero to JupyterHub chart configures KubeSpawner (deploy/jupyterhub/values.yaml).
