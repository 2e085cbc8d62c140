"""Scalar engine benchmark: ninjagrad's Value against micrograd 0.1.0, same workloads.

    pip install -e '.[bench]'          # installs the peer, micrograd==0.1.0
    python benchmarks/scalar.py        # full run (a few minutes)
    python benchmarks/scalar.py --quick

Every figure is measured in a fresh Python process per engine and workload, with the
garbage collector on (what users see) and off (pure interpreter cost). The timed
workloads run ``--rounds`` times (default 3), the engines taking turns, and each figure
is the median over its rounds:

* train: one full-batch step (forward, backward, SGD) of MLP(2, [16, 16, 1]) on 100
  two-moons points with micrograd demo's max-margin loss and L2 term;
* build / backward: a 200,000-node expression of ``+`` and ``*`` (products of leaves
  summed pairwise), time per node to build it and to backpropagate through it;
* bytes/node: memory held per node after building and after backward (tracemalloc);
* depth: the deepest chain ``x = x + leaf`` that backpropagates (ninjagrad: 1,000,000
  is shown to work; micrograd: its limit is searched for).

Ratios are micrograd / ninjagrad, so bigger is better for ninjagrad.
"""

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time

ENGINES = ("ninjagrad", "micrograd")


def load(engine):
    """``(Value, MLP)`` of an engine: the installed package, never vendored code."""
    if engine == "ninjagrad":
        from ninjagrad.scalar.nn import MLP
        from ninjagrad.scalar.value import Value
    else:
        from micrograd.engine import Value
        from micrograd.nn import MLP
    return Value, MLP


# --- workloads, each run inside a worker process -------------------------------------


def work_train(engine, size):
    """Seconds per training step: the median of ``size`` steps after one warm-up step.

    The median, not the best: the collector's full collections land in some steps and
    not others, and a user pays for all of them.
    """
    from ninjagrad.cli.demo import make_moons, max_margin_loss

    Value, MLP = load(engine)
    random.seed(1337)  # micrograd draws its initial weights from the random module
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    X, y = make_moons(100, noise=0.1, seed=0)
    rows, ys = X.tolist(), y.tolist()

    def step(k):
        inputs = [[Value(a), Value(b)] for a, b in rows]
        loss, _ = max_margin_loss(model, inputs, ys)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad

    step(0)
    times = []
    for k in range(1, size + 1):
        start = time.perf_counter()
        step(k)  # the graph is freed when step returns, as in a training loop
        times.append(time.perf_counter() - start)
    return {"s/step": statistics.median(times)}


def build_expression(Value, leaves, n_products):
    """Products of leaf pairs, then summed pairwise: 2 * n_products - 1 nodes, shallow."""
    k = len(leaves)
    terms = [leaves[i % k] * leaves[(7 * i + 3) % k] for i in range(n_products)]
    while len(terms) > 1:
        pairs = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = pairs + terms[len(terms) - len(terms) % 2 :]
    return terms[0]


def work_nodes(engine, size, repeats=3):
    """Microseconds per node to build, and to backpropagate through, a ``size``-node
    expression: the best of ``repeats`` fresh graphs (the machine may be busy)."""
    Value, _ = load(engine)
    leaves = [Value(random.uniform(-1, 1)) for _ in range(1000)]
    n_products = (size + 1) // 2
    nodes = 2 * n_products - 1
    build = backward = float("inf")
    for _ in range(repeats):
        root = None  # free the previous graph before timing the next one
        start = time.perf_counter()
        root = build_expression(Value, leaves, n_products)
        built = time.perf_counter()
        root.backward()
        done = time.perf_counter()
        build, backward = min(build, built - start), min(backward, done - built)
    return {"us/node built": build / nodes * 1e6, "us/node backward": backward / nodes * 1e6}


def work_memory(engine, size):
    """Bytes per node held by a ``size``-node expression, after building and after backward."""
    import tracemalloc

    Value, _ = load(engine)
    leaves = [Value(random.uniform(-1, 1)) for _ in range(1000)]
    n_products = (size + 1) // 2
    nodes = 2 * n_products - 1
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    root = build_expression(Value, leaves, n_products)
    built = tracemalloc.get_traced_memory()[0] - base
    root.backward()
    gc.collect()  # count what the graph holds, not garbage waiting for the collector
    after = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return {"bytes/node built": built / nodes, "bytes/node after backward": after / nodes}


def chain_backprops(Value, depth):
    """Build ``x = x + leaf`` ``depth`` times and backpropagate; True if that worked."""
    leaf = Value(1.0)
    x = Value(0.0)
    for _ in range(depth):
        x = x + leaf
    try:
        x.backward()
    except RecursionError:
        return False
    return leaf.grad == depth


