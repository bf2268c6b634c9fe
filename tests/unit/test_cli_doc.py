"""The `ainative` command's docstring names every subcommand it has."""

from __future__ import annotations

import argparse
import re

from ainative import cli


def test_the_cli_docstring_names_every_subcommand() -> None:
    parser = cli.build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    names = set(sub.choices)
    assert {"up", "migrate", "export", "seed-demo"} <= names
    named = set(re.findall(r"[a-z][a-z-]*[a-z]", (cli.__doc__ or "").split("\n\n")[0]))
    assert names <= named, f"not in the docstring's first paragraph: {sorted(names - named)}"
