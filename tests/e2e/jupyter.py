"""Drive a spawned single-user server the way a front end does: hub REST API, kernel websocket."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import websocket

from tests.support.eventually import eventually


def start_server(hub_url: str, username: str, token: str, timeout: float = 120.0) -> str:
    """Ask the hub to spawn `username`'s server and wait until it is ready; its URL."""
    auth = {"Authorization": f"token {token}"}
    r = httpx.post(f"{hub_url}/hub/api/users/{username}/server", headers=auth, timeout=30)
    assert r.status_code in (201, 202, 400), r.text  # 400: already running

    def ready_url() -> str | None:
        model = httpx.get(f"{hub_url}/hub/api/users/{username}", headers=auth, timeout=30).json()
        server = (model.get("servers") or {}).get("")
        return f"{hub_url}{server['url'].rstrip('/')}" if server and server.get("ready") else None

    url = eventually(ready_url, timeout, interval=0.25)
    if url is None:
        raise TimeoutError(f"server of {username} not ready after {timeout} s")
    return url


def stop_server(hub_url: str, username: str, token: str) -> None:
    httpx.delete(
        f"{hub_url}/hub/api/users/{username}/server",
        headers={"Authorization": f"token {token}"},
        timeout=60,
    )


@dataclass
class Execution:
    stdout: str = ""
    errors: list[str] = field(default_factory=list)


def run_in_kernel(server_url: str, token: str, code: str, timeout: float = 120.0) -> Execution:
    """Start a kernel, execute `code` over the channels websocket, collect output, shut it down."""
    auth = {"Authorization": f"token {token}"}
    r = httpx.post(f"{server_url}/api/kernels", headers=auth, json={"name": "python3"}, timeout=60)
    assert r.status_code == 201, r.text
    kernel_id = r.json()["id"]
    ws_url = server_url.replace("http://", "ws://", 1) + f"/api/kernels/{kernel_id}/channels"
    ws = websocket.create_connection(
        ws_url, header=[f"Authorization: token {token}"], timeout=timeout
    )
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": "e2e",
                    "session": uuid.uuid4().hex,
                    "msg_type": "execute_request",
                    "version": "5.3",
                    "date": datetime.now(UTC).isoformat(),
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    result = Execution()
    replied = idle = False
    try:
        while not (replied and idle):
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                result.stdout += content["text"]
            elif kind == "error":
                result.errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
    finally:
        ws.close()
        httpx.delete(f"{server_url}/api/kernels/{kernel_id}", headers=auth, timeout=30)
    return result
