"""A threaded loopback HTTP server for the fakes of outside parties (LMS, campus OIDC).

Each fake subclasses FakeHTTP and answers in `handle(method, path, query, form, headers)`
with a Reply; it serves from a daemon thread, so a test drives it from the same process.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(value), "application/json", dict(headers))

    @classmethod
    def redirect(cls, location: str) -> Reply:
        return cls(302, "", "text/plain", {"Location": location})


class FakeHTTP:
    """Serve `handle` on 127.0.0.1 (a free port) from a daemon thread."""

    name = "fake"

    def __init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, method: str) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                form: dict[str, str] = {}
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    raw = self.rfile.read(length).decode()
                    form = {k: v[0] for k, v in parse_qs(raw).items()}
                fake.requests.append((method, url.path, query, form))
                try:
                    reply = fake.handle(method, url.path, query, form, dict(self.headers))
                except Exception as exc:  # a bug in the fake: say so
                    reply = Reply.json({"error": f"fake failed: {exc!r}"}, 500)
                body = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name=self.name, daemon=True
        )

    def handle(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], headers: dict
    ) -> Reply:
        raise NotImplementedError

    def start(self) -> FakeHTTP:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
