"""Command line: `python -m rnnkit ...` parses, calls the layers below and prints."""
