"""A fake OpenAI-compatible chat-completions server on loopback.

The only fake in the suite: it stands in for the paid LLM so the real openai SDK is
exercised. Latency, failures and the reply are set through /_control; every request
it received is readable at /_requests.

Run alone: python -m tests.fakes.openai_server --port 8099 --latency 0.5
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_REPLY = (
    "Good question. Before changing anything, what do you expect this line to do, "
    "and what does the error message tell you about the value it actually received?"
)


class FakeState:
    def __init__(self, latency: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.latency = latency
        self.reply = DEFAULT_REPLY
        self.fail_next = 0
        self.fail_status = 500
        self.requests: list[dict[str, Any]] = []
        self.record = True

    def control(self, body: dict[str, Any]) -> None:
        with self.lock:
            for key in ("latency", "reply", "fail_next", "fail_status", "record"):
                if key in body:
                    setattr(self, key, body[key])
            if body.get("clear"):
                self.requests.clear()


class Handler(BaseHTTPRequestHandler):
    server: FakeOpenAIServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self) -> None:
        state = self.server.state
        if self.path.startswith("/_requests"):
            with state.lock:
                self._send(200, list(state.requests))
        elif self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        state = self.server.state
        body = self._body()
        if self.path.startswith("/_control"):
            state.control(body)
            self._send(200, {"ok": True})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": "not found"}})
            return
        with state.lock:
            if state.record:
                state.requests.append(
                    {"body": body, "authorization": self.headers.get("Authorization")}
                )
            latency, reply = state.latency, state.reply
            failing = state.fail_next > 0
            if failing:
                state.fail_next -= 1
            fail_status = state.fail_status
        if latency:
            time.sleep(latency)
        if failing:
            self._send(fail_status, {"error": {"message": "fake failure", "type": "server_error"}})
            return
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        self._send(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": max(1, prompt_chars // 4),
                    "completion_tokens": max(1, len(reply) // 4),
                    "total_tokens": max(1, prompt_chars // 4) + max(1, len(reply) // 4),
                },
            },
        )


class FakeOpenAIServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, port: int = 0, latency: float = 0.0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = FakeState(latency)
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FakeOpenAIServer:
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeOpenAIServer(args.port, args.latency)
    print(f"fake OpenAI server at {server.base_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
