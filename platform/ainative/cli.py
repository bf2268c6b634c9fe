"""The `ainative` command: assignments, config, courses, experiments, leakage, lti, migrate,
research-role, secrets, tutor, up, users, worker-alive, and analytics' export, research and
seed-demo.

Each subcommand has a `register(subparsers)` function: the core's live in
ainative.commands.<name>; the other packages' (analytics: export, seed-demo) are
`ainative.commands` entry points, so the core never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from importlib.metadata import entry_points

import ainative.commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ainative", description="AI-Native Tutor Platform")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(ainative.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"ainative.commands.{info.name}")
        module.register(sub)
    for entry in sorted(entry_points(group="ainative.commands"), key=lambda e: e.name):
        entry.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
