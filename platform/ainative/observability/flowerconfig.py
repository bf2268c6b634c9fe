"""Flower's configuration file (`celery flower --conf=<this file>`), built from Settings.

Admins log in through the hub (ainative.observability.flower_hub_auth: the hub's OAuth,
admins only); `/metrics` also opens with the monitoring token. FLOWER_BASIC_AUTH, if set,
is asked on top (never from the command line, where `ps` would show it), and production
refuses a weak one (Settings.check_production("flower")).
"""

import hashlib
import hmac

from ainative.config import get_settings
from ainative.observability import flower_hub_auth

_settings = get_settings()
_settings.check_production("flower")
flower_hub_auth.install(_settings)

auth_provider = "ainative.observability.flower_hub_auth.HubAdminLogin"
auth = flower_hub_auth.AUTH_PATTERN
# Signs Flower's login cookie; derived from its hub secret so a restart keeps sessions.
cookie_secret = hmac.new(
    _settings.flower_hub_secret().encode(), b"flower-cookie", hashlib.sha256
).hexdigest()
basic_auth = _settings.flower_credentials
port = _settings.flower_port
address = _settings.flower_host
url_prefix = _settings.flower_url_prefix.strip("/")
# Tasks come from the workers' task events, off in workers until Flower's broadcast (every
# 5 s while it runs) switches them on; workers and heartbeats are always sent.
enable_events = True
purge_offline_workers = 300