def work_depth(engine, size):
    """Deepest chain that backpropagates: ``size`` is tried first, then halved and searched."""
    Value, _ = load(engine)
    start = time.perf_counter()
    if chain_backprops(Value, size):
        return {"depth": size, "depth s": time.perf_counter() - start, "depth limit": False}
    lo, hi = 1, size  # lo works, hi fails
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if chain_backprops(Value, mid):
            lo = mid
        else:
            hi = mid
    return {"depth": lo, "depth s": None, "depth limit": True}


WORKLOADS = {"train": work_train, "nodes": work_nodes, "memory": work_memory, "depth": work_depth}


def worker(engine, workload, gc_on, size):
    if not gc_on:
        gc.disable()
    result = WORKLOADS[workload](engine, size)
    print(json.dumps(result))


# --- the driver: one fresh process per (engine, workload, gc) -------------------------


def measure(engine, workload, gc_on, size):
    cmd = [sys.executable, __file__, "--worker", engine, workload,
           "on" if gc_on else "off", str(size)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        return {"error": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_rounds(workload, gc_on, size, rounds):
    """Each engine's figures over ``rounds`` alternating fresh processes, as medians.

    The engines take turns, so a change in the machine's speed during the run (other
    load, a throttled CPU) reaches both of them instead of skewing the ratio.
    """
    runs = {e: [] for e in ENGINES}
    for _ in range(rounds):
        for engine in ENGINES:
            runs[engine].append(measure(engine, workload, gc_on, size))
    results = {}
    for engine, rs in runs.items():
        failed = [r for r in rs if "error" in r]
        if failed:
            results[engine] = failed[0]
            continue
        results[engine] = {
            key: statistics.median(r[key] for r in rs) if isinstance(rs[0][key], float)
            else rs[0][key]
            for key in rs[0]
        }
    return results


def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:.3g}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating fresh processes per engine for the timed workloads; "
                             "the median is shown (default 3)")
    parser.add_argument("--worker", nargs=4, metavar=("ENGINE", "WORKLOAD", "GC", "SIZE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        engine, workload, gc_mode, size = args.worker
        worker(engine, workload, gc_mode == "on", int(size))
        return 0
    try:
        import micrograd  # noqa: F401
    except ImportError:
        sys.exit("benchmarks/scalar.py needs the peer: pip install -e '.[bench]' "
                 "(micrograd==0.1.0)")

    sizes = {"train": 2 if args.quick else 9, "nodes": 20_000 if args.quick else 200_000,
             "memory": 20_000 if args.quick else 200_000,
             "depth": 100_000 if args.quick else 1_000_000}
    print(f"Python {sys.version.split()[0]}; ratio = micrograd / ninjagrad (higher is better)")
    print(f"{'workload':<28}{'gc':>4}{'ninjagrad':>12}{'micrograd':>12}{'ratio':>9}")
    plan = [("train", True), ("train", False), ("nodes", True), ("nodes", False),
            ("memory", True), ("depth", True)]
    for workload, gc_on in plan:
        # memory and depth do not depend on the machine's speed: one round is enough
        rounds = args.rounds if workload in ("train", "nodes") else 1
        results = measure_rounds(workload, gc_on, sizes[workload], max(1, rounds))
        mine, peer = results["ninjagrad"], results["micrograd"]
        if "error" in mine or "error" in peer:
            print(f"{workload:<28}{'on' if gc_on else 'off':>4}  "
                  f"ninjagrad: {mine.get('error', 'ok')}  micrograd: {peer.get('error', 'ok')}")
            continue
        for key in mine:
            if key in ("depth s", "depth limit"):
                continue
            a, b = mine[key], peer[key]
            if key == "depth":
                ours = f"{a:,}" + (" (limit)" if mine["depth limit"] else "")
                theirs = f"{b:,}" + (" (limit)" if peer["depth limit"] else "")
                print(f"{'deepest chain backpropagated':<28}{'on':>4}{ours:>12}{theirs:>12}"
                      f"{a / b:>8.0f}x")
                if not mine["depth limit"]:
                    print(f"  (ninjagrad: {a:,} tried and backpropagated in "
                          f"{mine['depth s']:.1f} s including the build; not a limit)")
                continue
            ratio = b / a if a else float("inf")
            print(f"{key:<28}{'on' if gc_on else 'off':>4}{fmt(a):>12}{fmt(b):>12}"
                  f"{ratio:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
