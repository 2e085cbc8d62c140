"""`ninjagrad exercise list|start|check`: exercises that ninjagrad grades."""

from ninjagrad.errors import NinjagradError

HELP = "exercises graded by ninjagrad: list them, start one, check your answers"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="the exercises, one line each",
                   description="the exercises, one line each")
    p = sub.add_parser("start", help="write an exercise's starter file",
                       description="write an exercise's starter file: the forward pass "
                       "complete, the backward pass with one blank per line")
    p.add_argument("name", metavar="NAME", help="an exercise (see `ninjagrad exercise list`)")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (default: NAME.py)")
    p.add_argument("--notebook", action="store_true", help="write a Jupyter notebook")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p = sub.add_parser("check", help="grade your answers",
                       description="grade a filled starter: one row per gradient, in "
                       "backward order, the line to fix first on top")
    p.add_argument("file", metavar="FILE", help="your starter file (.py or .ipynb)")
    p.add_argument("--exercise", metavar="NAME",
                   help="which exercise (default: the file's '# ninjagrad exercise:' line)")
    p.add_argument("--hint", action="store_true", help="the local derivative, in words")
    p.add_argument("--solution", action="store_true", help="the reference line")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="time limit for running your file (default: 60)")
    p.add_argument("--no-torch", action="store_true",
                   help="grade against ninjagrad's autograd only (faster start-up)")


def run(args):
    return {"list": _list, "start": _start, "check": _check}[args.action](args)


def _list(args):
    from ninjagrad.dojo import all_exercises

    exercises = all_exercises()
    width = max(len(e.name) for e in exercises)
    for e in exercises:
        print(f"{e.name:<{width}}  {e.summary}")
    print("\nstart one with `ninjagrad exercise start NAME`, then "
          "`ninjagrad exercise check NAME.py`")
    return 0


def _start(args):
    from ninjagrad.dojo import start

    path = start(args.name, args.output, notebook=args.notebook, force=args.force)
    print(f"wrote {path}: fill the blanks (...  # TODO), then run "
          f"`ninjagrad exercise check {path}`")
    return 0


def _check(args):
    import json

    from ninjagrad.dojo import check_file

    if not 0 < args.timeout <= 3600:
        raise NinjagradError(f"--timeout must be 0..3600 seconds, got {args.timeout:g}")
    report = check_file(args.file, args.exercise, timeout=args.timeout,
                        use_torch=not args.no_torch, hint=args.hint, solution=args.solution)
    if args.json:
        print(json.dumps(report.asdict(), indent=2))
    else:
        print(report)
    return report.exit_code
