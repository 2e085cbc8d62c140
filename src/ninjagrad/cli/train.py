"""`ninjagrad train`: the names MLP of makemore part 4, with hand-written backward passes."""

HELP = "train the names MLP with hand-written (or autograd) backward passes"


def add_arguments(parser):
    # Defaults of the model/data flags are None so that --resume can tell which were given;
    # the effective defaults (the lecture's) live in TrainConfig.
    parser.add_argument("-i", "--input-file", metavar="FILE",
                        help="newline-separated word list (default: the built-in 30,000 "
                        "US baby names)")
    parser.add_argument("-o", "--work-dir", metavar="DIR", default="out",
                        help="where the checkpoint, metrics.json and plots go (default: out)")
    parser.add_argument("--max-steps", type=int, metavar="N",
                        help="total training steps, counted from the start (default: 200000)")
    parser.add_argument("--seed", type=int, help="seed for init and batches (default: 2147483647)")
    parser.add_argument("--batch-size", type=int, metavar="N", help="default: 32")
    parser.add_argument("--n-embd", type=int, metavar="N", help="embedding size (default: 10)")
    parser.add_argument("--n-hidden", type=int, metavar="N", help="hidden units (default: 200)")
    parser.add_argument("--block-size", type=int, metavar="N",
                        help="context length in characters (default: 3)")
    parser.add_argument("--learning-rate", type=float, metavar="LR",
                        help="SGD learning rate, divided by 10 from half-way (default: 0.1)")
    parser.add_argument("--backward", metavar="manual|autograd",
                        help="hand-written backward (default) or ninjagrad autograd")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run saved in the work dir")
    parser.add_argument("--allow-data-change", action="store_true",
                        help="with --resume: continue even though the input file changed "
                        "since the checkpoint (same characters, other words)")


def run(args):
    import signal
    import sys

    from ninjagrad.errors import NinjagradError
    from ninjagrad.makemore import workdir

    if args.allow_data_change and not args.resume:
        raise NinjagradError("--allow-data-change only applies with --resume")
    result = workdir.run(args.work_dir, workdir.settings_from_args(args), args.resume,
                         allow_data_change=args.allow_data_change)
    if result.finished:
        return 0
    if result.stop_signal in (None, signal.SIGINT):
        raise KeyboardInterrupt  # "interrupted", exit status 130
    # SIGTERM, SIGHUP: the shell's status for a process they end, 128 + the signal.
    print(f"ninjagrad train: stopped by {signal.Signals(result.stop_signal).name}",
          file=sys.stderr)
    return 128 + result.stop_signal
