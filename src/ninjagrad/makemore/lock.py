"""The work dir's lock: one training run per work dir at a time.

Two runs training into one work dir would overwrite each other's checkpoint and metrics
without a word. ``train.lock`` names the running process; it is created with O_EXCL, so
exactly one of two runs starting together gets it. A lock whose process is gone (the run
was killed with SIGKILL, or the machine went down) is stale and is taken over, with a note.
"""

import os
import time

from ninjagrad.errors import NinjagradError

LOCK_NAME = "train.lock"
# A lock file is empty for the instant between its creation and the write of the PID; an
# empty one younger than this is another run starting, not a stale lock.
STARTING_SECONDS = 10


class WorkDirLock:
    """``with WorkDirLock(work_dir, log):`` holds the work dir's lock for the block.

    ``log`` receives the note printed when a stale lock is taken over.
    """

    def __init__(self, work_dir, log=print):
        self.work_dir, self.log = work_dir, log
        self.path = os.path.join(work_dir, LOCK_NAME)
        self.held = False

    def __repr__(self):
        return f"WorkDirLock({self.path!r}, held={self.held})"

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    def acquire(self):
        for attempt in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = read_pid(self.path)
                if pid is None and _younger_than(self.path, STARTING_SECONDS):
                    pid = "unknown, starting"
                elif pid is None or not process_exists(pid):
                    if attempt == 0:
                        self._take_over(pid)
                        continue
                raise NinjagradError(
                    f"work dir {self.work_dir} is in use by another 'ninjagrad train' "
                    f"(PID {pid}); wait for it to finish or train into another -o (if no "
                    f"training is running there, delete {self.path})"
                ) from None
            except OSError as exc:
                reason = exc.strerror
                raise NinjagradError(f"cannot create the lock {self.path}: {reason}") from None
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()}\n")
            self.held = True
            return

    def _take_over(self, pid):
        who = "an unreadable lock" if pid is None else f"the lock of PID {pid}"
        self.log(f"note: taking over {who} in {self.work_dir}: that run is no longer running")
        try:
            os.unlink(self.path)
        except FileNotFoundError:  # another run took it over first; O_EXCL decides
            pass

    def release(self):
        # Only our own lock: never remove one another run has taken over meanwhile.
        if self.held and read_pid(self.path) == os.getpid():
            os.unlink(self.path)
        self.held = False


def read_pid(path):
    """The PID in a lock file, or None when it cannot be read as one."""
    try:
        with open(path) as f:
            text = f.read(32).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def process_exists(pid):
    """Whether a process with this PID runs (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OverflowError:
        return False
    return True


def _younger_than(path, seconds):
    try:
        return time.time() - os.stat(path).st_mtime < seconds
    except OSError:
        return False
