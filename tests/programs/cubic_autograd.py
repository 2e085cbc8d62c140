# A cubic polynomial fitted to sin(x) with autograd and a hand-written update, choosing its
# device the way PyTorch's newer autograd tutorial does (an accelerator if there is one, else
# the CPU, made the default device). Written against PyTorch; tests/test_course.py runs it
# unchanged and with only the import swapped, from the same starting coefficients.
import math

import torch

dtype = torch.float
device = (torch.accelerator.current_accelerator().type if torch.accelerator.is_available()
          else "cpu")
torch.set_default_device(device)
assert not torch.cuda.is_available() or device != "cpu"

x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
coefficients = [torch.tensor(value, dtype=dtype, requires_grad=True)
                for value in START]  # noqa: F821 - given by the test
learning_rate = 1e-6
losses = []
for _ in range(STEPS):  # noqa: F821 - given by the test
    a, b, c, d = coefficients
    y_pred = a + b * x + c * x**2 + d * x**3
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        for p in coefficients:
            p -= learning_rate * p.grad
            p.grad = None
result = f"y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3"
