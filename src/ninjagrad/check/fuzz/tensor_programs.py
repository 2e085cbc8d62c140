"""Tensor programs: the 'tensor', 'inplace' and 'function' categories.

Every proposal method reads the live variables' shapes, dtypes, values and aliasing from
the PyTorch run of the program so far and returns whether it added a statement. In-place
updates keep to tensors that no op has used and no other variable views, unless the known
gaps ``inplace_after_use`` / ``view_aliasing`` are switched on.
"""

import re

import numpy as np

from ninjagrad.check.fuzz.function_templates import FUNCTION_TEMPLATES
from ninjagrad.check.fuzz.generate import MAX_ATTEMPTS, SCALARS, _Generator
from ninjagrad.check.fuzz.program import Leaf, Statement

SPECIAL = (0.0, -0.0, 1e4, -1e4, 1e-4, float("inf"), -float("inf"), float("nan"))
HUGE = 1e15  # larger results are the 'huge_values' feature
# results whose backward needs no values (so an in-place change of them is harmless)
LINEAR = re.compile(r"^(-?\w+|\w+ [+-] [\w.-]+|[\w.-]+ [+-] \w+)$")
# views: they read nothing that a backward needs
VIEW = re.compile(r"^\w+ = \w+(\[[^\[\]]*\]|\.T|\.(view|reshape|t|transpose|permute|"
                  r"squeeze|unsqueeze|detach)\(.*\))$")
# features whose statements PyTorch refuses: kept at REFUSAL_RATE (INVALID_RATE otherwise)
REFUSAL_GAPS = frozenset(("inplace_leaf_zero_fill", "inplace_shape_change",
                          "inplace_dtype_change"))


def _storage(t):
    """The storage a torch tensor lives in (an empty one has none: its own identity)."""
    return t.untyped_storage().data_ptr() if t.numel() else ("empty", id(t))


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


