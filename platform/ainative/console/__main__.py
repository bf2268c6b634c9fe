"""`python -m ainative.console`: the staff console (ainative.console.app)."""

from ainative.console.app import main

main()
