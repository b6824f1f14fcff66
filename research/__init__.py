"""One-off fitting and dev-set scripts that produced constants and figures newsum ships.

Not installed: run from a checkout (`python -m research.NAME`). README.md names what each one
produced and the command that reproduces it. Imports `newsum`; `newsum` never imports this.
"""
