"""One module per command-line verb (see ttvis/cli.py)."""
