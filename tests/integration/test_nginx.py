"""deploy/nginx terminates TLS in front of the API and keeps metrics off the public side.

Debian's nginx runs the committed configuration with its ports and upstreams
rewritten to loopback (the stack's API) and a throw-away certificate.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from ainative.devservices import free_port
from tests.integration.opsutil import stop
from tests.stack import REPO_ROOT, Stack, wait_http

pytestmark = pytest.mark.integration


def self_signed(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_nginx_terminates_tls_proxies_the_api_and_hides_metrics(
    stack: Stack, tmp_path: Path
) -> None:
    nginx = shutil.which("nginx") or (
        Path("/usr/sbin/nginx") if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx not installed (Debian package nginx-light)")
    self_signed(tmp_path)
    https_port, http_port, health_port = free_port(), free_port(), free_port()
    api_address = stack.api_url.removeprefix("http://")
    conf = (REPO_ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    conf = conf.replace("/etc/nginx/certs", str(tmp_path))
    conf = conf.replace("include       /etc/nginx/mime.types;", "")
    conf = conf.replace("access_log /dev/stdout json;", f"access_log {tmp_path}/access.log json;")
    conf = conf.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    conf = re.sub(r"server api:8080;", f"server {api_address};", conf)
    conf = re.sub(r"server (hub|grafana):\d+;", f"server 127.0.0.1:{free_port()};", conf)
    conf = conf.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    conf = conf.replace("listen 80 default_server", f"listen 127.0.0.1:{http_port} default_server")
    conf = conf.replace("listen 8081;", f"listen 127.0.0.1:{health_port};")
    temps = f"client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;"
    conf = conf.replace("http {", "http {\n    " + temps, 1)
    (tmp_path / "nginx.conf").write_text(conf)
    argv = [
        str(nginx),
        "-c",
        str(tmp_path / "nginx.conf"),
        "-e",
        str(tmp_path / "error.log"),
        "-g",
        "daemon off;",
    ]
    check = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(argv, start_new_session=True)
    base = f"https://127.0.0.1:{https_port}"
    try:
        wait_http(f"http://127.0.0.1:{health_port}/nginx-health", process=proc)
        with httpx.Client(verify=False, timeout=10) as client:
            health = client.get(f"{base}/api/v1/health", headers={"X-Request-ID": "edge-req-12345"})
            assert health.status_code == 200 and health.json()["status"] in ("healthy", "degraded")
            assert health.headers["x-request-id"] == "edge-req-12345"
            assert health.headers["strict-transport-security"].startswith("max-age=")
            for path in ("/metrics", "/api/metrics", "/hub/metrics", "/services/flower/metrics"):
                assert client.get(base + path).status_code == 404, path
            redirect = client.get(f"http://127.0.0.1:{http_port}/api/v1/health")
            assert redirect.status_code == 301
            assert redirect.headers["location"].startswith("https://")
    finally:
        stop(proc)
