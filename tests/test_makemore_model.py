"""The model's one forward pass (``model.forward``), in each place it runs: the manual
training step (numpy), the autograd training step (ninjagrad Tensors with F.batch_norm)
and inference (batchnorm in eval mode), against PyTorch computing the same network."""

import numpy as np
import pytest

import ninjagrad
from ninjagrad.makemore import manual, model, train
from ninjagrad.makemore.model import BN_EPS, ModelConfig, init_params

torch = pytest.importorskip("torch")
VOCAB = 27


def setup(seed, dtype=np.float64, n=32, n_hidden=48):
    rng = np.random.default_rng(seed)
    params = init_params(ModelConfig(VOCAB, 10, n_hidden, 3), rng, dtype)
    X = rng.integers(0, VOCAB, (n, 3))
    Y = rng.integers(0, VOCAB, n)
    return params, X, Y


def torch_logits(params, X, training, bnmean=None, bnvar=None):
    """The names MLP in PyTorch, batchnorm by its own functional (Bessel-corrected batch
    variance in training mode, as the lecture; the given statistics in eval mode)."""
    P = {k: torch.tensor(v) for k, v in params.items()}
    hprebn = P["C"][torch.tensor(X)].view(len(X), -1) @ P["W1"] + P["b1"]
    if training:
        mean = hprebn.mean(0)
        var = hprebn.var(0, unbiased=True)
    else:
        mean, var = torch.tensor(bnmean).view(-1), torch.tensor(bnvar).view(-1)
    hpreact = torch.nn.functional.batch_norm(hprebn, mean, var, P["bngain"].view(-1),
                                             P["bnbias"].view(-1), training=False, eps=BN_EPS)
    return (torch.tanh(hpreact) @ P["W2"] + P["b2"]).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_forward_on_arrays_and_on_tensors_is_one_computation(dtype):
    """The manual step's forward (numpy) and the autograd step's (Tensors, F.batch_norm)
    run the same lines and the same batchnorm math, so they agree to the last bit; both
    agree with PyTorch to rounding."""
    params, X, _ = setup(0, dtype)
    on_arrays, inter = model.forward(params, X, model.batch_norm_train)
    P = {k: ninjagrad.tensor(v, requires_grad=True) for k, v in params.items()}
    on_tensors, _ = model.forward(P, X, model.batch_norm_autograd, ninjagrad.tanh)
    assert on_tensors.requires_grad and on_tensors.dtype == dtype
    np.testing.assert_array_equal(on_tensors.data, on_arrays)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(on_arrays, torch_logits(params, X, training=True), **tol)
    assert set(inter) == {"embcat", "hprebn", "bn", "h"}


def test_inference_is_the_forward_in_eval_mode():
    params, X, _ = setup(1)
    rng = np.random.default_rng(2)
    bnmean = rng.standard_normal((1, 48))
    bnvar = rng.random((1, 48)) + 0.5
    logits = model.logits(params, bnmean, bnvar, X)
    np.testing.assert_allclose(logits, torch_logits(params, X, False, bnmean, bnvar),
                               rtol=1e-10, atol=1e-12)
    # eval mode does not depend on the batch: one row alone gives the same logits
    np.testing.assert_allclose(model.logits(params, bnmean, bnvar, X[:1]), logits[:1],
                               rtol=1e-12)


def test_split_loss_is_the_cross_entropy_of_the_inference_logits():
    params, X, Y = setup(3, n=100)
    bnmean, bnvar = model.calibrate_batchnorm(params, X)
    expected = torch.nn.functional.cross_entropy(
        torch.tensor(torch_logits(params, X, False, bnmean, bnvar)), torch.tensor(Y)).item()
    assert model.split_loss(params, bnmean, bnvar, X, Y, chunk=7) == pytest.approx(
        expected, rel=1e-10)


def test_both_training_steps_take_the_same_step():
    """One SGD step with the hand-written backward and one with autograd, from the same
    weights on the same batch: the same loss and (to rounding) the same new weights."""
    params, X, Y = setup(4, np.float64)
    manual_params = {k: v.copy() for k, v in params.items()}
    autograd_params = {k: v.copy() for k, v in params.items()}
    manual_loss = train.manual_step_fn(manual_params)(X, Y, 0.1)
    autograd_loss = train.autograd_step_fn(autograd_params)(X, Y, 0.1)
    assert manual_loss == pytest.approx(autograd_loss, rel=1e-12)
    expected = torch.nn.functional.cross_entropy(
        torch.tensor(torch_logits(params, X, training=True)), torch.tensor(Y)).item()
    assert manual_loss == pytest.approx(expected, rel=1e-10)
    for name in params:
        np.testing.assert_allclose(manual_params[name], autograd_params[name], rtol=1e-10,
                                   atol=1e-13, err_msg=name)
        if name != "b1":  # batchnorm cancels b1: its gradient is rounding noise, ~1e-18
            assert not np.array_equal(manual_params[name], params[name]), name


def test_manual_forward_keeps_what_the_backward_needs():
    params, X, Y = setup(5)
    _, cache = manual.forward(params, X, Y)
    assert set(cache) == {"embcat", "bnraw", "bnvar_inv", "h", "probs"}
    np.testing.assert_allclose(cache["probs"].sum(1), 1.0, rtol=1e-12)
