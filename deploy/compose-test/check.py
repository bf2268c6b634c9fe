"""The compose stack's checks, through nginx as a browser would (run by run.sh).

Registers two students through the API, logs each in with the hub's form, has the hub
spawn each one's own container (DockerSpawner), asks the tutor from the first student's
kernel, finds the answer as a row in Postgres, and proves from inside the student's
container that Postgres, Redis and the other student's container are out of reach.
Prints one JSON line per check; exits non-zero at the first failure.
"""

from __future__ import annotations

import json
import os
import ssl  # noqa: E402
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import websocket  # noqa: E402

sys.path.insert(0, os.getcwd())
from tests.e2e.jupyter import run_in_kernel, start_server  # noqa: E402

# nginx's certificate is self-signed: the helpers of tests/e2e/jupyter.py (plain http and
# ws there) go through TLS here without verification.
_get, _post, _delete, _ws = httpx.get, httpx.post, httpx.delete, websocket.create_connection
httpx.get = lambda *a, **kw: _get(*a, verify=False, **kw)  # type: ignore[assignment]
httpx.post = lambda *a, **kw: _post(*a, verify=False, **kw)  # type: ignore[assignment]
httpx.delete = lambda *a, **kw: _delete(*a, verify=False, **kw)  # type: ignore[assignment]
websocket.create_connection = lambda u, **kw: _ws(  # type: ignore[assignment]
    u.replace("https://", "wss://", 1), sslopt={"cert_reqs": ssl.CERT_NONE}, **kw
)

BASE = os.environ["COMPOSE_TEST_URL"]  # https://127.0.0.1:PORT (nginx, self-signed)
DOCKER = os.environ.get("DOCKER", "docker").split()
COMPOSE = os.environ["COMPOSE"].split()
PASSWORD = "Compose-test-pass-1"
T0 = float(os.environ.get("COMPOSE_TEST_T0", time.time()))


def report(check: str, **info: object) -> None:
    print(json.dumps({"check": check, **info}), flush=True)


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def client() -> httpx.Client:
    return httpx.Client(base_url=BASE, verify=False, timeout=60, follow_redirects=False)


def register(api: httpx.Client) -> str:
    name = f"s{uuid.uuid4().hex[:8]}"
    r = api.post(
        "/api/v1/auth/register",
        json={"email": f"{name}@example.org", "username": name, "password": PASSWORD},
    )
    assert r.status_code == 201, (r.status_code, r.text)
    return name


def hub_login(name: str) -> tuple[httpx.Client, str]:
    c = client()
    page = c.get("/hub/login")
    assert page.status_code == 200 and "password" in page.text, page.status_code
    xsrf = c.cookies.get("_xsrf", path="/hub/")
    r = c.post("/hub/login", data={"username": name, "password": PASSWORD, "_xsrf": xsrf})
    assert r.status_code == 302, (r.status_code, r.text[:300])
    xsrf = c.cookies.get("_xsrf", path="/hub/")
    r = c.post(
        f"/hub/api/users/{name}/tokens",
        json={"note": "compose-test", "expires_in": 900},
        headers={"X-XSRFToken": xsrf},
    )
    assert r.status_code in (200, 201), r.text
    return c, r.json()["token"]


def container_of(name: str) -> str:
    out = sh(*DOCKER, "ps", "-q", "--filter", f"name=jupyter-{name}").stdout.split()
    assert len(out) == 1, out
    return out[0]


def reach(container: str, host: str, port: int) -> bool:
    code = (
        "import socket,sys\n"
        f"s=socket.socket(); s.settimeout(3)\n"
        f"try:\n s.connect(({host!r},{port})); print('open')\n"
        "except Exception as e: print('closed', type(e).__name__)\n"
    )
    out = sh(*DOCKER, "exec", container, "python", "-c", code).stdout.strip()
    return out.startswith("open")


