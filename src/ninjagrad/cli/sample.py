"""`ninjagrad sample`: words from a model trained by `ninjagrad train`."""

from ninjagrad.errors import NinjagradError

HELP = "print words sampled from a trained work dir"
MAX_SAMPLES = 100_000


def add_arguments(parser):
    parser.add_argument("-o", "--work-dir", metavar="DIR", default="out",
                        help="work dir of 'ninjagrad train' (default: out)")
    parser.add_argument("-n", "--num-samples", type=int, default=20, metavar="N",
                        help="how many words (default: 20)")
    parser.add_argument("--seed", type=int,
                        help="sampling seed (default: the training seed + 10, as in train)")


def run(args):
    import numpy as np

    from ninjagrad.makemore import workdir
    from ninjagrad.makemore.sample import sample_words

    if not 1 <= args.num_samples <= MAX_SAMPLES:
        raise NinjagradError(f"-n must be 1..{MAX_SAMPLES}, got {args.num_samples}")
    if args.seed is not None and args.seed < 0:
        raise NinjagradError(f"--seed must be a non-negative integer, got {args.seed}")
    ckpt, bnmean, bnvar = workdir.load_for_sampling(args.work_dir)
    seed = ckpt.config.seed + workdir.SAMPLE_SEED_OFFSET if args.seed is None else args.seed
    words = sample_words(ckpt.state.params, bnmean, bnvar, ckpt.vocab, ckpt.config.block_size,
                         args.num_samples, np.random.default_rng(seed))
    print("\n".join(words), flush=True)
    return 0
