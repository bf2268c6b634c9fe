"""`ainative` subcommands of the research side, registered as `ainative.commands` entry points.

They live here, not in ainative.commands, because they import analytics: the core never
imports analytics, the CLI finds these through the package's entry points.
"""