class TensorGenerator(_Generator):
    """Programs over tensors: 'tensor' (ops and views), 'inplace' (plus in-place updates),
    'function' (plus custom Function subclasses)."""

    def __init__(self, category, rng, features, origin):
        super().__init__(category, rng, features, origin)
        self.names = []  # live tensor variables, oldest first
        self.leaves = set()  # the names made from literal data
        self.used = set()  # storages some op has read (in-place on them is "after use")
        self.functions = []  # Function templates defined in this program
        self.forward_start = 0

    # -------------------------------------------------------------- facts from PyTorch
    def val(self, name):
        return self.ns[name]

    def is_float(self, name):
        return self.val(name).dtype.is_floating_point

    def finite(self, name):
        import torch

        return bool(torch.isfinite(self.val(name)).all()) if self.is_float(name) else True

    def values(self, name):
        return self.val(name).detach().double().numpy()

    def pick(self, pred=lambda n: True):
        """A live variable satisfying ``pred``, recent ones more likely (None if none)."""
        names = [n for n in self.names if pred(n)]
        if not names:
            return None
        weights = np.arange(1, len(names) + 1, dtype=float) ** 1.5
        return names[int(self.rng.choice(len(names), p=weights / weights.sum()))]

    # -------------------------------------------------------------------- leaves
    def leaf_data(self, shape, dtype):
        if dtype == "int64":
            return np.asarray(self.rng.integers(-3, 4, size=shape), dtype=np.int64)
        data = np.asarray(np.round(self.rng.normal(0.0, 1.5, size=shape), 2))
        data[data == 0] = 0.5  # an exact 0 is a domain edge (log, division, relu')
        if dtype == "float64" and not self.has("float64_literals"):
            data = np.asarray(np.round(data * 64) / 64)  # exact in float32 too
            data[data == 0] = 0.5
        if self.has("special_values") and data.size and self.chance(0.3):
            mask = self.rng.random(shape) < 0.3
            data[mask] = self.rng.choice(SPECIAL, size=int(mask.sum()))
        return data

    def leaf_dtype(self):
        options = ["float32"] * 6
        if self.has("float64"):
            options += ["float64"] * 2
        if self.has("int64"):
            options += ["int64"]
        return self.choice(options)

    def new_leaf(self, shape, dtype=None, requires_grad=None, prefix=None):
        dtype = dtype or self.leaf_dtype()
        if requires_grad is None:
            requires_grad = dtype != "int64" and self.chance(0.8)
        name = self.fresh(prefix or ("a" if requires_grad else "c"))
        leaf = Leaf(name, self.leaf_data(shape, dtype), dtype, requires_grad)
        return leaf

    def base_shape(self):
        ndim = int(self.rng.choice([0, 1, 2, 2, 3, 3]))
        sizes = [1, 2, 3, 3, 4]
        shape = [int(self.choice(sizes)) for _ in range(ndim)]
        if self.has("empty") and ndim and self.chance(0.1):
            shape[int(self.rng.integers(ndim))] = 0
        return tuple(shape)

    def broadcast_shape(self, shape):
        """A shape that broadcasts with ``shape``: a suffix of it with some sizes 1."""
        keep = int(self.rng.integers(0, len(shape) + 1))
        suffix = list(shape[len(shape) - keep:])
        for i in range(len(suffix)):
            if self.chance(0.3):
                suffix[i] = 1
        return tuple(suffix)

    def add(self, statements, defines=(), refusal=False):
        ok = self.run(statements, refusal)
        if ok:
            for s in statements:
                if isinstance(s, Leaf):
                    self.names.append(s.name)
                    self.leaves.add(s.name)
                elif not VIEW.match(s.text):  # a view reads nothing its backward needs
                    for n in s.uses:
                        t = self.ns.get(n)
                        if hasattr(t, "untyped_storage") and _storage(t):
                            self.used.add(_storage(t))
            for name in defines:
                t = self.ns.get(name)
                if hasattr(t, "untyped_storage"):
                    self.names.append(name)
                    # PyTorch saves the output of exp, tanh, softmax ... for backward:
                    # changing it in place is then a change after use
                    if t.grad_fn is not None and _saves_result(t.grad_fn) and _storage(t):
                        self.used.add(_storage(t))
        return ok

    def acceptable(self, name):
        """Without special values, results stay finite (inf/nan come in only by choice),
        and without huge values below HUGE in magnitude."""
        if not (self.has("special_values") or self.has("domain_edges") or self.finite(name)):
            return False
        if self.has("huge_values") or not self.is_float(name):
            return True
        return not bool((self.val(name).detach().abs() > HUGE).any())

    def op(self, text, uses, name=None, refusal=False):
        """Propose ``name = text``: kept if PyTorch runs it and the result is acceptable."""
        name = name or self.fresh()
        stmt = Statement(f"{name} = {text}", (name,), tuple(uses))
        snapshot = dict(self.ns), list(self.prog.statements)
        if not self.add([stmt], (name,), refusal):
            return False
        t = self.ns.get(name)
        if getattr(t, "requires_grad", False) and not LINEAR.match(text) and _storage(t) \
                and not VIEW.match(stmt.text):
            # ninjagrad's backward may read this result (0.5 / x reads it), so changing
            # it in place counts as a change after use even where PyTorch's does not
            self.used.add(_storage(t))
        if not self.ended and name in self.names and not self.acceptable(name):
            self.ns.clear()
            self.ns.update(snapshot[0])
            self.prog.statements[:] = snapshot[1]
            self.names.remove(name)
            return False
        return True

    # ------------------------------------------------------------------ the program
    def program(self):
        base = self.base_shape()
        for _ in range(int(self.rng.integers(1, 4))):
            self.add([self.new_leaf(self.broadcast_shape(base) if self.names else base)])
        if self.prog.category == "function":
            self.define_functions()
        self.forward_start = len(self.prog.statements)
        target = int(self.rng.integers(3, 16))
        proposals = self.proposals()
        weights = np.array([w for w, _ in proposals], dtype=float)
        done = attempts = 0
        while done < target and attempts < MAX_ATTEMPTS and not self.ended:
            attempts += 1
            _, propose = proposals[int(self.rng.choice(len(proposals), p=weights / weights.sum()))]
            if propose():
                done += 1
        if not self.ended:
            self.finish()
        return self.prog

    def proposals(self):
        """(weight, method) pairs of the statements this category may propose."""
        table = [(6, self.binary), (4, self.unary), (1, self.power), (1, self.conversion)]
        if self.has("reductions"):
            table.append((3, self.reduction))
        if self.has("matmul"):
            table.append((1.5, self.matmul))
        if self.has("views"):
            table.append((3, self.view))
        if self.has("advanced_index"):
            table.append((1, self.advanced_index))
        if self.has("cat_stack"):
            table.append((1, self.cat_stack))
        if self.has("softmax"):
            table.append((1, self.softmax))
        if self.has("comparisons"):
            table.append((0.5, self.comparison))
        if self.has("data_read") and self.prog.category != "function":
            table.append((2, self.data_read))  # (function programs are about Functions)
        if self.prog.category == "inplace":
            table.append((8, self.inplace))
            if self.has("data_update"):
                table.append((2, self.data_update))
        if self.prog.category == "function" and self.functions:
            table.append((10, self.apply_function))
        return table

    def operand(self):
        return self.pick()

    def other_operand(self, x):
        """A second operand for ``x``: a live tensor that broadcasts with it, a number,
        or a new leaf of a broadcastable shape."""
        shape = tuple(self.val(x).shape)
        r = self.rng.random()
        if r < 0.45:
            y = self.pick(lambda n: n != x and _broadcastable(tuple(self.val(n).shape), shape))
            if y is not None:
                return y, []
        if r < 0.7:
            return repr(self.choice(SCALARS)), []
        leaf = self.new_leaf(self.broadcast_shape(shape))
        return leaf.name, [leaf]

    def nonzero(self, operand):
        if self.has("domain_edges"):
            return True
        if operand in self.ns and hasattr(self.ns[operand], "shape"):
            return bool((self.values(operand) != 0).all())
        return float(operand) != 0

    # ------------------------------------------------------------------- proposals
    def binary(self):
        x = self.operand()
        if x is None:
            return False
        y, leaves = self.other_operand(x)
        if leaves and not self.add(leaves):
            return False
        op = self.choice("+-*/")
        if op == "/" and not self.nonzero(y):
            return False
        boolean = any(n in self.ns and str(self.val(n).dtype) == "torch.bool" for n in (x, y))
        if op == "-" and boolean and not self.has("bool_math"):
            return False
        refusal = op == "-" and boolean
        if y not in self.ns and self.chance(0.5):  # a number on the left: __radd__ etc.
            if op == "/" and not self.nonzero(x):
                return False
            return self.op(f"{y} {op} {x}", (x,), refusal=refusal)
        return self.op(f"{x} {op} {y}", (x, y), refusal=refusal)

    def unary(self):
        x = self.operand()
        if x is None:
            return False
        fn = self.choice(["exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "neg"])
        if fn in ("log", "sqrt") and not self.has("domain_edges"):
            if not (self.values(x) > 0).all():
                return False
        boolean = str(self.val(x).dtype) == "torch.bool"
        if boolean and not self.has("bool_math"):
            return False
        if fn == "neg":
            return self.op(f"-{x}", (x,), refusal=boolean)
        if fn == "sigmoid" and not self.is_float(x):
            return False  # torch has no integer sigmoid; not worth a refusal every time
        if self.chance(0.3) and fn not in ("sigmoid",):
            return self.op(f"T.{fn}({x})", (x,), refusal=boolean)
        return self.op(f"{x}.{fn}()", (x,), refusal=boolean)

    def power(self):
        x = self.pick(self.is_float)
        if x is None:
            return False
        data = self.values(x)
        edges = self.has("pow_nonpositive_base") or self.has("domain_edges")
        r = self.rng.random()
        if r < 0.5:
            c = self.choice([2, 3, 0.5, -1, 1.5, 0, -2])
            if (not float(c).is_integer() or c < 0) and not edges and not (data > 0).all():
                return False
            return self.op(f"{x} ** {c}", (x,))
        if r < 0.75:
            c = self.choice([2.0, 0.5, 0.0, -2.0] if edges else [2.0, 0.5, 3.0])
            return self.op(f"{c} ** {x}", (x,))
        if not self.has("pow_tensor"):
            return False
        if not edges and not (data > 0).all():
            return False
        y = self.pick(lambda n: self.is_float(n) and _broadcastable(
            tuple(self.val(n).shape), data.shape))
        if y is None:
            return False
        return self.op(f"{x} ** {y}", (x, y))

    def conversion(self):
        if not self.has("conversions"):
            return False
        x = self.operand()
        if x is None:
            return False
        forms = ["double()", "float()", "to(T.float64)", "clone()", "detach()"]
        if self.has("int64"):
            forms.append("long()")
        return self.op(f"{x}.{self.choice(forms)}", (x,))

    def dim_arg(self, ndim):
        """A valid dim (sometimes negative) for a tensor with ``ndim`` dims."""
        if ndim == 0:
            return self.choice([0, -1])
        d = int(self.rng.integers(ndim))
        return d - ndim if self.chance(0.3) else d

    def reduction(self):
        x = self.operand()
        if x is None:
            return False
        t = self.val(x)
        ndim = t.dim()
        fn = self.choice(["sum", "sum", "mean", "max", "min", "var", "std"])
        if fn in ("var", "std") and not self.has("var_std"):
            return False
        if fn in ("mean", "var", "std") and not self.is_float(x):
            return False
        args = []
        dims = None
        if fn in ("max", "min"):
            if self.chance(0.4):
                if not self.has("max_all") or self.near_tie(x, None):
                    return False
                return self.op(f"{x}.{fn}()", (x,))
            d = self.dim_arg(ndim)
            if self.near_tie(x, d):
                return False
            keep = ", keepdim=True" if self.chance(0.3) else ""
            part = self.choice([".values", ".values", ".indices", "[0]"])
            return self.op(f"{x}.{fn}({d}{keep}){part}", (x,))
        r = self.rng.random()
        if r < 0.3:
            dims = tuple(range(ndim))
        elif r < 0.7 or ndim < 2:
            d = self.dim_arg(ndim)
            dims = (d if d >= 0 else d + max(ndim, 1),)
            args.append(f"dim={d}" if self.chance(0.5) else str(d))
        else:
            chosen = sorted(self.rng.choice(ndim, size=2, replace=False).tolist())
            dims = tuple(chosen)
            args.append(f"dim=({chosen[0]}, {chosen[1]})")
        if r < 0.3 and self.has("sum_empty_dims") and self.chance(0.3):
            args.append("dim=()")
        if fn in ("var", "std"):
            n = int(np.prod([t.shape[d] for d in dims if d < ndim])) if ndim else 1
            corrections = [None, None, 0, 1, 2]
            if self.has("var_correction"):
                corrections += [n, n + 1]
            correction = self.choice(corrections)
            if correction is not None:
                args.append(f"correction={correction}")
            effective = 1 if correction is None else correction
            if n <= effective and not self.has("var_correction"):
                return False
            if fn == "std" and not self.has("std_zero"):
                data = self.values(x)
                if data.size and np.any(np.ptp(data, axis=dims if ndim else None) == 0):
                    return False
        if self.chance(0.3) and args:
            args.append("keepdim=True")
        return self.op(f"{x}.{fn}({', '.join(args)})", (x,))

    def matmul(self):
        x = self.pick(lambda n: self.val(n).dim() >= 1 and self.is_float(n))
        if x is None:
            return False
        shape = tuple(self.val(x).shape)
        k = shape[-1]
        r = self.rng.random()
        if r < 0.3:
            yshape = (k,)
        elif r < 0.8:
            yshape = (k, int(self.choice([1, 2, 3])))
        else:
            yshape = (int(self.choice([1, 2])), k, 2)
        same = self.pick(lambda n: n != x and tuple(self.val(n).shape) == yshape)
        if same is not None and self.chance(0.5):
            return self.op(f"{x} @ {same}", (x, same))
        leaf = self.new_leaf(yshape, dtype=self.choice(["float32", str(self.val(x).dtype)[6:]]))
        if not self.add([leaf]):
            return False
        if self.chance(0.3):
            return self.op(f"T.matmul({x}, {leaf.name})", (x, leaf.name))
        return self.op(f"{x} @ {leaf.name}", (x, leaf.name))

    def view(self):
        x = self.operand()
        if x is None:
            return False
        shape = tuple(self.val(x).shape)
        ndim = len(shape)
        kind = self.choice(["index", "index", "view", "reshape", "T", "t", "transpose",
                            "permute", "squeeze", "unsqueeze"])
        if kind == "index":
            if not ndim:
                return False
            return self.op(f"{x}[{self.basic_index(shape)}]", (x,))
        if kind == "view" and not self.val(x).is_contiguous() and not self.has(
                "view_noncontiguous"):
            return False
        if kind in ("view", "reshape"):
            n = int(np.prod(shape))
            target = self.factor_shape(n)
            if self.chance(0.3) and target:
                i = int(self.rng.integers(len(target)))
                if n:
                    target = target[:i] + (-1,) + target[i + 1:]
            text = ", ".join(str(s) for s in target)
            if self.chance(0.3):
                text = f"({text},)" if len(target) == 1 else f"({text})"
            return self.op(f"{x}.{kind}({text})", (x,))
        if kind == "T":
            if ndim > 2:
                return False  # deprecated in PyTorch for other ranks
            return self.op(f"{x}.T", (x,))
        if kind == "t":
            if ndim != 2 and not self.has("t_not_2d"):
                return False
            return self.op(f"{x}.t()", (x,), refusal=ndim > 2)
        if kind == "transpose":
            if ndim < 1:
                return False
            return self.op(f"{x}.transpose({self.dim_arg(ndim)}, {self.dim_arg(ndim)})", (x,))
        if kind == "permute":
            perm = self.rng.permutation(ndim).tolist()
            if self.has("permute_negative"):
                perm = [p - ndim if self.chance(0.3) else p for p in perm]
            text = ", ".join(str(p) for p in perm)
            return self.op(f"{x}.permute({text})" if perm and self.chance(0.5)
                           else f"{x}.permute(({text}{',' if len(perm) == 1 else ''}))",
                           (x,))
        if kind == "squeeze":
            ones = [i for i, s in enumerate(shape) if s == 1]
            r = self.rng.random()
            if r < 0.3 or not ndim:
                return self.op(f"{x}.squeeze()", (x,))
            if r < 0.6 or not self.has("squeeze_tuple"):
                return self.op(f"{x}.squeeze({self.choice(ones) if ones else self.dim_arg(ndim)})",
                               (x,))
            dims = sorted(set(self.rng.choice(ndim, size=min(2, ndim), replace=False).tolist()))
            return self.op(f"{x}.squeeze(({', '.join(map(str, dims))},))", (x,))
        d = int(self.rng.integers(-ndim - 1, ndim + 1))
        return self.op(f"{x}.unsqueeze({d})", (x,))

    def basic_index(self, shape):
        """Text of a basic index: ints, slices, ``...``."""
        parts = []
        for size in shape[: int(self.rng.integers(1, len(shape) + 1))]:
            r = self.rng.random()
            if r < 0.4 and size:
                i = int(self.rng.integers(size))
                parts.append(str(i - size if self.chance(0.3) else i))
            elif r < 0.8:
                a = int(self.rng.integers(0, size + 1))
                b = int(self.rng.integers(a, size + 1))
                parts.append(f"{a}:{b}" if self.chance(0.7) else f"{a}:")
            elif r < 0.9:
                parts.append(":")
            else:
                parts.append("::2")
        if self.chance(0.15) and len(parts) < len(shape):
            parts = ["..."] + parts[1:]
        return ", ".join(parts)

    def factor_shape(self, n):
        """A random shape with ``n`` elements (up to 3 dims)."""
        if n == 0:
            return self.choice([(0,), (0, 2), (2, 0)])
        dims = []
        rest = n
        for _ in range(int(self.rng.integers(0, 3))):
            divisors = [d for d in range(1, rest + 1) if rest % d == 0]
            d = self.choice(divisors)
            dims.append(d)
            rest //= d
        if rest != 1 or not dims or self.chance(0.5):
            dims.append(rest)
        return tuple(dims)

    def advanced_index(self):
        x = self.pick(lambda n: self.val(n).dim() >= 1 and self.val(n).shape[0] > 0)
        if x is None:
            return False
        shape = tuple(self.val(x).shape)
        n0 = shape[0]
        idx = self.rng.integers(-n0, n0, size=int(self.rng.integers(1, 4))).tolist()
        r = self.rng.random()
        if r < 0.3:
            return self.op(f"{x}[{idx}]", (x,))
        if r < 0.5:
            if self.has("index_tensor_named") and self.chance(0.5):
                # named, so that an in-place update may change it after use: PyTorch keeps
                # the index for backward and refuses that
                index = Leaf(self.fresh("i"), np.asarray(idx, dtype=np.int64), "int64")
                return self.add([index]) and self.op(f"{x}[{index.name}]", (x, index.name))
            return self.op(f"{x}[T.tensor({idx})]", (x,))
        if r < 0.75 and len(shape) >= 2 and shape[1] > 0:
            targets = self.rng.integers(0, shape[1], size=n0).tolist()
            return self.op(f"{x}[range({n0}), T.tensor({targets})]", (x,))
        if r < 0.9 and len(shape) >= 3 and shape[2] > 0 and self.has("advanced_index_split"):
            cols = self.rng.integers(0, shape[2], size=2).tolist()
            return self.op(f"{x}[{idx[0]}, :, {cols}]", (x,))
        if self.has("bool_index"):
            return self.op(f"{x}[{self.choice(['True', 'False'])}]", (x,))
        return False

    def cat_stack(self):
        x = self.pick(lambda n: self.val(n).dim() >= 1)
        if x is None:
            return False
        t = self.val(x)
        shape = tuple(t.shape)
        stack = self.chance(0.4)
        d = int(self.rng.integers(len(shape) + (1 if stack else 0)))

        def fits(n):
            other = self.val(n)
            if not self.has("cat_mixed_dtype") and other.dtype != t.dtype:
                return False
            s = tuple(other.shape)
            if stack:
                return s == shape
            return len(s) == len(shape) and all(
                a == b for i, (a, b) in enumerate(zip(s, shape, strict=True)) if i != d)

        y = None
        if self.has("cat_mixed_dtype") and self.chance(0.5):  # else rare
            y = self.pick(lambda n: fits(n) and self.val(n).dtype != t.dtype)
        y = y or self.pick(fits)
        if y is None:
            return False
        parts = [x, y] if self.chance(0.7) else [x, y, x]
        fn = "stack" if stack else "cat"
        dim = f", dim={d}" if self.chance(0.6) else (f", {d}" if d else "")
        return self.op(f"T.{fn}([{', '.join(parts)}]{dim})", tuple(parts))

    def softmax(self):
        x = self.pick(self.is_float)
        if x is None:
            return False
        t = self.val(x)
        ndim = t.dim()
        d = self.dim_arg(ndim)
        if (not ndim or not t.shape[d]) and not self.has("softmax_edge"):
            return False
        fn = self.choice(["softmax", "log_softmax"])
        return self.op(f"F.{fn}({x}, dim={d})", (x,))

    def comparison(self):
        x = self.operand()
        if x is None:
            return False
        y, leaves = self.other_operand(x)
        if leaves and not self.add(leaves):
            return False
        op = self.choice(["<", ">", "<=", ">=", "==", "!="])
        mask = self.fresh("m")
        if not self.op(f"{x} {op} {y}", (x, y), name=mask):
            return False
        z = self.pick(lambda n: self.is_float(n) and _broadcastable(
            tuple(self.val(n).shape), tuple(self.val(mask).shape)))
        if z is None:
            return True
        return self.op(f"{z} * {mask}", (z, mask))

    # ------------------------------------------------------------- in-place updates
    def near_tie(self, name, dim):
        """The extremes of a computed tensor (over ``dim``, or all) are within rounding of
        each other: which one wins (and gets the gradient) is then up to rounding, not a
        difference between the libraries. A leaf's exact ties are fine."""
        t = self.val(name)
        if name in self.leaves or t.numel() < 2 or not t.dtype.is_floating_point:
            return False
        data = self.values(name)
        data = data.reshape(1, -1) if dim is None or not data.ndim else np.moveaxis(
            data, dim, -1).reshape(-1, data.shape[dim])
        if data.shape[-1] < 2:
            return False
        ordered = np.sort(data, axis=-1)
        with np.errstate(invalid="ignore"):  # inf - inf: no near-tie, nothing to warn about
            for top in (ordered[:, -2:], ordered[:, :2]):
                gap = np.abs(top[:, 1] - top[:, 0])
                if np.any(gap <= 1e-4 * np.maximum(np.abs(top[:, 1]), 1e-30)):
                    return True
        return False

    def aliased(self, name):
        """Another live variable shares ``name``'s storage (a view, its base, .detach())."""
        if self.val(name)._is_view():
            return True
        s = _storage(self.val(name))
        return bool(s) and any(
            n != name and _storage(self.val(n)) == s for n in self.names if n in self.ns)

    def after_use(self, name):
        s = _storage(self.val(name))
        return bool(s) and s in self.used

    def inplace(self):
        x = None
        if self.has("view_aliasing") and self.chance(0.5):  # a view or base, else rare
            x = self.pick(lambda n: self.aliased(n) and not self.after_use(n))
        x = x or self.operand()
        if x is None:
            return False
        t = self.val(x)
        if not self.has("inplace"):
            return False
        no_grad = self.has("inplace_no_grad") and self.chance(0.3)
        leaf_rg = t.requires_grad and t.is_leaf
        if not (leaf_rg and not no_grad):  # (PyTorch refuses that at once, uses or not)
            if self.after_use(x) and not self.has("inplace_after_use"):
                return False
            if self.aliased(x) and not self.has("view_aliasing"):
                return False
        kind = self.choice(["+=", "-=", "*=", "/=", "+=", "zero_", "fill_", "setitem",
                            "setitem"])
        leaves = []
        if kind in ("zero_", "fill_"):
            if t.requires_grad and t.is_leaf and not no_grad and not self.has(
                    "inplace_leaf_zero_fill"):
                return False
            if t.requires_grad and not t.is_leaf and not no_grad and not self.has(
                    "inplace_nonleaf_zero_fill"):
                return False
            text = f"{x}.zero_()" if kind == "zero_" else f"{x}.fill_({self.choice(SCALARS)})"
        elif kind == "setitem":
            if not t.dim():
                return False
            index = self.basic_index(tuple(t.shape))
            value = repr(self.choice(SCALARS))
            text = f"{x}[{index}] = {value}"
            if self.chance(0.4):
                op = self.choice(["+=", "-="])
                text = f"{x}[{index}] {op} {value}"
        else:
            if self.has("inplace_shape_change") and self.chance(0.3):  # h += a larger y
                leaves = [self.new_leaf((2, *t.shape))]
                y = leaves[0].name
            else:
                y, leaves = self.other_operand(x)
            if y in self.ns or leaves:
                yt = self.val(y) if y in self.ns else None
                yshape = tuple(yt.shape) if yt is not None else tuple(leaves[0].data.shape)
                ydtype = str(yt.dtype)[6:] if yt is not None else leaves[0].dtype
                if not _broadcasts_to(yshape, tuple(t.shape)) and not self.has(
                        "inplace_shape_change"):
                    return False
                if ydtype != str(t.dtype)[6:] and not self.has("inplace_dtype_change"):
                    return False
            if kind == "/=" and not leaves and not self.nonzero(y):
                return False
            if kind == "/=" and leaves and not (leaves[0].data != 0).all():
                return False
            text = f"{x} {kind} {y}"
        if leaf_rg and not no_grad and kind not in ("zero_", "fill_") and self.chance(0.7):
            return False  # PyTorch refuses; both raising is only worth checking sometimes
        if no_grad:
            text = "with T.no_grad():\n    " + text
        stmt = Statement(text, (), (x, y) if kind.endswith("=") and kind != "setitem" else (x,))
        if leaves and not self.add(leaves):
            return False
        # a known gap that PyTorch refuses (zero_() of a leaf that requires grad, h += y
        # that would grow h): keep it, ninjagrad must refuse too
        return self.add([stmt], refusal=bool(self.features & REFUSAL_GAPS))

    def data_update(self):
        x = self.operand()
        if x is None:
            return False
        t = self.val(x)
        # After use, what backward sees depends on which tensors PyTorch's backward saved
        # (a .data change bypasses the version counter): no single right answer to match.
        if self.after_use(x):
            return False
        if self.aliased(x) and not self.has("view_aliasing"):
            return False
        if not t.dim() and self.chance(0.5):
            return False
        kind = self.choice(["+=", "-=", "*=", "setitem"])
        if kind == "setitem":
            if not t.dim():
                return False
            text = f"{x}.data[{self.basic_index(tuple(t.shape))}] = {self.choice(SCALARS)}"
        else:
            y = self.pick(lambda n: n != x and _broadcasts_to(tuple(self.val(n).shape),
                                                              tuple(t.shape)))
            if y is not None and self.chance(0.5):
                if self.val(y).dtype.is_floating_point and not t.dtype.is_floating_point:
                    return False
                text = f"{x}.data {kind} {y}.data"
            else:
                text = f"{x}.data {kind} {self.choice(SCALARS)}"
        return self.add([Statement(text, (), (x,))])

    # ------------------------------------------------------------------ .data reads
    def data_read(self):
        """``tN = T.tensor(<an expression of .data>)``: an operator, a comparison, std/var or
        max/min of a tensor's ``.data``. ``T.tensor`` copies the result into a fresh tensor
        outside the graph on both libraries (PyTorch's ``.data`` op gives a Tensor, which it
        copies with a warning the fuzzer ignores), so later statements can use it and it is
        compared as every intermediate is: value, dtype, shape."""
        x = self.operand()
        if x is None:
            return False
        r = self.rng.random()
        if r < 0.5:
            expr = self.data_operator(x)
        elif r < 0.6:
            if str(self.val(x).dtype) == "torch.bool" and not self.has("bool_math"):
                return False
            expr = f"-{x}.data"  # PyTorch refuses it for bool, numpy too
        else:
            expr = self.data_reduction(x)
        if expr is None:
            return False
        # where PyTorch may refuse (bools, integer // 0, two dtypes in @, the mean of
        # integers), keep its refusal more often: numpy answers all of them
        names = re.findall(r"\b(\w+)\.data", expr)
        dtypes = {str(self.val(n).dtype) for n in names}
        refusal = ("torch.bool" in dtypes or (len(dtypes) > 1 and " @ " in expr)
                   or (".mean(" in expr and not self.is_float(x))
                   or ("torch.int64" in dtypes and re.search(r" (//|%) ", expr) is not None))
        # a copy: nothing of x is saved, so x may still be changed in place later
        return self.op(f"T.tensor({expr})", (), refusal=refusal)

    def data_operator(self, x):
        """``x.data <op> y.data`` (y broadcasts with x, or is a matrix for ``@``) or
        ``x.data <op> number`` with the number on either side; None if none fits."""
        op = self.choice(["+", "-", "*", "/", "//", "%", "**", "@", "<", ">", "<=", ">=",
                          "==", "!="])
        if op == "@":
            t = self.val(x)
            if not t.dim():
                return None
            k = t.shape[-1]
            mixed = self.chance(0.1)  # PyTorch refuses two dtypes: now and then
            y = self.pick(lambda n: self.val(n).dim() >= 1
                          and (mixed or self.val(n).dtype == t.dtype)
                          and self.val(n).shape[0 if self.val(n).dim() == 1 else -2] == k)
            return None if y is None else f"{x}.data @ {y}.data"
        y, leaves = self.other_operand(x)
        if leaves and not self.add(leaves):
            return None
        operands = (x, y) if y in self.ns else (x,)
        # numpy answers a bool subtracted where PyTorch refuses (data_array.py: numpy's
        # own code subtracts .data arrays), a documented difference, not one to report
        if op == "-" and any(str(self.val(n).dtype) == "torch.bool" for n in operands):
            return None
        if op in ("/", "//", "%") and not self.nonzero(y):
            return None
        if y not in self.ns and op in ("//", "%") and self.has("domain_edges") and self.chance(
                0.2):
            y = "0"  # inf and nan for floats, PyTorch's ZeroDivisionError for integers
        if y not in self.ns:
            if self.chance(0.5):  # a number on the left: __radd__ etc.
                if op in ("/", "//", "%") and not self.nonzero(x):
                    return None
                return f"{y} {op} {x}.data"
            return f"{x}.data {op} {y}"
        return f"{x}.data {op} {y}.data"

    def data_reduction(self, x):
        """``x.data.std()``, ``x.data.var(d)``, ``x.data.max(d).values``, ``x.data.sum(dim=d)``,
        ``x.data.transpose(d0, d1)`` ... (the methods numpy and PyTorch both have, with
        PyTorch's meaning: unbiased, a (values, indices) pair, two dims swapped); None if
        none fits."""
        t = self.val(x)
        ndim = t.dim()
        fn = self.choice(["std", "var", "max", "min", "sum", "mean", "transpose"])
        if fn == "transpose":
            return f"{x}.data.transpose({self.dim_arg(ndim)}, {self.dim_arg(ndim)})"
        if fn in ("sum", "mean"):
            if fn == "mean" and not self.is_float(x) and self.chance(0.8):
                return None  # PyTorch refuses integers: now and then
            args = []
            if self.chance(0.6):
                d = self.dim_arg(ndim)
                args.append(f"dim={d}" if self.chance(0.5) else str(d))
                if self.chance(0.3):
                    args.append("keepdim=True")
            return f"{x}.data.{fn}({', '.join(args)})"
        if fn in ("std", "var"):
            if not self.is_float(x):
                return None  # PyTorch refuses integers: not worth a refusal every time
            if self.chance(0.4):
                n, args = t.numel(), []
            else:
                d = self.dim_arg(ndim)
                n, args = (t.shape[d] if ndim else 1), [str(d)]
            if self.chance(0.3):
                correction = self.choice([0, 1, 2])
                args.append(f"correction={correction}")
                if correction >= n and not self.has("var_correction"):
                    return None
            elif n <= 1 and not self.has("var_correction"):
                return None
            if args and self.chance(0.3):
                args.append("keepdim=True")
            return f"{x}.data.{fn}({', '.join(args)})"
        if self.chance(0.4):
            if not t.numel():
                return None
            return f"{x}.data.{fn}()"
        d = self.dim_arg(ndim)
        part = self.choice([".values", ".indices", "[0]", "[1]"])
        if part in (".indices", "[1]") and self.near_tie(x, d):
            return None  # which near-equal element wins is up to rounding
        keep = ", keepdim=True" if self.chance(0.3) else ""
        return f"{x}.data.{fn}({d}{keep}){part}"

    # ------------------------------------------------------------- custom Functions
    def define_functions(self):
        names = list(FUNCTION_TEMPLATES)
        if not self.has("function_tuple_outputs"):
            names.remove("Pair")
        if not self.has("function_extra_none"):
            names.remove("ExtraNone")
        if not self.has("function"):
            return
        for name in self.rng.permutation(names)[: int(self.rng.integers(1, 3))]:
            name = str(name)
            if self.run([Statement(FUNCTION_TEMPLATES[name][0], (name,), ())]):
                self.functions.append(name)

    def apply_function(self):
        name = self.choice(self.functions)
        arity = FUNCTION_TEMPLATES[name][1]
        x = self.pick(self.is_float)
        if x is None:
            return False
        args = [x]
        if arity == 2:
            y, leaves = self.other_operand(x)
            if y not in self.ns and not leaves:
                return False
            if name == "FirstOnly" and not self.has("function_none_grad") and (
                    (y in self.ns and self.val(y).requires_grad)
                    or (leaves and leaves[0].requires_grad)):
                return False
            if leaves and not self.add(leaves):
                return False
            args.append(y)
        if name in ("MulAdd", "Scale"):
            args.append(repr(self.choice(SCALARS)))
        call = f"{name}.apply({', '.join(args)})"
        if name == "Pair":
            call += f"[{self.choice([0, 1])}]"
        return self.op(call, tuple(a for a in args if a in self.ns))

    # -------------------------------------------------------------------- the end
    def outputs(self):
        rg = [n for n in self.names if n in self.ns and self.val(n).requires_grad
              and self.is_float(n)]
        if not rg:
            return []
        k = min(len(rg), int(self.rng.integers(1, 4)))
        return [str(n) for n in self.rng.choice(rg[-6:], size=min(k, len(rg[-6:])),
                                                replace=False)]

    def finish(self):
        outs = self.outputs()
        if not outs:
            return
        if self.has("retain_grad"):
            for n in self.names:
                if n in self.ns and self.val(n).requires_grad and not self.val(n).is_leaf \
                        and self.chance(0.2):
                    self.add([Statement(f"{n}.retain_grad()", (), (n,))])
        terms = []
        for o in outs:
            t = self.val(o)
            if self.chance(0.6) and t.dim():
                g = self.new_leaf(tuple(t.shape), dtype=str(t.dtype)[6:], requires_grad=False,
                                  prefix="g")
                if not self.add([g]):
                    return
                terms.append(f"({o} * {g.name}).sum()")
            else:
                terms.append(f"{o}.sum()")
        forward = self.prog.statements[self.forward_start:]
        if not self.add([Statement(f"loss = {' + '.join(terms)}", ("loss",), tuple(outs))],
                        ("loss",)):
            return
        self.add([Statement("loss.backward()", (), ("loss",))])
        if self.ended:
            return
        if self.has("second_backward") and self.chance(0.3):
            self.add([Statement("loss.backward()", (), ("loss",))], refusal=True)
        elif self.has("training_step") and self.chance(0.3):
            self.training_step(forward, terms)

    def all_finite(self):
        import torch

        for n in self.names:
            t = self.ns.get(n)
            for x in (t, getattr(t, "grad", None) if getattr(t, "is_leaf", False) else None):
                if x is not None and x.dtype.is_floating_point and not torch.isfinite(
                        x).all():
                    return False
        return True

    def training_step(self, forward, terms):
        params = [n for n in self.names if n in self.ns and self.val(n).is_leaf
                  and self.val(n).grad is not None]
        if not params:
            return
        if not self.has("view_aliasing") and any(self.aliased(p) for p in params):
            return
        if any(not isinstance(s, Leaf) and not (len(s.defines) == 1 and s.text.startswith(
                s.defines[0] + " = ")) for s in forward):
            return  # replaying an in-place update would change a tensor after use
        step = "\n".join(f"    {p} -= 0.1 * {p}.grad" for p in params)
        zero = "\n".join(f"{p}.grad = None" for p in params)
        statements = [Statement(f"with T.no_grad():\n{step}", (), tuple(params)),
                      Statement(zero, (), tuple(params))]
        statements += [s for s in forward if not isinstance(s, Leaf)]
        statements += [Statement(f"loss = {' + '.join(terms)}", ("loss",), ()),
                       Statement("loss.backward()", (), ("loss",))]
        snapshot = dict(self.ns), list(self.prog.statements)
        if self.run(statements) and not (self.has("special_values") or self.has(
                "domain_edges")) and not self.all_finite():
            self.ns.clear()  # the step moved a value over a domain edge (log of 0)
            self.ns.update(snapshot[0])
            self.prog.statements[:] = snapshot[1]


def _saves_result(grad_fn):
    """Whether PyTorch's backward node keeps its own output (exp, tanh, softmax ...)."""
    try:
        return hasattr(grad_fn, "_saved_result")
    except RuntimeError:  # it does, and that output was changed in place since: PyTorch
        return True  # raises on reading it (a .float() that returned the tensor itself)
