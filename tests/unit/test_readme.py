"""The README stays true: its two commands come first and its configuration tables are
the output of `ainative config --markdown`, generated from the settings' descriptions.

Regenerate the tables with: .venv/bin/python -m tests.unit.test_readme
"""

import re
import sys
from pathlib import Path

from ainative.commands.config import MARKDOWN_END, MARKDOWN_START, markdown_table
from ainative.config import TOPICS, Settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
REGENERATE = ".venv/bin/python -m tests.unit.test_readme"


def generated_section(text: str) -> str:
    """The README's text from the start marker through the end marker and its newline."""
    start = text.index(MARKDOWN_START)
    end = text.index(MARKDOWN_END, start) + len(MARKDOWN_END) + 1
    return text[start:end]


def test_readme_opens_with_the_two_commands() -> None:
    opening = README.read_text().splitlines()[:8]
    assert any(line.startswith("make run") for line in opening)
    assert any(line.startswith("make test") for line in opening)


def test_readme_configuration_is_the_generated_table() -> None:
    text = README.read_text()
    assert text.count(MARKDOWN_START) == 1 and text.count(MARKDOWN_END) == 1
    assert generated_section(text) == markdown_table(), (
        f"README.md's configuration tables differ from `ainative config --markdown`; "
        f"regenerate them with: {REGENERATE}"
    )


def test_every_setting_has_a_topic_and_a_description() -> None:
    in_topics = [name for topic in TOPICS for name in topic.model_fields]
    assert sorted(in_topics) == sorted(Settings.model_fields)
    assert len(in_topics) == len(set(in_topics))
    undocumented = [n for n, f in Settings.model_fields.items() if not (f.description or "")]
    assert undocumented == []


def test_every_setting_is_in_the_readme() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", README.read_text()))
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in documented]
    assert missing == []


if __name__ == "__main__":
    text = README.read_text()
    README.write_text(text.replace(generated_section(text), markdown_table()))
    print("README.md: configuration tables regenerated", file=sys.stderr)
