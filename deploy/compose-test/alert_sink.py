"""The compose test's alert receiver: appends every webhook Alertmanager sends to a file.

Stands in for the chat hook or incident tool a course points ALERT_WEBHOOK_URL at, so the
test can read what reached the receiver (`cat /tmp/alerts.jsonl` in the container).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED = "/tmp/alerts.jsonl"


class Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(RECEIVED, "a", encoding="utf-8") as out:
            out.write(json.dumps(json.loads(body)) + "\n")
        self.send_response(200)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802 (the health check)
        self.send_response(200)
        self.end_headers()


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 5001), Sink).serve_forever()
