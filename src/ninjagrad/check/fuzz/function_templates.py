"""Function subclasses the 'function' category defines in its programs.

Each is (source text, number of tensor arguments); the text uses the program's name
``Function``, so it defines a ``torch.autograd.Function`` on PyTorch and a
``ninjagrad.Function`` on ninjagrad. Between them they cover saved inputs, a saved output,
``ctx`` attributes, ``ctx.needs_input_grad``, a non-tensor argument, a None gradient for a
tensor, several outputs (``Pair``) and extra trailing Nones (``ExtraNone``).
"""

FUNCTION_TEMPLATES = {
    "Cube": ('''class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 3 * x ** 2''', 1),
    "MulAdd": ('''class MulAdd(Function):
    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return x * y + alpha * x

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        gx = grad_output * (y + ctx.alpha) if ctx.needs_input_grad[0] else None
        gy = grad_output * x if ctx.needs_input_grad[1] else None
        return gx, gy, None''', 2),
    "FirstOnly": ('''class FirstOnly(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * 2 + y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2, None''', 2),
    "ExpSaved": ('''class ExpSaved(Function):
    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        out, = ctx.saved_tensors
        return grad_output * out''', 1),
    "Scale": ('''class Scale(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.k, None''', 1),
    "Pair": ('''class Pair(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x.tanh()

    @staticmethod
    def backward(ctx, grad_double, grad_tanh):
        x, = ctx.saved_tensors
        return grad_double * 2 + grad_tanh * (1 - x.tanh() ** 2)''', 1),
    "ExtraNone": ('''class ExtraNone(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sigmoid()

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        s = x.sigmoid()
        return grad_output * s * (1 - s), None, None''', 1),
}
