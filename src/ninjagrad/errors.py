"""Errors meant for people: the message names the problem (type, shape, file, line)."""


class NinjagradError(Exception):
    """A user-facing error. The command line prints its message and exits non-zero."""


class DataError(NinjagradError, ValueError):
    """Unusable input data: a missing, empty, binary or malformed file."""


class CheckpointError(NinjagradError):
    """A checkpoint or work directory that cannot be read or written."""
