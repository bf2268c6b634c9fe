"""Run the committed deploy/nginx configuration on loopback, in front of test servers.

Debian's nginx runs it with its ports and upstreams rewritten (the stack's API, a test
hub) and a throw-away certificate; `EdgeNginx.base` is its https address.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ainative.runtime.devservices import free_port
from tests.integration.opsutil import stop
from tests.stack import REPO_ROOT
from tests.support.platform import wait_http


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


@dataclass
class EdgeNginx:
    https_port: int
    http_port: int
    health_port: int

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx not installed (Debian package nginx-light)")
    return nginx


@contextlib.contextmanager
def edge_nginx(tmp_path: Path, api_address: str, hub_address: str = "") -> Iterator[EdgeNginx]:
    """deploy/nginx/nginx.conf in front of `api_address` (and `hub_address`), on loopback."""
    nginx = nginx_binary()
    self_signed(tmp_path)
    edge = EdgeNginx(free_port(), free_port(), free_port())
    conf = (REPO_ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    conf = conf.replace("/etc/nginx/certs", str(tmp_path))
    conf = conf.replace("include       /etc/nginx/mime.types;", "")
    conf = conf.replace("access_log /dev/stdout json;", f"access_log {tmp_path}/access.log json;")
    conf = conf.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    conf = re.sub(r"server api:8080;", f"server {api_address};", conf)
    conf = re.sub(r"server hub:\d+;", f"server {hub_address or f'127.0.0.1:{free_port()}'};", conf)
    conf = re.sub(r"server grafana:\d+;", f"server 127.0.0.1:{free_port()};", conf)
    conf = conf.replace("listen 443 ssl", f"listen 127.0.0.1:{edge.https_port} ssl")
    conf = conf.replace(
        "listen 80 default_server", f"listen 127.0.0.1:{edge.http_port} default_server"
    )
    conf = conf.replace("listen 8081;", f"listen 127.0.0.1:{edge.health_port};")
    temps = f"client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;"
    conf = conf.replace("http {", "http {\n    " + temps, 1)
    (tmp_path / "nginx.conf").write_text(conf)
    argv = [nginx, "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")]
    check = subprocess.run([*argv, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([*argv, "-g", "daemon off;"], start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{edge.health_port}/nginx-health", process=proc)
        yield edge
    finally:
        stop(proc)
