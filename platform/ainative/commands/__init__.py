"""Subcommands of `ainative`; each module defines register(subparsers) and sets func."""
