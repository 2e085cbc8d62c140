"""Placeholder for `ninjagrad train`; replaced by its real implementation."""

from ninjagrad.errors import NinjagradError

HELP = "train (not implemented yet)"


def add_arguments(parser):
    pass


def run(args):
    raise NinjagradError("'train' is not implemented yet")
