"""Run one program on ninjagrad and PyTorch in lockstep and judge the outcome.

After every statement, every variable is compared (value, dtype, shape, requires_grad and
``.grad``), so an in-place update that should show through a view, or a gradient that
lands in the wrong leaf, is caught at the statement that causes it.

Tolerances. The two libraries may round differently, and differences grow with each op and
with cancellation (``a - b`` keeps the absolute error of ``a`` and ``b``). A float element
passes when ``|ours - theirs| <= RTOL * (k + 1) * (|theirs| + scale)``: ``k`` is the
number of statements run so far, ``scale`` the largest finite magnitude any variable or
gradient has reached (the operands' magnitude), and ``RTOL`` a few ulps of the coarsest
float dtype of the program so far (a float64 result computed from float32 ones carries
their rounding). nan must be at the same places, infinities equal; integers and bools
equal. A value beyond this tolerance is still rounding (outcome ``rounding``, not a
mismatch) if the program passes when each float may also differ by a few times what
PyTorch's own rounding moves it (ulp-nudged PyTorch runs and a float64 reference run, see
``fuzz.rounding``): the program amplifies rounding there, as ``1 - tanh(x)**2`` near 1 or
``exp(exp(x))`` do.
"""

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from ninjagrad.errors import NinjagradError

# A few ulps per op of the dtype, relative to the operands' magnitude (see above).
RTOL = {"float32": 4 * 2.0**-23, "float64": 4 * 2.0**-52, "float16": 4 * 2.0**-10}

PASSING = ("pass", "both-raised", "refused", "rounding")

# Exceptions a library may raise to refuse a program clearly; anything else (an
# AttributeError from inside the engine, numpy's or math's own words) is a crash.
CLEAR_ERRORS = (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError,
                NinjagradError)
UNCLEAR_WORDS = ("math domain error", "math range error", "operands could not be broadcast",
                 "has no attribute", "object is not", "NoneType", "ufunc", "numpy",
                 "not subscriptable", "unhashable", "takes from", "positional argument",
                 "unexpected keyword", "not supported between instances", "zero-size array",
                 "no identity")


def import_torch():
    try:
        import torch
    except ImportError:
        raise NinjagradError(
            "the differential fuzzer compares ninjagrad with PyTorch, which is not installed "
            "(pip install torch)") from None
    return torch


def _torch_value(x):
    import torch

    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def namespace(library):
    """The globals a program runs in: ``T``, ``F``, ``Function``, ``Value``."""
    if library == "torch":
        torch = import_torch()
        from torch.nn import functional

        return {"T": torch, "F": functional, "Function": torch.autograd.Function,
                "Value": _torch_value}
    import ninjagrad
    import ninjagrad.functional

    return {"T": ninjagrad, "F": ninjagrad.functional, "Function": ninjagrad.Function,
            "Value": ninjagrad.Value}


BASE_NAMES = frozenset(("T", "F", "Function", "Value", "__builtins__"))


@dataclass(frozen=True)
class Outcome:
    """How a program ended.

    ``kind``: 'pass', 'both-raised', 'refused' (ninjagrad raised a clear error where PyTorch
    did not: allowed), 'rounding' (a float difference within what rounding alone moves
    PyTorch's value) or 'mismatch'. ``what`` says which part differed for a mismatch
    ('value', 'dtype', 'shape', 'requires_grad', 'grad', 'torch-raised', 'unclear-error');
    ``statement`` is the index of the statement after which it was seen.
    """

    kind: str
    what: str = ""
    statement: int = -1
    detail: str = ""
    finite: bool = True  # every float PyTorch computed (values, grads) was finite
    excess: float = math.inf  # for a value difference: how many tolerances it is

    @property
    def ok(self):
        return self.kind in PASSING

    @property
    def key(self):
        """What the shrinker keeps: a failure of the same kind."""
        return (self.kind, self.what)

    def __str__(self):
        where = f" after statement {self.statement + 1}" if self.statement >= 0 else ""
        what = f" ({self.what})" if self.what else ""
        return f"{self.kind}{what}{where}: {self.detail}" if self.detail else self.kind


def _error_text(e):
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:200]


def is_clear(e):
    """A refusal that tells the user what is wrong (see CLEAR_ERRORS)."""
    return isinstance(e, CLEAR_ERRORS) and not any(w in str(e) for w in UNCLEAR_WORDS)


@functools.lru_cache(maxsize=4096)  # a program's statements run 2 to 4 times
def _compile(text):
    return compile(text, "<fuzz program>", "exec")


