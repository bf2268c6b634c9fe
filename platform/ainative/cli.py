"""The `ainative` command: up, migrate, users, seed-demo, export, secrets, config.

Each subcommand lives in ainative.commands.<name> with a `register(subparsers)`
function, so parts of the platform add commands without editing this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import ainative.commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ainative", description="AI-Native Tutor Platform")
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(ainative.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"ainative.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
