"""The ``ninjagrad`` command's entry point, kept outside the package on purpose.

Importing ``ninjagrad`` loads numpy and both engines, which takes a noticeable moment. A
Ctrl-C that lands during that import would end in a KeyboardInterrupt traceback, because
the package's own handler is not running yet. This module imports nothing heavy itself,
so it can catch the interrupt around both the import and the run.
"""

import sys


def main(argv=None):
    try:
        from ninjagrad.cli import main as run

        return run(argv)
    except KeyboardInterrupt:
        print("ninjagrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
