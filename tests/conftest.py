import os

import pytest

NAMES_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "names.txt")


@pytest.fixture
def names_path():
    """The lecture's 32,033-name list, used by path and never copied into the repo."""
    path = os.path.abspath(NAMES_PATH)
    if not os.path.exists(path):
        pytest.skip(f"lecture data not found at {path}")
    return path
