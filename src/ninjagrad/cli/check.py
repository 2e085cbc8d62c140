"""Placeholder for `ninjagrad check`; replaced by its real implementation."""

from ninjagrad.errors import NinjagradError

HELP = "check (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    raise NinjagradError("'check' is not implemented yet")
