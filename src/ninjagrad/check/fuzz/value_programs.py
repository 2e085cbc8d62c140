"""Value programs: ``Value`` expression DAGs against float64 0-d PyTorch tensors."""

import math

import numpy as np

from ninjagrad.check.fuzz.generate import MAX_ATTEMPTS, SCALARS, _Generator
from ninjagrad.check.fuzz.program import Leaf, Statement

VALUE_EDGE = (0.0, -1.0, -2.5, 1e-8, 1e-310, 3e-310, 1e300, -1e300, float("nan"),
              float("inf"), -float("inf"))


class ValueGenerator(_Generator):
    """``Value`` expression DAGs, compared with float64 0-d PyTorch tensors."""

    def __init__(self, rng, features, origin):
        super().__init__("value", rng, features, origin)
        self.names = []

    def leaf_value(self):
        if self.has("value_edge") and self.chance(0.3):
            return self.choice(VALUE_EDGE)
        if self.has("value_division") and self.chance(0.15):
            return self.choice((1e-310, 3e-310, 1e300, -1e300, 1e-300))
        x = round(float(self.rng.normal(0.0, 1.5)), 2)
        return x or 0.5

    def finite(self, name):
        return math.isfinite(self.ns[name].item())

    def program(self):
        for _ in range(int(self.rng.integers(1, 5))):
            name = self.fresh("a")
            if self.run([Leaf(name, np.array(self.leaf_value()), "value", True)]):
                self.names.append(name)
        target = int(self.rng.integers(3, 16))
        done = attempts = 0
        while done < target and attempts < MAX_ATTEMPTS and not self.ended:
            attempts += 1
            if self.propose():
                done += 1
        if not self.ended and self.names:
            out = self.names[-1]
            if self.chance(0.4) and len(self.names) > 2:
                out = self.fresh("v")
                picks = self.rng.choice(self.names, size=2, replace=False)
                self.run([Statement(f"{out} = {picks[0]} + {picks[1]}", (out,), ())])
            self.run([Statement(f"{out}.backward()", (), (out,))])
        return self.prog

    def operand(self):
        weights = np.arange(1, len(self.names) + 1, dtype=float) ** 1.5
        return self.names[int(self.rng.choice(len(self.names), p=weights / weights.sum()))]

    def propose(self):
        edge = self.has("value_edge")
        x = self.operand()
        xv = self.ns[x].item()
        r = self.rng.random()
        if r < 0.5:
            op = self.choice("+-*/" if self.has("value_division") else "+-*")
            if self.chance(0.6):
                y = self.operand()
                yv = self.ns[y].item()
            else:
                y = repr(self.leaf_value())
                if "e" in y or "nan" in y or "inf" in y:
                    y = repr(self.choice(SCALARS))
                yv = float(y)
            if op == "/" and not edge and (yv == 0 or (x == y and not self.has(
                    "value_division"))):
                return False
            text = f"{y} {op} {x}" if y not in self.ns and self.chance(0.4) else f"{x} {op} {y}"
            if text.startswith(y) and op == "/" and not edge and xv == 0:
                return False
        elif r < 0.65:
            c = self.choice([2, 3, 0.5, -1, -2, 0, 1.5])
            if not edge and (xv <= 0 and (c < 0 or not float(c).is_integer())):
                return False
            y = self.operand()
            if self.chance(0.3) and (edge or xv > 0):
                text = f"{x} ** {y}"
            else:
                text = f"{x} ** {c}"
        else:
            fn = self.choice(["exp", "log", "tanh", "relu", "sigmoid", "neg"])
            if fn == "log" and xv <= 0 and not edge:
                return False
            text = f"-{x}" if fn == "neg" else f"{x}.{fn}()"
        name = self.fresh("v")
        snapshot = dict(self.ns), list(self.prog.statements)
        if not self.run([Statement(f"{name} = {text}", (name,), ())]):
            return False
        if not self.ended and not edge and not self.finite(name):
            self.ns.clear()
            self.ns.update(snapshot[0])
            self.prog.statements[:] = snapshot[1]
            return False
        if not self.ended:
            self.names.append(name)
        return True
