"""From a learner's submission (a file's source, or a notebook's variables) to a
``Collected``, for each kind of exercise."""

import ast
import builtins
import inspect
import textwrap

import numpy as np

from ninjagrad.dojo import data
from ninjagrad.dojo.collect import (
    Answer,
    Collected,
    collect_lines,
    describe,
    find_function,
    run_module,
    split_backward,
    to_array,
)


def _where(line):
    return f"line {line}" if line else "the file"


def collect_source(exercise, source, filename):
    """Run ``source`` (compiled as ``filename``) and collect its answers."""
    tree = ast.parse(source, filename)
    ns = {"__name__": "__ninjagrad_exercise__", "__file__": filename,
          "__builtins__": builtins}
    if exercise.kind == "lines":
        forward, backward = split_backward(tree, exercise.lines)
        failed = run_module(forward, ns, filename)
        if failed:
            line, exc = failed
            return Collected(fatal=f"the forward part raised at {_where(line)}: "
                                   f"{describe(exc)}")
        if not backward:
            names = ", ".join(line.var for line in exercise.lines)
            return Collected(fatal=f"no line assigns any of {names}")
        return collect_lines(ns, backward, exercise.lines, filename,
                             data.ninja_reference()[2])
    failed = run_module(tree.body, ns, filename)
    if exercise.kind == "micrograd":
        if failed:
            line, exc = failed
            return Collected(fatal=f"{_where(line)} raised {describe(exc)}")
        from ninjagrad.dojo import micrograd_checks

        return micrograd_checks.collect(ns, filename, tree)
    function = find_function(tree, "backward")
    return collect_training(exercise, ns, function, filename, failed)


def collect_training(exercise, ns, function, filename, failed=None):
    """Exercise 4: the lines of ``backward()`` on the first batch, and the loss the
    training run reached (``losses``). ``failed`` is (line, exception) if the run raised."""
    if function is None or "forward" not in ns:
        return Collected(fatal="no functions forward(params, Xb, Yb) and "
                               "backward(params, cache, Xb, Yb) (keep the starter's)")
    args = [a.arg for a in function.args.args]
    params, batches, _ = data.ninja_training()
    Xb, Yb = batches[0]
    try:
        _, cache = ns["forward"](params, Xb, Yb)
    except Exception as exc:  # noqa: BLE001 - the learner's forward
        return Collected(fatal=f"forward() raised {describe(exc)}")
    given = {"params": params, "cache": cache, "Xb": Xb, "Yb": Yb}
    if set(args) != set(given):
        return Collected(fatal=f"backward() takes ({', '.join(args)}); the grader calls it "
                               "as backward(params, cache, Xb, Yb)")
    local = dict(ns)
    local.update(given)
    body = [s for s in function.body if not isinstance(s, ast.Return)
            and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                     and isinstance(s.value.value, str))]
    collected = collect_lines(local, body, exercise.lines[:-1], filename,
                              data.ninja_reference()[2])
    collected.answers["loss"] = _loss_answer(ns, failed)
    return collected


def _loss_answer(ns, failed):
    if failed:
        line, exc = failed
        return Answer("error", line=line, message=f"the training run raised {describe(exc)}")
    losses = ns.get("losses")
    if not isinstance(losses, (list, tuple, np.ndarray)) or len(losses) == 0:
        return Answer("missing", message="no training step ran (losses is empty)")
    if len(losses) != data.TRAIN_STEPS:
        return Answer("error", message=f"trained {len(losses)} steps; the run takes all "
                                       f"{data.TRAIN_STEPS} batches")
    try:
        values = to_array(list(losses), "losses")
    except TypeError as exc:
        return Answer("error", message=str(exc))
    return Answer("value", np.array(data.final_loss(values)))


def collect_namespace(exercise, ns):
    """Answers from a notebook's variables (``globals()``) or a dict of gradients.

    There is no file to re-run, so ``inherits`` is decided by feeding the learner's
    upstream gradients to the reference line (see ``grading``)."""
    if exercise.kind == "micrograd":
        from ninjagrad.dojo import micrograd_checks

        if isinstance(ns, type):
            ns = {"Value": ns}
        V = ns.get("Value")
        filename = getattr(inspect.getmodule(V), "__file__", None) if V else None
        return micrograd_checks.collect(ns, filename)
    if exercise.kind == "training":
        fn = ns.get("backward")
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
            function = find_function(tree, "backward")
            filename = fn.__code__.co_filename
        except (OSError, TypeError, SyntaxError):
            return Collected(fatal="no source for backward() (define it in the notebook or a "
                                   "file, or grade the file with `ninjagrad exercise check`)")
        # the function's line numbers as in its file
        ast.increment_lineno(tree, fn.__code__.co_firstlineno - 1)
        return collect_training(exercise, ns, function, filename)
    answers = {}
    for line in exercise.lines:
        if line.var not in ns or ns[line.var] is Ellipsis:
            answers[line.name] = Answer("missing", message=f"{line.var} is still ..." if
                                        line.var in ns else f"no {line.var} yet")
            continue
        try:
            answers[line.name] = Answer("value", to_array(ns[line.var], line.var))
        except TypeError as exc:
            answers[line.name] = Answer("error", message=str(exc))
        if line.no_loop:
            answers[line.name].note = None  # no code to look at
    return Collected(answers)
