"""Tutor answers become inert HTML (no raw HTML, handlers or script URLs); Markdown renders.

Each hostile input goes through both layers (render_markdown) and through the sanitiser
alone (sanitise), so either layer on its own is shown to hold.
"""

from __future__ import annotations

import re

import pytest

from ainative.notebook.render import render_markdown, render_plain, sanitise

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "<a href=javascript:alert(1)>x</a>",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<p style="position:fixed;top:0">cover</p>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://example.org"></iframe>',
    "<div onmouseover=alert(1)>hover</div>",
]


def live_markup(rendered: str) -> list[str]:
    """What would be active in a browser: handlers, script URLs, styles, dangerous elements."""
    found = re.findall(r"<[^>]*\son\w+\s*=", rendered, flags=re.I)
    found += re.findall(
        r"<[^>]*\s(?:href|src)\s*=\s*[\"']?\s*(?:javascript|data|vbscript):", rendered, re.I
    )
    found += re.findall(r"<[^>]*\sstyle\s*=", rendered, flags=re.I)
    found += re.findall(r"<\s*(?:script|img|svg|iframe|style|object|embed)\b", rendered, re.I)
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_comes_out_inert(text):
    rendered = render_markdown(text)
    assert live_markup(rendered) == [], rendered


@pytest.mark.parametrize("text", HOSTILE)
def test_sanitiser_alone_makes_raw_html_inert(text):
    cleaned = sanitise(text)
    assert live_markup(cleaned) == [], cleaned
    assert "alert(1)</script>" not in cleaned  # a script's body is dropped with it


def test_raw_html_is_shown_as_text_not_markup():
    rendered = render_markdown("Look: <img src=x onerror=alert(1)>")
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered


def test_code_blocks_lists_and_tables_still_render():
    text = (
        "Try this:\n\n```python\nfor n in numbers:\n    total += n\n```\n\n"
        "- first\n- **second**\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "Inline `total` and [the docs](https://docs.python.org/3/)."
    )
    rendered = render_markdown(text)
    assert '<pre><code class="language-python">for n in numbers:\n    total += n\n' in rendered
    assert "<ul>\n<li>first</li>\n<li><strong>second</strong></li>" in rendered
    assert "<ol>\n<li>one</li>" in rendered and "<td>2</td>" in rendered
    assert "<code>total</code>" in rendered
    link = re.search(r'<a [^>]*href="https://docs.python.org/3/"[^>]*>the docs</a>', rendered)
    assert link is not None, rendered
    assert 'rel="noopener noreferrer nofollow"' in link.group(0)
    assert 'target="_blank"' in link.group(0)


def test_code_block_language_cannot_smuggle_attributes():
    rendered = render_markdown('```python" onmouseover="alert(1)\nx\n```')
    assert live_markup(rendered) == []
    assert "<pre><code" in rendered


def test_students_words_are_escaped_with_line_breaks():
    assert render_plain("a < b\n<b>bold</b>") == "a &lt; b<br>&lt;b&gt;bold&lt;/b&gt;"


def test_the_detector_sees_live_markup():
    # the checks above would pass vacuously if live_markup could not see an attack
    assert live_markup('<img src=x onerror=alert(1)><a href="javascript:x">a</a>') != []
