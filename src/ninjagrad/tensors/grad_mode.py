"""Grad mode: whether ops record the graph. ``no_grad()`` turns it off for a block.

Ops read the switch as ``grad_mode.enabled`` (``is_grad_enabled()`` is PyTorch's public
name for it) and change it only through ``set_grad_mode``, which returns the previous mode
so the caller can restore it.
"""

import functools

enabled = True


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return enabled


def set_grad_mode(mode):
    """Turn graph recording on or off; returns the mode it replaced."""
    global enabled
    previous, enabled = enabled, bool(mode)
    return previous


class _GradMode:
    """Context manager (and decorator) that sets grad mode for its block."""

    _mode = True

    def __enter__(self):
        self._previous = set_grad_mode(self._mode)
        return self

    def __exit__(self, *exc):
        set_grad_mode(self._previous)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper

    def __repr__(self):
        return f"{type(self).__name__}()"


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``) no graph is built:
    results have ``requires_grad=False`` and keep no reference to their inputs."""

    _mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Turn graph building back on inside a ``no_grad`` block."""

    _mode = True
