"""The hand-written backward passes (exercises 1-4) against independent references:
ninjagrad's autograd, PyTorch, and central finite differences in float64."""

import numpy as np
import pytest

import ninjagrad
from ninjagrad.makemore import manual
from ninjagrad.makemore.model import PARAM_NAMES, ModelConfig, init_params

VOCAB = 27


def batch(seed, dtype, n_hidden=64, n=32, block_size=3):
    rng = np.random.default_rng(seed)
    params = init_params(ModelConfig(VOCAB, 10, n_hidden, block_size), rng, dtype)
    X = rng.integers(0, VOCAB, (n, block_size))
    Y = rng.integers(0, VOCAB, n)
    return params, X, Y


def reference_grads(lib, to_tensor, params, X, Y):
    """Run the chunked forward on a framework, backward, and return
    (forward values as numpy, framework grads as numpy) for every name."""
    P = {k: to_tensor(v, True) for k, v in params.items()}
    loss, inter = manual.forward_chunked(lib, P, to_tensor(X), to_tensor(Y))
    for t in inter.values():
        t.retain_grad()
    loss.backward()
    values = {k: t.detach().numpy() for k, t in inter.items()}
    grads = {k: t.grad.detach().numpy() for k, t in {**inter, **P}.items()}
    return values, grads


def ninjagrad_ref():
    return ninjagrad, lambda a, rg=False: ninjagrad.tensor(a, requires_grad=rg)


def torch_ref():
    torch = pytest.importorskip("torch")
    return torch, lambda a, rg=False: torch.tensor(a, requires_grad=rg)


def tolerances(dtype):
    return dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("ref", [ninjagrad_ref, torch_ref])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exercise1_every_intermediate(ref, dtype, seed):
    params, X, Y = batch(seed, dtype)
    values, grads = reference_grads(*ref(), params, X, Y)
    mine = manual.backward_chunked(params, values, X, Y)
    assert set(mine) == set(manual.INTERMEDIATES)
    for name in manual.INTERMEDIATES:
        assert mine[name].dtype == dtype, name
        np.testing.assert_allclose(mine[name], grads[name], err_msg=name, **tolerances(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exercise1_is_exact_against_ninjagrad_autograd(dtype):
    """Where the manual line computes the same expression as ninjagrad's op backward, the
    result is bit for bit the same; dC is summed in another order (one-hot matmul)."""
    params, X, Y = batch(5, dtype)
    values, grads = reference_grads(*ninjagrad_ref(), params, X, Y)
    mine = manual.backward_chunked(params, values, X, Y)
    for name in manual.INTERMEDIATES:
        if name != "C":
            assert np.array_equal(mine[name], grads[name]), name


@pytest.mark.parametrize("ref", [ninjagrad_ref, torch_ref])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [3, 4])
def test_fused_backward(ref, dtype, seed):
    params, X, Y = batch(seed, dtype, n_hidden=200)
    values, grads = reference_grads(*ref(), params, X, Y)
    tol = tolerances(dtype)
    dlogits = manual.cross_entropy_backward(values["probs"], Y)  # exercise 2
    np.testing.assert_allclose(dlogits, grads["logits"], **tol)
    dhprebn = manual.batchnorm_backward(grads["hpreact"], params["bngain"], values["bnraw"],
                                        values["bnvar_inv"])  # exercise 3
    np.testing.assert_allclose(dhprebn, grads["hprebn"], **tol)
    mine = manual.backward(params, values, X, Y)  # exercise 4
    for name in PARAM_NAMES:
        np.testing.assert_allclose(mine[name], grads[name], err_msg=name, **tol)


def test_training_forward_matches_chunked_forward():
    params, X, Y = batch(6, np.float64)
    lib, to_tensor = ninjagrad_ref()
    P = {k: to_tensor(v) for k, v in params.items()}
    loss, inter = manual.forward_chunked(lib, P, to_tensor(X), to_tensor(Y))
    fast_loss, cache = manual.forward(params, X, Y)
    assert fast_loss == pytest.approx(loss.item(), rel=1e-12)
    for name in ("h", "bnraw", "bnvar_inv", "embcat", "probs"):
        np.testing.assert_allclose(cache[name], inter[name].data, rtol=1e-12, atol=1e-15)


def test_parameter_grads_against_finite_differences():
    """Independent of any autograd: central differences of the numpy loss, float64."""
    params, X, Y = batch(7, np.float64, n_hidden=16, n=8)
    _, cache = manual.forward(params, X, Y)
    grads = manual.backward(params, cache, X, Y)
    rng = np.random.default_rng(0)
    eps = 1e-6
    for name in PARAM_NAMES:
        p = params[name]
        for flat in rng.choice(p.size, size=min(5, p.size), replace=False):
            idx = np.unravel_index(flat, p.shape)
            old = p[idx]
            p[idx] = old + eps
            up, _ = manual.forward(params, X, Y)
            p[idx] = old - eps
            down, _ = manual.forward(params, X, Y)
            p[idx] = old
            assert grads[name][idx] == pytest.approx((up - down) / (2 * eps), rel=1e-5,
                                                    abs=1e-8), (name, idx)


def test_embedding_backward_equals_scatter_add():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 5, (7, 3))
    demb = rng.standard_normal((7, 3, 4))
    expected = np.zeros((5, 4))
    np.add.at(expected, X, demb)  # the slow reference the vectorised version replaces
    np.testing.assert_allclose(manual.embedding_backward(X, demb, 5), expected, rtol=1e-12)


def test_cross_entropy_backward_does_not_modify_probs():
    probs = np.full((2, 3), 1 / 3, np.float32)
    d = manual.cross_entropy_backward(probs, np.array([0, 2]))
    assert np.all(probs == np.float32(1 / 3))
    np.testing.assert_allclose(d, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]], rtol=1e-6)
