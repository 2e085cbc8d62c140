"""The one way ninjagrad writes a file, so that nothing already written is lost, and the one
way it reads a file a user names, with an error that says what is wrong with it.

Checkpoints, metrics, exports, drawings, the player page and exercise starters all go
through ``write_atomically``: the bytes go to a temporary file beside the target, which is
then renamed over it. A crash, a full disk or a Ctrl-C mid-write leaves the old file
whole, never half a new one. The temporary file is named ``.<name>-<random>.tmp``, so a
run killed by SIGKILL can recognise and sweep its own leftovers.
"""

import os
import tempfile

from ninjagrad.errors import NinjagradError


def temporary_pattern(name):
    """The glob pattern of the temporary files ``write_atomically`` makes for ``name``."""
    return f".{name}-*.tmp"


def write_atomically(path, write, what="file", error=NinjagradError):
    """Call ``write(f)`` on a temporary binary file beside ``path``, then rename it over
    ``path``. An OSError (disk full, a directory in the way) becomes ``error`` with a
    message naming ``what`` and the path; no temporary file is left behind. The file gets
    the usual mode (the umask's), not mkstemp's private 0600."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}-",
                                   suffix=".tmp")
    except OSError as exc:
        raise error(f"cannot write the {what} {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise error(f"cannot write the {what} {path}: {exc.strerror or exc}") from None
        raise


def read_bytes(path, what, error=NinjagradError, limit=-1):
    """The bytes of the file at ``path`` (at most ``limit`` of them, if given). A missing
    file, a directory or a read error becomes ``error`` naming the path; ``what`` says
    what the file should have been (``"a word list"``)."""
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
