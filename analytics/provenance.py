"""What made an export or report: code version, parameters, package versions; and the
SubjectIDs withdrawn since the previous export, so copies already made can honour them.

Every export and report writes ``provenance.json`` beside its data and a row of
``research_exports`` (kind, a digest of the pseudonym key, the provenance, the time).
The next export with the same kind and key lists the students whose consent was
withdrawn since (``WithdrawnSubjects.csv``): their SubjectIDs are the same under the
same key, so a researcher can delete their rows from earlier copies.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ainative.course.pseudonyms import key_id, pseudonym
from analytics.load import Source, raw_connection

PACKAGES = (
    "ainative-tutor",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "lifelines",
    "krippendorff",
    "sqlalchemy",
    "psycopg2-binary",
)
_ROOT = Path(__file__).resolve().parent.parent


def code_version() -> str:
    """The git commit of the code that ran (``-dirty`` with uncommitted changes), or the
    installed package's version when there is no git checkout."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"ainative-tutor {_version('ainative-tutor')}"
    return commit + ("-dirty" if dirty else "")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def provenance(kind: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The record of one run: kind, time (UTC), code version, Python, packages, parameters."""
    return {
        "kind": kind,
        "created_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "parameters": {k: _plain(v) for k, v in parameters.items()},
    }


def _plain(value: Any) -> Any:
    """A parameter as JSON can hold it (timestamps and other objects as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


WITHDRAWN_SQL = """
SELECT c.user_id, max(c.recorded_at) AS withdrawn_at
FROM consent_records c
WHERE NOT c.given AND c.recorded_at >= %(since)s
  AND EXISTS (SELECT 1 FROM consent_records b WHERE b.user_id = c.user_id AND b.given
              AND b.recorded_at < c.recorded_at)
  AND NOT COALESCE((SELECT l.given FROM consent_records l WHERE l.user_id = c.user_id
                    ORDER BY l.recorded_at DESC, l.id DESC LIMIT 1), false)
GROUP BY c.user_id ORDER BY c.user_id
"""
ERASED_SQL = """
SELECT subject_id, max(erased_at) FROM erased_subjects
WHERE key_id = %(d)s AND erased_at >= %(since)s GROUP BY subject_id ORDER BY subject_id
"""


def record_run(
    out_dir: str | Path,
    source: Source,
    *,
    kind: str,
    key: str,
    parameters: Mapping[str, Any],
) -> dict[str, Any]:
    """Write ``provenance.json`` and ``WithdrawnSubjects.csv`` into `out_dir` and log the run.

    WithdrawnSubjects.csv lists (SubjectID, WithdrawnAt, Reason) of students who had
    consented and whose consent is now withdrawn ("withdrew"), or who erased their data
    ("erased", recorded at erasure under the key then in force), since the previous run of
    `kind` under the same key (every one, for a first run). Returns the provenance, with
    ``previous_export_at`` and ``withdrawn_since_previous``.
    """
    out = Path(out_dir)
    record = provenance(kind, parameters)
    digest = key_id(key)
    with raw_connection(source) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT max(created_at) FROM research_exports WHERE kind = %(k)s AND key_id = %(d)s",
            {"k": kind, "d": digest},
        )
        previous = cur.fetchone()[0]
        since = previous or datetime(1970, 1, 1, tzinfo=UTC)
        cur.execute(WITHDRAWN_SQL, {"since": since})
        withdrawn = [(pseudonym(u, key), t, "withdrew") for u, t in cur.fetchall()]
        cur.execute(ERASED_SQL, {"d": digest, "since": since})
        withdrawn += [(s, t, "erased") for s, t in cur.fetchall()]
        record["previous_export_at"] = None if previous is None else previous.isoformat()
        record["withdrawn_since_previous"] = len(withdrawn)
        cur.execute(
            "INSERT INTO research_exports (kind, key_id, provenance) "
            "VALUES (%(k)s, %(d)s, %(p)s::jsonb)",
            {"k": kind, "d": digest, "p": json.dumps(record)},
        )
        conn.commit()
    pd.DataFrame(
        {
            "SubjectID": [s for s, _, _ in withdrawn],
            "WithdrawnAt": [t.isoformat() for _, t, _ in withdrawn],
            "Reason": [r for _, _, r in withdrawn],
        }
    ).to_csv(out / "WithdrawnSubjects.csv", index=False)
    (out / "provenance.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record
