"""Placeholder for `ninjagrad demo`; replaced by its real implementation."""

from ninjagrad.errors import NinjagradError

HELP = "demo (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    raise NinjagradError("'demo' is not implemented yet")