def run_program(program, reference=None, library="ninjagrad", rounding=None):
    """Run ``program`` on ``library`` and ``reference`` (default: the same program) on
    PyTorch, statement by statement; the raw Outcome. ``rounding`` (a seed): also run the
    PyTorch runs of ``fuzz.rounding`` alongside and allow a float difference as large as
    the rounding they show."""
    reference = reference or program
    ours, theirs = namespace(library), namespace("torch")
    others = [] if rounding is None else _rounding_runs(program, rounding)
    tracker = _Tolerance()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for i, (statement, ref) in enumerate(zip(program.statements, reference.statements,
                                                 strict=True)):
            errors = {}
            for name, ns, s in (("torch", theirs, ref), ("ninjagrad", ours, statement)):
                try:
                    exec(_compile(s.text), ns)  # noqa: S102 - the fuzzer runs its programs
                except Exception as e:  # noqa: BLE001 - every failure is an outcome
                    errors[name] = e
            if errors:
                return _raised(errors, i, tracker.finite)
            others = [run for run in others if run.step(i)]
            only = _assigned(statement)
            last = i == len(program.statements) - 1
            diff = compare_namespaces(ours, theirs, tracker, i, None if last else only,
                                      [run.ns for run in others])
            if diff is not None:
                return Outcome("mismatch", diff[0], i, diff[1], tracker.finite,
                               tracker.excess)
    return Outcome("pass", finite=tracker.finite)


class _RoundingRun:
    """One PyTorch run of ``fuzz.rounding`` (ulp-nudged, or the float64 reference)."""

    def __init__(self, program, context):
        self.program, self.context, self.ns = program, context, namespace("torch")

    def step(self, i):
        """Run statement ``i``; False if it raised (the run then stops counting)."""
        try:
            with self.context():
                exec(_compile(self.program.statements[i].text), self.ns)  # noqa: S102
        except Exception:  # noqa: BLE001 - a run that fails only shows no rounding
            return False
        return True


def _rounding_runs(program, seed):
    from ninjagrad.check.fuzz import rounding

    runs = [_RoundingRun(program, functools.partial(rounding.nudging, seed * 1000 + k))
            for k in range(rounding.NUDGED_RUNS)]
    runs.append(_RoundingRun(program.float64(), rounding.float64_default))
    return runs


def _assigned(statement):
    """The one name a plain ``name = expression`` statement binds (it changes nothing
    else, so only that name needs comparing), or None for any other statement (an
    in-place update, backward, a block: everything is compared)."""
    defines = getattr(statement, "defines", None)
    if defines is None:
        return (statement.name,)  # a leaf
    if len(defines) == 1 and statement.text.startswith(defines[0] + " = "):
        return defines
    return None


def _raised(errors, i, finite):
    ours, theirs = errors.get("ninjagrad"), errors.get("torch")
    if ours is not None and theirs is not None:
        return Outcome("both-raised", "", i,
                       f"{_error_text(theirs)} | ninjagrad {_error_text(ours)}", finite)
    if theirs is not None:
        return Outcome("mismatch", "torch-raised", i,
                       f"PyTorch raised {_error_text(theirs)}; ninjagrad did not", finite)
    if is_clear(ours):
        return Outcome("refused", "", i, _error_text(ours), finite)
    return Outcome("mismatch", "unclear-error", i,
                   f"ninjagrad raised {_error_text(ours)} where PyTorch succeeded", finite)


def check_program(program, seed=0):
    """The judged Outcome: ``run_program``, and for a difference in values the rounding
    check of ``fuzz.rounding``: the outcome is 'rounding' if the program passes when each
    float may differ from PyTorch's by a few times what PyTorch's own rounding moves it.
    Otherwise the outcome names the first difference that rounding does not explain.
    """
    outcome = run_program(program)
    if outcome.kind == "mismatch" and outcome.what in ("value", "grad"):
        again = run_program(program, rounding=seed)
        if again.ok:
            return Outcome("rounding", outcome.what, outcome.statement, outcome.detail,
                           outcome.finite)
        return again  # the first difference rounding does not explain
    return outcome


# ------------------------------------------------------------------------------ comparing
class _Tolerance:
    """Tracks ``scale``: the largest finite magnitude seen so far on the PyTorch side."""

    def __init__(self):
        self.scale = 0.0
        self.rtol = 0.0
        self.finite = True
        self.excess = math.inf

    def see(self, array):
        if array.dtype.kind == "f":
            self.rtol = max(self.rtol, RTOL.get(array.dtype.name, RTOL["float16"]))
        if array.dtype.kind == "f" and array.size:
            ok = np.isfinite(array)
            finite = np.abs(array[ok])
            if finite.size < array.size:
                self.finite = False
            if finite.size:
                self.scale = max(self.scale, float(finite.max()))


def _is_torch_tensor(x):
    return type(x).__module__.startswith("torch") and hasattr(x, "untyped_storage")


