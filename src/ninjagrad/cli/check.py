"""`ninjagrad check`: the backprop-ninja gradient table, hand-written vs autograd."""

from ninjagrad.errors import NinjagradError

HELP = "compare the hand-written gradients with ninjagrad's autograd and PyTorch"


def add_arguments(parser):
    parser.add_argument("-i", "--input-file", metavar="FILE",
                        help="word list to draw the batch from (default: the built-in names)")
    parser.add_argument("--seed", type=int, default=42, help="seed for init and batch (42)")
    parser.add_argument("--n-hidden", type=int, default=64, metavar="N",
                        help="hidden units (default: 64, as in the lecture's exercises)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="default: 32")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args):
    import dataclasses
    import json

    from ninjagrad.check.compare import format_table
    from ninjagrad.makemore.check import TOLERANCES, as_json, check_gradients, explain
    from ninjagrad.makemore.data import load_dataset

    if args.seed < 0:
        raise NinjagradError(f"--seed must be a non-negative integer, got {args.seed}")
    if not 1 <= args.n_hidden <= 4096:
        raise NinjagradError(f"--n-hidden must be 1..4096, got {args.n_hidden}")
    if not 2 <= args.batch_size <= 4096:
        raise NinjagradError(f"--batch-size must be 2..4096 (batchnorm divides by n - 1), "
                             f"got {args.batch_size}")
    dataset = load_dataset(args.input_file)
    sections = check_gradients(dataset.Xtr, dataset.Ytr, dataset.vocab.size, seed=args.seed,
                               n_hidden=args.n_hidden, batch_size=args.batch_size)
    summary = as_json(sections)
    if args.json:
        summary["settings"] = {"input_file": dataset.source, "seed": args.seed,
                               "n_hidden": args.n_hidden, "batch_size": args.batch_size}
        print(json.dumps(summary, indent=2))
        return 0 if summary["ok"] else 1

    print(f"hand-written gradients vs autograd: one batch of {args.batch_size} from "
          f"{dataset.source}, n_embd 10, n_hidden {args.n_hidden}, block_size 3, "
          f"seed {args.seed}")
    print("rows: exercise 1 intermediates, then logits (ex. 2), hprebn (ex. 3) and the "
          "parameters of the fused training step (ex. 4)")
    groups = {}
    for s in sections:
        groups.setdefault((s["reference"], s["dtype"]), []).append(s)
    if not any(ref == "torch" for ref, _ in groups):
        print("(PyTorch is not installed: comparing with ninjagrad's autograd only)")
    for (ref, dtype), group in groups.items():
        records, notes = [], {}
        for s in group:
            for r in s["records"]:
                name = r.name if s["exercise"] == 1 else f"{r.name} (ex. {s['exercise']})"
                records.append(dataclasses.replace(r, name=name))
                why = explain(s, r)
                if why:
                    notes.setdefault(why, []).append(name)
        label = "ninjagrad autograd" if ref == "ninjagrad" else "PyTorch autograd"
        tol = TOLERANCES[dtype]
        print(f"\n== vs {label}, {dtype} (approx: rtol {tol['rtol']:g}, atol {tol['atol']:g}) ==")
        print(format_table(records))
        for why, names in notes.items():
            shown = ", ".join(names) if len(names) <= 6 else f"{len(names)} rows"
            print(f"not exact ({shown}): {why}")
    print("\nall approximately equal" if summary["ok"] else "\nSOME GRADIENTS DIFFER")
    return 0 if summary["ok"] else 1
