"""``python -m radiuscnn``: the command line."""

from radiuscnn.cli import entry

entry()
