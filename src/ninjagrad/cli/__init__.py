"""The ``ninjagrad`` command line: one module per subcommand.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Modules import their heavy dependencies inside ``run`` so that
``ninjagrad --help`` stays fast.
"""

import argparse
import importlib
import sys

from ninjagrad.errors import NinjagradError

SUBCOMMANDS = ("train", "sample", "check", "graph", "demo", "exercise", "fuzz", "export")


def _version():
    from ninjagrad import __version__

    return __version__


def build_parser():
    parser = argparse.ArgumentParser(
        prog="ninjagrad",
        description="Understand and verify backpropagation: scalar and tensor autograd, "
        "and a names language model trained with hand-written backward passes.",
    )
    parser.add_argument("--version", action="version", version=f"ninjagrad {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"ninjagrad.cli.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with argparse's one-line usage error
    try:
        return args._run(args) or 0
    except NinjagradError as exc:
        print(f"ninjagrad {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ninjagrad {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # e.g. `ninjagrad sample | head`: the reader left, which is not an error.
        return 0
