"""The ``ninjagrad`` command itself: version, and a Ctrl-C before any subcommand runs."""

import os
import subprocess
import sys
from pathlib import Path

import ninjagrad

SRC = Path(ninjagrad.__file__).resolve().parent.parent


def _run(args, env_extra=None, pythonpath=()):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), str(SRC)])
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "ninjagrad_main", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


def test_version_prints_the_package_version():
    proc = _run(["--version"])
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"ninjagrad {ninjagrad.__version__}"
    assert ninjagrad.__version__.count(".") == 2


def test_ctrl_c_while_the_package_is_still_importing_gives_one_line(tmp_path):
    # A Ctrl-C lands while numpy is being imported: stand in for numpy with a module
    # that is interrupted on import, as the real one would be.
    (tmp_path / "numpy.py").write_text("raise KeyboardInterrupt\n")
    proc = _run(["train", "--max-steps", "1"], pythonpath=[tmp_path])
    assert proc.returncode == 130
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "ninjagrad: interrupted"
