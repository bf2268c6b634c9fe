"""`make bench-analytics` = `python -m tests.bench`: performance figures, not pass/fail tests.

Uses DATABASE_URL's server when set (in a database of its own, dropped afterwards),
otherwise starts an embedded PostgreSQL in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import uuid
from pathlib import Path

from tests.bench import bench_load


def _database(base_url: str) -> tuple[str, str]:
    from tests.stack import admin_execute, database_url_for

    name = f"ainative_bench_{uuid.uuid4().hex[:8]}"
    admin_execute(base_url, f'CREATE DATABASE "{name}"')
    return database_url_for(base_url, name), name


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--rows", type=int, default=bench_load.ROWS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    from ainative.db.migrate import upgrade
    from ainative.runtime.devservices import EmbeddedPostgres
    from tests.stack import admin_execute

    server = None
    base_url = os.environ.get("DATABASE_URL", "")
    tmp = tempfile.TemporaryDirectory(prefix="ainative-bench-pg-")
    try:
        if not base_url:
            server = EmbeddedPostgres(Path(tmp.name) / "pg")
            base_url = server.start()
        url, name = _database(base_url)
        try:
            upgrade(url)
            result = bench_load.run(url, repeat=args.repeat, rows=args.rows)
        finally:
            admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if server is not None:
            server.stop()
        tmp.cleanup()
    print(bench_load.report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
