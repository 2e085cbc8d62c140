"""`ninjagrad export`: a trained work dir as safetensors + config.json, for PyTorch."""

HELP = "export a trained model for PyTorch (safetensors with PyTorch parameter names)"


def add_arguments(parser):
    parser.add_argument("-o", "--out-dir", metavar="DIR", required=True,
                        help="where model.safetensors and config.json go")
    parser.add_argument("-w", "--work-dir", metavar="DIR", default="out",
                        help="work dir of 'ninjagrad train' (default: out)")
    parser.add_argument("--format", default="safetensors", choices=("safetensors",),
                        help="file format (default and only: safetensors)")


def run(args):
    import os

    from ninjagrad.makemore import export, workdir

    ckpt, bnmean, bnvar = workdir.load_for_sampling(args.work_dir)
    written = export.export(ckpt, bnmean, bnvar, args.out_dir, args.format)
    print(f"exported the model of {args.work_dir} (step {ckpt.state.step:,}) to "
          f"{os.path.abspath(args.out_dir)}:")
    for path in written:
        print(f"  {os.path.basename(path)}")
    return 0
