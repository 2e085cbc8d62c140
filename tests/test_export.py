"""`ninjagrad export`: the safetensors file loads into the lecture's model written with
torch.nn modules, which then gives ninjagrad's val loss."""

import json
import os
import random

import numpy as np
import pytest

from ninjagrad.cli import main
from ninjagrad.makemore.checkpoint import checkpoint_path, load_checkpoint
from ninjagrad.makemore.data import load_dataset
from ninjagrad.makemore.model import split_loss

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
nn = torch.nn


class Names(nn.Module):
    """The lecture's MLP in PyTorch, as docs/makemore.md builds it."""

    def __init__(self, c):
        super().__init__()
        self.embedding = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.linear1 = nn.Linear(c["n_embd"] * c["block_size"], c["n_hidden"])
        self.batchnorm = nn.BatchNorm1d(c["n_hidden"], eps=c["batchnorm_eps"])
        self.linear2 = nn.Linear(c["n_hidden"], c["vocab_size"])

    def forward(self, x):
        h = torch.tanh(self.batchnorm(self.linear1(self.embedding(x).flatten(1))))
        return self.linear2(h)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("trained")
    rng = random.Random(3)
    words = tmp_path / "words.txt"
    words.write_text("\n".join("".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 8)))
                               for _ in range(400)) + "\n")
    w = str(tmp_path / "w")
    assert main(["train", "-i", str(words), "-o", w, "--n-hidden", "24", "--n-embd", "5",
                 "--block-size", "4", "--max-steps", "300", "--seed", "11"]) == 0
    return w, str(words)


def test_exported_model_gives_the_same_val_loss_in_pytorch(trained, tmp_path, capsys):
    w, words = trained
    out = str(tmp_path / "export")
    capsys.readouterr()
    assert main(["export", "-o", out, "-w", w]) == 0
    assert sorted(os.listdir(out)) == ["config.json", "model.safetensors"]
    assert f"to {out}:" in capsys.readouterr().out

    config = json.load(open(os.path.join(out, "config.json")))
    model = Names(config)
    state = safetensors_torch.load_file(os.path.join(out, "model.safetensors"))
    model.load_state_dict(state)  # strict: every name and shape as torch.nn has them
    model.eval()

    data = load_dataset(words, config["block_size"])
    assert config["vocab"] == data.vocab.itos
    with torch.no_grad():
        logits = model(torch.from_numpy(data.Xdev))
        torch_loss = torch.nn.functional.cross_entropy(logits.double(),
                                                       torch.from_numpy(data.Ydev)).item()
    ckpt = load_checkpoint(checkpoint_path(w))
    ours = split_loss(ckpt.state.params, ckpt.bnmean, ckpt.bnvar, data.Xdev, data.Ydev)
    assert abs(torch_loss - ours) < 1e-5
    assert abs(ours - json.load(open(os.path.join(w, "metrics.json")))["val_loss"]) < 1e-12


def test_linear_weights_are_stored_out_by_in(trained, tmp_path):
    w, _ = trained
    out = str(tmp_path / "export")
    assert main(["export", "-o", out, "-w", w]) == 0
    state = safetensors_torch.load_file(os.path.join(out, "model.safetensors"))
    params = load_checkpoint(checkpoint_path(w)).state.params
    assert tuple(state["linear1.weight"].shape) == (24, 20)
    assert np.array_equal(state["linear1.weight"].numpy(), params["W1"].T)
    assert np.array_equal(state["linear2.weight"].numpy(), params["W2"].T)
    assert state["embedding.weight"].dtype == torch.float32


def test_export_without_a_trained_model_is_one_line(tmp_path, capsys):
    assert main(["export", "-o", str(tmp_path / "x"), "-w", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ninjagrad export: error: no checkpoint at") and err.count("\n") == 1
    assert not os.path.exists(tmp_path / "x")
