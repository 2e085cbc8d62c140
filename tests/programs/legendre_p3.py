# A cubic fitted to sin(x) on [-pi, pi] through a hand-written Legendre P3 Function, trained
# with a hand-written gradient-descent loop: the style of PyTorch's custom-Function tutorial.
# Written against PyTorch; tests/test_course.py runs it unchanged and with only the import
# line swapped for `import ninjagrad as torch`, and compares the losses step by step.
import math

import torch


class CubicLegendre(torch.autograd.Function):
    """P3(t) = (5 t^3 - 3 t) / 2, with dP3/dt = 3 (5 t^2 - 1) / 2 written by hand."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return (5 * t**3 - 3 * t) / 2

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * 3 * (5 * t**2 - 1) / 2


precision = torch.float
device = "cuda" if torch.cuda.is_available() else torch.device("cpu")

inputs = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=precision)
targets = torch.sin(inputs)

# y = w0 + w1 * P3(w2 + w3 * x), from fixed starting weights (0-d tensors)
weights = [torch.full((), value, device=device, dtype=precision, requires_grad=True)
           for value in (0.0, -1.0, 0.0, 0.3)]
step_size = 5e-6
losses = []
for _ in range(STEPS):  # noqa: F821 - given by the test
    w0, w1, w2, w3 = weights
    prediction = w0 + w1 * CubicLegendre.apply(w2 + w3 * inputs)
    loss = (prediction - targets).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        for w in weights:
            w -= step_size * w.grad
            w.grad = None

report = f"loss {loss:.4f}; fit: y = {w0.item():.4f} + {w1.item():.4f} P3({w2.item():.4f} + " \
         f"{w3.item():.4f} x)"
