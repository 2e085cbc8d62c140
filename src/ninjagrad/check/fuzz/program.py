"""A fuzz program: statements of Python text that run unchanged on ninjagrad and on PyTorch.

The text names the library ``T`` (``ninjagrad`` or ``torch``), its functional module ``F``,
the custom-function base ``Function`` and ``Value`` (ninjagrad's scalar, or a float64 0-d
torch tensor that requires grad). A leaf's data is kept as an array beside its text, so the
shrinker can make it smaller and simpler and print it again.
"""

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np


def number_text(x, integer=False):
    """Python source for one number (``float('nan')`` and ``float('inf')`` included)."""
    if integer:
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "-float('inf')"
    return repr(x)


def array_text(data, integer=False):
    """Nested-list source for an array (a bare number for a 0-d array)."""
    if data.ndim == 0:
        return number_text(data.item(), integer)
    return "[" + ", ".join(array_text(row, integer) for row in data) + "]"


@dataclass
class Leaf:
    """A tensor (or ``Value``) made from literal data: ``name = T.tensor(data, ...)``."""

    name: str
    data: np.ndarray  # float64 or int64; the dtype below is what the program asks for
    dtype: str = "float32"  # 'float32', 'float64', 'int64' or 'value'
    requires_grad: bool = False

    @property
    def text(self):
        if self.dtype == "value":
            return f"{self.name} = Value({number_text(self.data.item())})"
        integer = self.dtype == "int64"
        grad = ", requires_grad=True" if self.requires_grad else ""
        if self.data.size == 0:
            dims = ", ".join(str(n) for n in self.data.shape)
            return f"{self.name} = T.zeros({dims}, dtype=T.{self.dtype}{grad})"
        return (f"{self.name} = T.tensor({array_text(self.data, integer)}, "
                f"dtype=T.{self.dtype}{grad})")

    def __repr__(self):
        return f"Leaf({self.text!r})"


@dataclass
class Statement:
    """Any other statement (an op, an in-place update, a ``with`` block, a class)."""

    text: str
    defines: tuple = ()  # names it binds
    uses: tuple = ()  # names it reads (for the shrinker's bookkeeping only)

    def __repr__(self):
        return f"Statement({self.text!r})"


@dataclass
class Program:
    """Statements in order; ``category`` and ``origin`` (seed, index) say where it came from."""

    category: str
    statements: list = field(default_factory=list)
    origin: str = ""

    def text(self):
        return "\n".join(s.text for s in self.statements)

    def replace(self, statements):
        return dataclasses.replace(self, statements=list(statements))

    def float64(self):
        """The same program with every float32 made float64 (the rounding check)."""
        out = []
        for s in self.statements:
            if isinstance(s, Leaf):
                # the float32 inputs exactly, so only the arithmetic is wider
                out.append(dataclasses.replace(
                    s, dtype="float64", data=s.data.astype(np.float32).astype(np.float64))
                    if s.dtype == "float32" else s)
            else:
                out.append(dataclasses.replace(
                    s, text=s.text.replace("T.float32", "T.float64").replace(".float()",
                                                                              ".double()")))
        return self.replace(out)

    def script(self, note=""):
        """A standalone script that runs the program on PyTorch and on ninjagrad and prints
        every variable (value, dtype, requires_grad, grad) from each, side by side."""
        body = "\n".join("    " + line for line in self.text().splitlines())
        origin = f", {self.origin}" if self.origin else ""
        header = f"# ninjagrad fuzz repro ({self.category}{origin})"
        lines = [header]
        if note:
            lines += ["# " + line for line in note.splitlines()]
        lines += [
            "import torch",
            "import torch.nn.functional",
            "",
            "import ninjagrad",
            "import ninjagrad.functional",
            "",
            "",
            "def program(T, F, Function, Value):",
            body,
            "    return locals()",
            "",
            "",
            "def torch_value(x):",
            "    return torch.tensor(x, dtype=torch.float64, requires_grad=True)",
            "",
            "",
            "def show(x):",
            "    grad = getattr(x, 'grad', None) if getattr(x, 'is_leaf', True) else None",
            "    more = f'  dtype={x.dtype}' if hasattr(x, 'dtype') else ''",
            "    if hasattr(x, 'requires_grad'):",
            "        more += f'  requires_grad={x.requires_grad}'",
            "    return f'{x!r}{more}' + (f'  grad={grad!r}' if grad is not None else '')",
            "",
            "",
            "LIBRARIES = {",
            "    'torch': (torch, torch.nn.functional, torch.autograd.Function, torch_value),",
            "    'ninjagrad': (ninjagrad, ninjagrad.functional, ninjagrad.Function,",
            "                  ninjagrad.Value),",
            "}",
            "for name, lib in LIBRARIES.items():",
            "    print('==', name)",
            "    try:",
            "        for var, x in program(*lib).items():",
            "            if var not in ('T', 'F', 'Function', 'Value'):",
            "                print(f'{var} = {show(x)}')",
            "    except Exception as e:",
            "        print(f'raised {type(e).__name__}: {e}')",
        ]
        return "\n".join(lines) + "\n"

    def __len__(self):
        return len(self.statements)

    def __repr__(self):
        return f"Program({self.category!r}, {len(self.statements)} statements, {self.origin!r})"
