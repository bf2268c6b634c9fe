"""Flower's configuration file (`celery flower --conf=<this file>`), built from Settings.

Credentials come from FLOWER_BASIC_AUTH (environment or .env) and never from the
command line, where `ps` would show them. Settings.check_production("flower") refuses
to start without them, in every environment.
"""

from ainative.config import get_settings

_settings = get_settings()
_settings.check_production("flower")

basic_auth = _settings.flower_credentials
port = _settings.flower_port
address = _settings.flower_host
url_prefix = _settings.flower_url_prefix.strip("/")
# Tasks and workers come from the workers' events (worker_send_task_events is on).
enable_events = True
purge_offline_workers = 300