def _dtype_name(dtype, names={}):  # noqa: B006 - a deliberate cache
    name = names.get(dtype)
    if name is None:
        name = str(dtype)
        name = names[dtype] = name[6:] if name.startswith("torch.") else np.dtype(dtype).name
    return name


def compare_namespaces(ours, theirs, tracker, step, only=None, others=()):
    """The first difference between the variables of the two runs (or the ``only`` ones),
    or None. ``others``: namespaces of rounding runs (see ``fuzz.rounding``)."""
    if only is None:
        names = [n for n in theirs if n not in BASE_NAMES and not n.startswith("__")]
    else:
        names = [n for n in only if n in theirs]
    # see the new magnitudes first, so the tolerance of this step knows the operands
    for n in names:
        for array in _arrays(theirs[n]):
            tracker.see(array)
    for n in names:
        if n not in ours:
            return "value", f"`{n}` is defined on PyTorch only"
        diff = compare(n, ours[n], theirs[n], tracker, step,
                       [o[n] for o in others if n in o])
        if diff is not None:
            return diff
    return None


def _arrays(x):
    if _is_torch_tensor(x):
        yield x.detach().numpy()
        grad = _torch_grad(x)
        if grad is not None:
            yield grad.detach().numpy()
    elif isinstance(x, tuple):
        for item in x:
            yield from _arrays(item)


def _torch_grad(x):
    if x.is_leaf or x.retains_grad:
        return x.grad
    return None


def _is_tensor(x):
    from ninjagrad import Tensor

    return isinstance(x, Tensor) or _is_torch_tensor(x)


def _grad(x):
    return _torch_grad(x) if _is_torch_tensor(x) else x.grad


def compare(path, ours, theirs, tracker, step, others=()):
    """Compare one variable; None if equal, else ``(what, detail)``. ``others``: the same
    variable in the rounding runs (see ``fuzz.rounding``)."""
    if _is_torch_tensor(theirs):
        from ninjagrad import Value

        others = [o for o in others if _is_torch_tensor(o) and o.shape == theirs.shape]
        if isinstance(ours, Value):
            return _compare_value(path, ours, theirs, tracker, step, others)
        if not _is_tensor(ours):
            return "value", f"`{path}` is a {type(ours).__name__} here, a tensor in PyTorch"
        return _compare_tensor(path, ours, theirs, tracker, step, others)
    if isinstance(theirs, tuple):
        if not isinstance(ours, tuple) or len(ours) != len(theirs):
            return "value", f"`{path}`: {ours!r} vs PyTorch {theirs!r}"
        others = [o for o in others if isinstance(o, tuple) and len(o) == len(theirs)]
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            diff = compare(f"{path}[{i}]", a, b, tracker, step, [o[i] for o in others])
            if diff is not None:
                return diff
        return None
    if isinstance(theirs, (int, float)) and not isinstance(theirs, bool):
        if not isinstance(ours, (int, float)):
            return "value", f"`{path}`: {ours!r} vs PyTorch {theirs!r}"
        return _numbers(path, "value", np.array(ours, dtype=float),
                        np.array(theirs, dtype=float), "float64", tracker, step,
                        [np.array(o, dtype=float) for o in others
                         if isinstance(o, (int, float))])
    if isinstance(theirs, type) or callable(theirs):
        return None  # Function subclasses, helpers
    if ours != theirs:
        return "value", f"`{path}`: {ours!r} vs PyTorch {theirs!r}"
    return None


def _compare_tensor(path, ours, theirs, tracker, step, others=()):
    shape, tshape = tuple(ours.shape), tuple(theirs.shape)
    if shape != tshape:
        return "shape", f"`{path}` has shape {shape}, PyTorch {tshape}"
    dtype, tdtype = _dtype_name(ours.dtype), _dtype_name(theirs.dtype)
    if dtype != tdtype:
        return "dtype", f"`{path}` is {dtype}, PyTorch {tdtype}"
    if bool(ours.requires_grad) != bool(theirs.requires_grad):
        return "requires_grad", (f"`{path}`.requires_grad is {ours.requires_grad}, "
                                 f"PyTorch {theirs.requires_grad}")
    diff = _numbers(path, "value", np.asarray(ours.detach().numpy()),
                    theirs.detach().numpy(), dtype, tracker, step,
                    [o.detach().numpy() for o in others])
    if diff is not None:
        return diff
    grad, tgrad = _grad(ours), _torch_grad(theirs)
    if (grad is None) != (tgrad is None):
        return "grad", (f"`{path}`.grad is {'None' if grad is None else 'set'}, PyTorch "
                        f"{'None' if tgrad is None else 'set'}")
    if grad is None:
        return None
    if tuple(grad.shape) != tuple(tgrad.shape) or _dtype_name(grad.dtype) != _dtype_name(
            tgrad.dtype):
        return "grad", (f"`{path}`.grad is {_dtype_name(grad.dtype)} {tuple(grad.shape)}, "
                        f"PyTorch {_dtype_name(tgrad.dtype)} {tuple(tgrad.shape)}")
    grads = (_torch_grad(o) for o in others)
    return _numbers(f"{path}.grad", "grad", np.asarray(grad.detach().numpy()),
                    tgrad.detach().numpy(), dtype, tracker, step,
                    [g.detach().numpy() for g in grads if g is not None])


