"""`ninjagrad fuzz`: random programs on ninjagrad and PyTorch in lockstep (docs/fuzzing.md)."""

from ninjagrad.errors import NinjagradError

HELP = "run random programs on ninjagrad and PyTorch side by side and report differences"

MAX_PROGRAMS = 10_000_000


def add_arguments(parser):
    parser.add_argument("--category", default="all",
                        choices=("tensor", "inplace", "function", "value", "all"),
                        help="kind of programs (default: all four)")
    parser.add_argument("--programs", type=int, default=200, metavar="N",
                        help="programs per category (default: 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run (default: 0)")
    parser.add_argument("--start", type=int, default=0, metavar="I",
                        help="index of the first program (default: 0)")
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="stop after this long; each category gets an even share of "
                        "the time left")
    parser.add_argument("--with-gaps", action="store_true",
                        help="also generate the KNOWN_GAPS features (known engine bugs)")
    parser.add_argument("--enable", action="append", default=[], metavar="FEATURE",
                        help="turn a feature on (repeatable; see --list-features)")
    parser.add_argument("--disable", action="append", default=[], metavar="FEATURE",
                        help="turn a feature off (repeatable)")
    parser.add_argument("--list-features", action="store_true",
                        help="list the generator's features and the known gaps, and exit")
    parser.add_argument("--max-shrunk", type=int, default=3, metavar="K",
                        help="shrink the first K mismatches of each kind (default: 3)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args):
    import json
    import sys

    from ninjagrad.check.fuzz import CATEGORIES, FEATURES, KNOWN_GAPS, enabled_features
    from ninjagrad.check.fuzz.run import import_torch
    from ninjagrad.check.fuzz.session import OUTCOMES, fuzz, summary

    if args.list_features:
        for name, what in FEATURES.items():
            gap = f"  [known gap: {KNOWN_GAPS[name]}]" if name in KNOWN_GAPS else ""
            print(f"{name:26s} {what}{gap}")
        return 0
    if not 1 <= args.programs <= MAX_PROGRAMS:
        raise NinjagradError(f"--programs must be 1..{MAX_PROGRAMS}, got {args.programs}")
    if args.seed < 0 or args.start < 0:
        raise NinjagradError("--seed and --start must be non-negative integers")
    if args.time_limit is not None and not args.time_limit > 0:
        raise NinjagradError(f"--time-limit must be a positive number of seconds, got "
                             f"{args.time_limit}")
    if args.max_shrunk < 0:
        raise NinjagradError(f"--max-shrunk must be >= 0, got {args.max_shrunk}")
    try:
        features = enabled_features(args.with_gaps, args.enable, args.disable)
    except ValueError as e:
        raise NinjagradError(str(e)) from None
    import_torch()
    categories = CATEGORIES if args.category == "all" else (args.category,)
    total = args.programs * len(categories)
    interactive = not args.json and sys.stderr.isatty()

    def progress(report, category, i):
        if interactive and (report.programs % 10 == 0 or report.programs == total):
            counts = report.counts[category]
            shown = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o])
            print(f"\r{category}: {i + 1 - args.start}/{args.programs} ({shown})   ",
                  end="", file=sys.stderr, flush=True)

    report = fuzz(categories, args.programs, args.seed, features, time_limit=args.time_limit,
                  max_shrunk=args.max_shrunk, start=args.start, progress=progress)
    if interactive:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(report.asdict(), indent=2))
    else:
        left_out = sorted(set(FEATURES) - features)
        if left_out:
            print(f"left out: {', '.join(left_out)}")
        print(summary(report))
    return 1 if report.mismatches else 0
