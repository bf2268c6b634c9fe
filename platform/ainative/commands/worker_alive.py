"""`ainative worker-alive`: the worker's liveness probe (docker-compose, Kubernetes).

A worker refreshes its presence in Redis from its consumer's heartbeat
(worker/heartbeat.py), so a worker whose process lives but whose consumer stopped
taking tasks (stuck, SIGSTOPped) fails this check and gets restarted. When Redis
itself cannot be reached the check passes: restarting workers does not bring Redis
back, and health already reports the broker down.
"""

from __future__ import annotations

import argparse
import socket


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "worker-alive", help="liveness probe: exit 1 if this host's worker stopped consuming"
    )
    p.add_argument("--name", default="worker", help="the worker's name before '@' (its --hostname)")
    p.add_argument("--hostname", help="the full node name, instead of NAME@this-host")
    p.add_argument(
        "--max-age",
        type=float,
        help="seconds without a heartbeat before the worker counts as stuck "
        "(default: 3 x WORKER_HEARTBEAT_SECONDS)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import redis

    from ainative.config import get_settings
    from ainative.presence import seconds_since_beat

    settings = get_settings()
    hostname = args.hostname or f"{args.name}@{socket.gethostname()}"
    max_age = args.max_age or 3 * settings.worker_heartbeat_seconds
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=2.0, socket_timeout=2.0
    )
    try:
        age = seconds_since_beat(client, hostname)
    except redis.RedisError as exc:
        print(f"{hostname}: Redis unreachable ({type(exc).__name__}); not the worker's fault")
        return 0
    finally:
        client.close()
    if age is None:
        print(f"{hostname}: no heartbeat recorded")
        return 1
    if age > max_age:
        print(f"{hostname}: last heartbeat {age:.0f} s ago (limit {max_age:.0f} s): stuck")
        return 1
    print(f"{hostname}: alive (heartbeat {age:.1f} s ago)")
    return 0