def _compare_value(path, ours, theirs, tracker, step, others=()):
    diff = _numbers(path, "value", np.array(ours.data), theirs.detach().numpy(), "float64",
                    tracker, step, [o.detach().numpy() for o in others])
    if diff is not None or not theirs.is_leaf:
        return diff
    tgrad = 0.0 if theirs.grad is None else theirs.grad.item()
    return _numbers(f"{path}.grad", "grad", np.array(ours.grad), np.array(tgrad), "float64",
                    tracker, step, [np.array(0.0 if o.grad is None else o.grad.item())
                                    for o in others])


def _numbers(path, what, a, b, dtype, tracker, step, others=()):
    """Elementwise comparison of two arrays of equal shape (see the module docstring);
    ``others``: the rounding runs' arrays, which widen the tolerance (``fuzz.rounding``)."""
    a = a.astype(np.float64) if a.dtype.kind == "f" else a
    b = b.astype(np.float64) if b.dtype.kind == "f" else b
    if a.shape != b.shape:
        return what, f"`{path}` has shape {a.shape}, PyTorch {b.shape}"
    if np.array_equal(a, b, equal_nan=a.dtype.kind == "f" and b.dtype.kind == "f"):
        return None  # the common case, and fast
    if b.dtype.kind != "f" or a.dtype.kind != "f":
        bad = a != b
        if np.any(bad):
            return what, _show(path, a, b, bad)
        return None
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    inf = np.isinf(a) | np.isinf(b)
    nan_differs, inf_differs = nan_a != nan_b, inf & (a != b)
    if len(others) and np.any(nan_differs | inf_differs):
        # a rounding run that ends where ours does (nan, or the same infinity): rounding
        # alone moved a value across an edge (below 0 before a log, beyond float range)
        same = _reached_by_rounding(a, others)
        nan_differs &= ~same
        inf_differs &= ~same
    if np.any(nan_differs):
        return what, _show(path, a, b, nan_differs, "nan at different places: ")
    if np.any(inf_differs):
        return what, _show(path, a, b, inf_differs, "infinities differ: ")
    finite = ~(nan_a | nan_b | inf)
    # the coarsest float dtype so far sets the tolerance: a float64 result computed from
    # float32 ones carries their rounding
    rtol = max(RTOL.get(dtype, RTOL["float32"]), tracker.rtol)
    tol = rtol * (step + 1) * (np.abs(b) + tracker.scale)
    bad = finite & (np.abs(a - b) > tol)
    if np.any(bad) and len(others):
        bad &= np.abs(a - b) > tol + _rounding_spread(b, others)
    if np.any(bad):
        tracker.excess = float(np.max(np.abs(a - b)[bad] / tol[bad]))
        return what, _show(path, a, b, bad)
    return None


def _reached_by_rounding(a, others):
    """Where some rounding run has exactly our value (nan included)."""
    same = np.zeros(a.shape, dtype=bool)
    for o in others:
        o = np.asarray(o, dtype=np.float64)
        if o.shape == a.shape:
            same |= (o == a) | (np.isnan(o) & np.isnan(a))
    return same


def _rounding_spread(b, others):
    """SPREAD times the largest distance of the rounding runs from PyTorch's values ``b``
    (infinite where rounding alone turns a finite value into inf or nan)."""
    from ninjagrad.check.fuzz.rounding import SPREAD

    spread = np.zeros(b.shape)
    for o in others:
        o = np.asarray(o, dtype=np.float64)
        if o.shape == b.shape:
            with np.errstate(invalid="ignore"):
                d = np.abs(o - b)
            spread = np.maximum(spread, np.where(np.isnan(d), np.inf, d))
    return SPREAD * spread


def _show(path, a, b, bad, prefix=""):
    where = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
    x, y = a[where] if a.ndim else a.item(), b[where] if b.ndim else b.item()
    at = f"[{', '.join(map(str, where))}]" if where else ""
    x, y = (float(x), float(y)) if a.dtype.kind == "f" else (x, y)
    rel = ""
    if isinstance(x, float) and math.isfinite(x) and math.isfinite(y):
        rel = f" (difference {abs(x - y):.3g})"
    return f"{prefix}`{path}`{at} is {x!r}, PyTorch {y!r}{rel}"
