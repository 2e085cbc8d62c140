"""``ninjagrad demo``: train the scalar engine's two lecture networks and report."""

from ninjagrad.errors import NinjagradError

HELP = "train the scalar-engine MLPs: the lecture's 4 examples and a two-moons classifier"

PARTS = ("all", "lecture", "moons")
MAX_STEPS = 1_000_000
MAX_MOONS = 10_000


def add_arguments(parser):
    parser.add_argument("--part", default="all",
                        help="which demo to run: all (default), lecture or moons")
    # Numbers are parsed in _check, so a bad value is a NinjagradError (exit 1, one line).
    parser.add_argument("--seed", default="0", help="seed for weights and data (0)")
    parser.add_argument("--lecture-steps", default="100", metavar="N",
                        help="SGD steps on the lecture's 4 examples (100)")
    parser.add_argument("--moons-steps", default="100", metavar="N",
                        help="SGD steps on the two-moons data (100)")
    parser.add_argument("--moons", default="100", metavar="N",
                        help="number of two-moons points (100)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def _integer(flag, text, least, most=None):
    try:
        value = int(text)
    except ValueError:
        raise NinjagradError(f"{flag} must be an integer, got {text!r}") from None
    if value < least:
        raise NinjagradError(f"{flag} must be at least {least}, got {value}")
    if most is not None and value > most:
        raise NinjagradError(f"{flag} must be at most {most:,}, got {value:,}")
    return value


def _check(args):
    if args.part not in PARTS:
        raise NinjagradError(f"--part must be one of {', '.join(PARTS)}, got {args.part!r}")
    args.seed = _integer("--seed", args.seed, 0)
    # Upper bounds catch typos: the scalar engine builds a node per operation, so 10,000
    # points already take seconds per step (and far more points failed to allocate).
    args.lecture_steps = _integer("--lecture-steps", args.lecture_steps, 1, MAX_STEPS)
    args.moons_steps = _integer("--moons-steps", args.moons_steps, 1, MAX_STEPS)
    args.moons = _integer("--moons", args.moons, 2, MAX_MOONS)


def run(args):
    _check(args)
    from ninjagrad.cli.demo_train import LECTURE_XS, LECTURE_YS, train_lecture, train_moons

    progress = not args.no_progress
    if args.part in ("all", "lecture"):
        model, losses = train_lecture(steps=args.lecture_steps, seed=args.seed,
                                      progress=progress)
        print(f"lecture: {model!r}, {len(losses)} steps, squared-error loss "
              f"{losses[0]:.4f} -> {losses[-1]:.4f}")
        for x, y in zip(LECTURE_XS, LECTURE_YS, strict=True):
            print(f"  x = {x!s:<18} target {y:+.0f}  prediction {model(x).data:+.4f}")
    if args.part in ("all", "moons"):
        model, history = train_moons(n=args.moons, steps=args.moons_steps, seed=args.seed,
                                     progress=progress)
        (first_loss, first_acc), (loss, acc) = history[0], history[-1]
        print(f"moons: {model!r} on {args.moons} points, {len(history)} steps, "
              f"max-margin loss {first_loss:.4f} -> {loss:.4f}, "
              f"training accuracy {first_acc:.0%} -> {acc:.0%}")
    return 0
