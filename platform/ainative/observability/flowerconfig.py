"""Flower's configuration file (`celery flower --conf=<this file>`), built from Settings.

Credentials come from FLOWER_BASIC_AUTH (environment or .env) and never from the
command line, where `ps` would show them. Flower refuses to start without them.
"""

from ainative.config import get_settings

_settings = get_settings()
if not _settings.flower_basic_auth.strip():
    raise SystemExit("FLOWER_BASIC_AUTH is not set (user:password): Flower refuses to run open")

basic_auth = [pair.strip() for pair in _settings.flower_basic_auth.split(",") if pair.strip()]
port = _settings.flower_port
address = _settings.flower_host
url_prefix = _settings.flower_url_prefix.strip("/")
# Tasks and workers come from the workers' events (worker_send_task_events is on).
enable_events = True
purge_offline_workers = 300
