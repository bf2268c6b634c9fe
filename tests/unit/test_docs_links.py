"""The README and docs/*.md point only at files that exist, so a move cannot leave them stale.

Checked: every relative Markdown link (and its #anchor when it targets a Markdown file),
and every backticked repository path that names a file: no spaces, at least one slash,
ending in .py, .md, .yml, .yaml, .ipynb or .toml. Links resolve from the page's folder,
backticked paths from the repository root. Fenced code blocks are not read.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\s]+)`")
FILE_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+\.(?:py|md|yml|yaml|ipynb|toml)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:


def prose(text: str) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", text)


def relative_links(text: str) -> list[str]:
    """Targets of Markdown links that point into the repository."""
    return [t for t in LINK.findall(prose(text)) if not EXTERNAL.match(t) and not t.startswith("#")]


def code_paths(text: str) -> list[str]:
    """Backticked spans that are file paths of the repository."""
    return [span for span in CODE.findall(prose(text)) if FILE_PATH.fullmatch(span)]


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, '-' for spaces."""
    slugs: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", prose(page.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n, unique = 0, slug
        while unique in slugs:
            n += 1
            unique = f"{slug}-{n}"
        slugs.add(unique)
    return slugs


def inside_repo(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def broken(page: Path) -> list[str]:
    text = page.read_text()
    problems = []
    for target in relative_links(text):
        name, _, anchor = target.partition("#")
        path = (page.parent / name).resolve()
        if not inside_repo(path) or not path.exists():
            problems.append(f"link {target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            problems.append(f"link {target}: no heading #{anchor} in {name}")
    for span in code_paths(text):
        path = ROOT / span
        if not inside_repo(path) or not path.exists():
            problems.append(f"`{span}`: no such file")
    return [f"{page.relative_to(ROOT)}: {p}" for p in problems]


def test_the_heuristic_finds_paths_and_only_paths() -> None:
    sample = (
        "See [a](docs/a.md#x), [b](https://example.org/c.md), [c](#top) and `api/errors.py`,\n"
        "`../shared/DESIGN.md`, `deploy/k8s/worker.yaml`; not `jupyterhub_config.py`\n"
        "(no slash), `api/routes/` (a folder), `--conf=.../flowerconfig.py x` (a command).\n"
        "```\n`worker/gone.py` in a code block\n```\n"
    )
    assert relative_links(sample) == ["docs/a.md#x"]
    assert code_paths(sample) == ["api/errors.py", "../shared/DESIGN.md", "deploy/k8s/worker.yaml"]


def test_the_pages_are_checked() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/architecture.md" in relative_links(readme)
    assert ROOT / "docs" / "architecture.md" in PAGES
    checked = sum(len(code_paths(p.read_text())) for p in PAGES)
    assert checked >= 50  # the architecture page names the modules it describes


def test_every_link_and_path_in_the_docs_exists() -> None:
    problems = [problem for page in PAGES for problem in broken(page)]
    assert problems == []