def main() -> None:
    with client() as c:
        r = c.get("/hub/login")
        assert r.status_code == 200 and "<form" in r.text, r.status_code
        report("hub login page", status=r.status_code)
        for path in ("/hub/metrics", "/api/metrics", "/metrics", "/services/flower/metrics"):
            m = c.get(path)
            assert m.status_code == 404, (path, m.status_code)
        report("metrics closed at nginx", status=404)
        f = c.get("/services/flower/")
        assert f.status_code in (302, 401, 403), f.status_code  # hub OAuth, never open
        report("flower behind the hub's login", status=f.status_code)
        alice, bob = register(c), register(c)
    users = {}
    for name in (alice, bob):
        hub, token = hub_login(name)
        url = start_server(BASE, name, token, timeout=240)
        users[name] = (hub, token, url)
        report("student server spawned", user=name, container=container_of(name))
    hub, token, url = users[alice]
    code = (
        "import json\nfrom ainative.notebook.client import TutorClient\n"
        "a = TutorClient().ask('Why does my for loop only print the last item?', "
        "mode='socratic', context={'code': 'for x in xs:\\n    pass\\nprint(x)'})\n"
        "print(json.dumps({'id': a.id, 'status': a.status, 'answer': a.answer}))\n"
    )
    result = run_in_kernel(url, token, code)
    assert not result.errors, result.errors
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == "done" and out["answer"], out
    report("first answer", seconds=round(time.time() - T0, 1), answer=out["answer"][:200])
    row = sh(
        *COMPOSE,
        "exec",
        "-T",
        "postgres",
        "psql",
        "-U",
        "ainative",
        "-d",
        "ainative",
        "-tAc",
        f"SELECT u.username, i.status FROM interactions i JOIN users u ON u.id = i.user_id "
        f"WHERE i.id = '{out['id']}'",
    ).stdout.strip()
    assert row == f"{alice}|done", row
    report("answer is a row in postgres", row=row)
    mine, theirs = container_of(alice), container_of(bob)
    their_ip = sh(
        *DOCKER,
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
        theirs,
    ).stdout.split()[0]
    assert reach(mine, "api", 8080), "the student's container must reach the API"
    blocked = {
        "postgres": reach(mine, "postgres", 5432),
        "redis": reach(mine, "redis", 6379),
        "prometheus": reach(mine, "prometheus", 9090),
        "flower": reach(mine, "flower", 5555),
        "other student": reach(mine, their_ip, 8888),
    }
    report("student container reaches", api=True, **blocked)
    assert not any(blocked.values()), blocked
    prom = sh(
        *COMPOSE, "exec", "-T", "prometheus", "wget", "-qO-", "http://127.0.0.1:9090/api/v1/targets"
    ).stdout
    health = {t["labels"]["job"]: t["health"] for t in json.loads(prom)["data"]["activeTargets"]}
    report("prometheus targets", **health)
    assert health.get("ainative-api") == "up", health
    metrics = fetch_status(mine, "http://api:8080/metrics")
    with_token = fetch_status(mine, "http://api:8080/metrics", metrics_token())
    report("the API's /metrics from a student's container", status=metrics, token=with_token)
    assert metrics == 404 and with_token == 404, (metrics, with_token)
    alerts_reach_the_receiver()


def fetch_status(container: str, url: str, bearer: str = "") -> int:
    """The HTTP status `url` answers inside `container` (with `bearer` as its token, if any)."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    code = (
        "import urllib.request, urllib.error\n"
        f"r = urllib.request.Request({url!r}, headers={headers!r})\n"
        "try: print(urllib.request.urlopen(r, timeout=5).status)\n"
        "except urllib.error.HTTPError as e: print(e.code)\n"
    )
    return int(sh(*DOCKER, "exec", container, "python", "-c", code).stdout.strip())


def metrics_token() -> str:
    """Prometheus's token, from the .env this run wrote (run.sh; the last line wins)."""
    lines = (Path(__file__).resolve().parents[2] / ".env").read_text().splitlines()
    found = [
        ln.split("=", 1)[1].strip().strip("'\"") for ln in lines if ln.startswith("METRICS_TOKEN=")
    ]
    assert found and found[-1], "METRICS_TOKEN is not in .env"
    return found[-1]


def alerts_reach_the_receiver() -> None:
    """Prometheus knows the Alertmanager, and an alert sent to it reaches ALERT_WEBHOOK_URL."""
    prom_exec = [*COMPOSE, "exec", "-T", "prometheus", "wget", "-qO-"]
    deadline = time.monotonic() + 120
    while True:
        found = json.loads(sh(*prom_exec, "http://127.0.0.1:9090/api/v1/alertmanagers").stdout)
        active = [a["url"] for a in found["data"]["activeAlertmanagers"]]
        if active or time.monotonic() > deadline:
            break
        time.sleep(2)
    report("prometheus sends alerts to", alertmanagers=active)
    assert any("alertmanager:9093" in url for url in active), found
    alert = json.dumps(
        [
            {
                "labels": {"alertname": "ComposeTestAlert", "severity": "warning"},
                "annotations": {"summary": "sent by make compose-test"},
            }
        ]
    )
    sh(
        *prom_exec,
        "--header",
        "Content-Type: application/json",
        f"--post-data={alert}",
        "http://alertmanager:9093/api/v2/alerts",
    )
    deadline = time.monotonic() + 120  # the route's group_wait is 10 s
    while True:
        got = sh(*COMPOSE, "exec", "-T", "alert-sink", "cat", "/tmp/alerts.jsonl", check=False)
        received = [
            a["labels"] for line in got.stdout.splitlines() for a in json.loads(line)["alerts"]
        ]
        names = [labels["alertname"] for labels in received]
        if "ComposeTestAlert" in names or time.monotonic() > deadline:
            break
        time.sleep(2)
    report("alert reached the receiver", alerts=names)
    assert "ComposeTestAlert" in names, got.stderr
    # Anything else is a real alert of the stack that just started: a false alarm to fix.
    others = [labels for labels in received if labels["alertname"] != "ComposeTestAlert"]
    report("the stack's own alerts", alerts=others)
    assert not others, others


if __name__ == "__main__":
    main()
