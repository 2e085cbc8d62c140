"""PyTorch programs in the course's style run on ninjagrad with only their imports changed,
and give PyTorch's numbers.

The programs live in ``tests/programs/`` and are written against PyTorch (``import torch``).
Each is run twice from its source text: as it is, and with the import lines swapped for
``import ninjagrad as torch`` / ``import ninjagrad.functional as F`` and nothing else.
"""

import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

PROGRAMS = Path(__file__).parent / "programs"
SWAPS = {
    "import torch\n": "import ninjagrad as torch\n",
    "import torch.nn.functional as F\n": "import ninjagrad.functional as F\n",
}


def run(name, library, **given):
    """Run ``programs/<name>.py`` with ``library`` ('torch' or 'ninjagrad'); its globals."""
    source = (PROGRAMS / f"{name}.py").read_text()
    if library == "ninjagrad":
        for line in SWAPS:
            assert line in source or "functional" in line, f"{name} does not import torch"
        for old, new in SWAPS.items():
            source = source.replace(old, new)
        assert "import torch\n" not in source and "torch.nn" not in source
    namespace = dict(given, __name__=f"course_{name}")
    exec(compile(source, f"{name}.py ({library})", "exec"), namespace)  # noqa: S102
    return namespace


def test_swapping_the_import_is_the_only_change():
    source = (PROGRAMS / "legendre_p3.py").read_text()
    swapped = source.replace("import torch\n", "import ninjagrad as torch\n")
    changed = [a for a, b in zip(source.splitlines(), swapped.splitlines(), strict=True) if a != b]
    assert changed == ["import torch"]


def test_legendre_p3_custom_function_matches_pytorch_loss_for_loss():
    """The custom-Function tutorial's program: 2000 steps, every loss compared."""
    ours = run("legendre_p3", "ninjagrad", STEPS=2000)
    ref = run("legendre_p3", "torch", STEPS=2000)
    ours_losses, ref_losses = np.array(ours["losses"]), np.array(ref["losses"])
    assert len(ours_losses) == 2000
    # float32 sums of 2000 terms in a different order: a few ulps per step, never growing
    np.testing.assert_allclose(ours_losses, ref_losses, rtol=2e-6)
    assert ref_losses[-1] < ref_losses[0] / 10  # it really trains
    for a, b in zip(ours["weights"], ref["weights"], strict=True):
        assert repr(a.dtype) == "ninjagrad.float32" and b.dtype == torch.float32
        assert math.isclose(a.item(), b.item(), rel_tol=1e-5, abs_tol=1e-6)  # w0, w2 stay ~0
    assert ours["report"].split(";")[0] == ref["report"].split(";")[0]  # f"{loss:.4f}"
    assert ours["inputs"].tolist() == ref["inputs"].tolist()  # linspace to the last bit


WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia",
         "harper", "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery",
         "sofia", "camila", "aria", "scarlett", "victoria", "madison", "luna", "grace",
         "chloe", "penelope", "layla", "riley", "zoey", "nora", "lily", "eleanor", "hannah",
         "lillian", "addison", "aubrey", "ellie", "stella", "natalie", "zoe"]


def test_makemore_style_program_gives_pytorch_numbers():
    rng = np.random.default_rng(2147483647)
    V = len(set("".join(WORDS))) + 1
    init = {"W": rng.standard_normal((V, V)).astype(np.float32),
            "C": rng.standard_normal((V, 10)).astype(np.float32),
            "W1": rng.standard_normal((30, 64)).astype(np.float32),
            "W2": rng.standard_normal((64, V)).astype(np.float32)}
    ours = run("bigram_mlp", "ninjagrad", WORDS=WORDS, INIT=init)["record"]
    ref = run("bigram_mlp", "torch", WORDS=WORDS, INIT=init)["record"]
    assert ours.keys() == ref.keys()
    for key, expected in ref.items():
        got = ours[key]
        assert type(got) is type(expected), key
        if isinstance(expected, list):
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6, err_msg=key)
        elif isinstance(expected, float):
            assert math.isclose(got, expected, rel_tol=2e-5, abs_tol=1e-6), (key, got, expected)
        else:
            assert got == expected, key
    assert ref["mlp_loss_39"] < ref["mlp_loss_0"]


def test_autograd_tutorial_style_cubic_fit_matches_pytorch():
    """The newer autograd tutorial's device choice (``accelerator``, ``set_default_device``)
    and hand-written update, from the same starting coefficients."""
    start = [-0.4, 0.9, 0.2, -0.1]
    ours = run("cubic_autograd", "ninjagrad", STEPS=500, START=start)
    ref = run("cubic_autograd", "torch", STEPS=500, START=start)
    assert ours["device"] == ref["device"] == "cpu"
    np.testing.assert_allclose(ours["losses"], ref["losses"], rtol=2e-6)
    assert ref["losses"][-1] < ref["losses"][0] / 10
    assert ours["result"] == ref["result"]
