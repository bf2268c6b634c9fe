"""The README stays true: its two commands come first and every setting is documented."""

import re
from pathlib import Path

from ainative.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_readme_opens_with_the_two_commands() -> None:
    opening = (ROOT / "README.md").read_text().splitlines()[:8]
    assert any(line.startswith("make run") for line in opening)
    assert any(line.startswith("make test") for line in opening)


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "README.md").read_text() + (ROOT / "docs" / "hub.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", docs))
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in documented]
    assert missing == []
