"""`ainative worker-alive`: the worker's liveness probe (docker-compose, Kubernetes).

A worker refreshes its presence in Redis from its consumer's heartbeat
(worker/heartbeat.py), so a worker whose process lives but whose consumer stopped
taking tasks (stuck, SIGSTOPped) fails this check and gets restarted. When Redis
itself cannot be reached the check passes: restarting workers does not bring Redis
back, and health already reports the broker down.

Kubernetes restarts a container whose liveness probe fails; plain Docker only marks
it unhealthy. For docker-compose, `--kill-stuck` makes the check end a stuck worker
itself (SIGKILL to the Celery worker processes of this container, which runs with
`init: true`), so the container exits and its restart policy starts it again.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
from pathlib import Path


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
    p.add_argument(
        "--kill-stuck",
        action="store_true",
        help="SIGKILL this container's Celery worker when it is stuck (docker-compose)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import redis

    from ainative.config import get_settings
    from ainative.runtime.presence import seconds_since_beat

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
    if age is not None and age <= max_age:
        print(f"{hostname}: alive (heartbeat {age:.1f} s ago)")
        return 0
    if age is None:
        print(f"{hostname}: no heartbeat recorded")
    else:
        print(f"{hostname}: last heartbeat {age:.0f} s ago (limit {max_age:.0f} s): stuck")
    if args.kill_stuck:
        for pid in celery_workers(hostname.split("@", 1)[0]):
            print(f"killing stuck worker process {pid}")
            os.kill(pid, signal.SIGKILL)
    return 1


def celery_workers(name: str, proc: Path = Path("/proc")) -> list[int]:
    """Pids of the `celery ... worker --hostname NAME@...` processes visible here."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        named = any(arg.startswith(f"{name}@".encode()) for arg in argv)
        if named and b"celery" in b" ".join(argv[:3]) and b"worker" in argv:
            found.append(int(entry.name))
    return found
