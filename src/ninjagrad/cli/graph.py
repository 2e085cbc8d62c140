"""Placeholder for `ninjagrad graph`; replaced by its real implementation."""

from ninjagrad.errors import NinjagradError

HELP = "graph (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    raise NinjagradError("'graph' is not implemented yet")
