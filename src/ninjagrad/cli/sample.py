"""Placeholder for `ninjagrad sample`; replaced by its real implementation."""

from ninjagrad.errors import NinjagradError

HELP = "sample (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    raise NinjagradError("'sample' is not implemented yet")
