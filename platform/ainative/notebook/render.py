"""Tutor answers as safe HTML: Markdown rendered without raw HTML, then an allow-list sanitiser.

An answer is text an LLM wrote, so it is untrusted: raw HTML in it (`<img onerror=…>`)
must never run in the student's JupyterLab. Two layers, each enough on its own for the
usual attacks:

1. markdown-it-py with `html` off: raw HTML in the answer comes out as escaped text, and
   its link validator refuses `javascript:`, `vbscript:`, `file:` and most `data:` URLs.
2. nh3 (the Rust ammonia sanitiser) with an allow-list of the tags Markdown produces, no
   `style`, no event handlers, links limited to http(s)/mailto and opened in a new tab.

Images are not allowed at all: a remote image in an answer would be a beacon, and the
tutor has no reason to show one.
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "kbd",
        "blockquote", "ul", "ol", "li", "a",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# The language of a fenced block (markdown-it writes class="language-python") and nothing else.
CODE_CLASSES = {"code": {f"language-{lang}" for lang in ("python", "py", "text", "bash", "sql")}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])


def sanitise(fragment: str) -> str:
    """`fragment` reduced to the allow-list: unknown tags unwrapped, scripts dropped whole."""
    return nh3.clean(
        fragment,
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        allowed_classes={k: set(v) for k, v in CODE_CLASSES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """An answer's Markdown as HTML that is safe to put into the page as it is."""
    return sanitise(_markdown.render(text))


def render_plain(text: str) -> str:
    """The student's own words, shown as typed (escaped, line breaks kept)."""
    return html.escape(text).replace("\n", "<br>")
