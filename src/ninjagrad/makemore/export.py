"""Export a trained names MLP for PyTorch: ``model.safetensors`` and ``config.json``.

The tensors get the names a ``torch.nn`` module built from ``Embedding``, ``Linear``,
``BatchNorm1d`` and ``Linear`` gives them (docs/makemore.md shows that module), so a user
who outgrows ninjagrad continues in PyTorch with ``load_state_dict``:

  C (vocab, n_embd)                    -> embedding.weight (vocab, n_embd)
  W1 (n_embd * block_size, n_hidden)   -> linear1.weight (n_hidden, n_embd * block_size)
  b1                                   -> linear1.bias
  bngain, bnbias (1, n_hidden)         -> batchnorm.weight, batchnorm.bias (n_hidden,)
  bnmean, bnvar (calibrated)           -> batchnorm.running_mean, batchnorm.running_var
  W2 (n_hidden, vocab)                 -> linear2.weight (vocab, n_hidden)
  b2                                   -> linear2.bias

``torch.nn.Linear`` stores its weight as (out, in) and computes ``x @ weight.T``; our
weights are (in, out) and used as ``x @ W``, hence the transposes. BatchNorm1d in eval mode
normalises with ``running_var + eps``, as our eval batchnorm does with the calibrated
(Bessel-corrected) variance.
"""

import json
import os

import numpy as np

from ninjagrad.errors import CheckpointError, NinjagradError
from ninjagrad.files import write_atomically
from ninjagrad.makemore.model import BN_EPS

FORMATS = ("safetensors",)
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
FORMAT = "ninjagrad-makemore-export/1"


def state_dict(params, bnmean, bnvar):
    """The PyTorch-named float32 tensors of the model (numpy arrays, C-contiguous)."""
    tensors = {
        "embedding.weight": params["C"],
        "linear1.weight": params["W1"].T,
        "linear1.bias": params["b1"],
        "batchnorm.weight": params["bngain"].reshape(-1),
        "batchnorm.bias": params["bnbias"].reshape(-1),
        "batchnorm.running_mean": bnmean.reshape(-1),
        "batchnorm.running_var": bnvar.reshape(-1),
        "linear2.weight": params["W2"].T,
        "linear2.bias": params["b2"],
    }
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    # BatchNorm1d keeps a counter too; load_state_dict(strict=True) expects it. Our
    # statistics come from one pass over the training set, not from momentum updates.
    tensors["batchnorm.num_batches_tracked"] = np.array(0, dtype=np.int64)
    return tensors


def export_config(ckpt):
    """What config.json holds: the sizes, the vocabulary and how the model is built."""
    c = ckpt.config
    return {
        "format": FORMAT,
        "vocab": ckpt.vocab.itos,
        "vocab_size": ckpt.vocab.size,
        "n_embd": c.n_embd,
        "n_hidden": c.n_hidden,
        "block_size": c.block_size,
        "batchnorm_eps": BN_EPS,
        "boundary_token": 0,
        "architecture": (
            "Embedding(vocab_size, n_embd) -> flatten -> Linear(n_embd * block_size, n_hidden)"
            " -> BatchNorm1d(n_hidden, eps=batchnorm_eps), eval mode -> tanh -> "
            "Linear(n_hidden, vocab_size) -> logits of the next character"
        ),
        "input": "block_size previous characters as vocab indices, 0 ('.') before the word",
        "steps": ckpt.state.step,
        "seed": c.seed,
        "data_sha256": ckpt.data_sha256,
    }


def export(ckpt, bnmean, bnvar, out_dir, fmt="safetensors"):
    """Write ``model.safetensors`` and ``config.json`` into ``out_dir`` (each atomically);
    return their paths."""
    if fmt not in FORMATS:
        raise NinjagradError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    try:
        from safetensors.numpy import save
    except ImportError:
        raise NinjagradError("exporting needs the safetensors package: "
                             "pip install safetensors") from None
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise NinjagradError(f"cannot create {out_dir}: {exc.strerror}") from None
    if not os.path.isdir(out_dir):
        raise NinjagradError(f"{out_dir} is a file, not a directory")
    blob = save(state_dict(ckpt.state.params, bnmean, bnvar),
                metadata={"format": FORMAT, "source": "ninjagrad"})
    text = json.dumps(export_config(ckpt), indent=2, ensure_ascii=False) + "\n"
    weights, config = os.path.join(out_dir, WEIGHTS_NAME), os.path.join(out_dir, CONFIG_NAME)
    write_atomically(weights, lambda f: f.write(blob), "weights file", CheckpointError)
    write_atomically(config, lambda f: f.write(text.encode()), "config file", CheckpointError)
    return [weights, config]
