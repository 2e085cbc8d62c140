"""PyTorch programs in the course's style run on ninjagrad with only their imports changed,
and give PyTorch's numbers.

The programs live in ``tests/programs/`` and are written against PyTorch (``import torch``).
Each is run twice from its source text: as it is, and with ``torch`` renamed ``ninjagrad`` in
its import lines and nothing else: ``import torch`` becomes ``import ninjagrad as torch``,
``import torch.nn.functional as F`` becomes ``import ninjagrad.nn.functional as F``. The code
itself keeps every ``torch.`` (``torch.nn.functional.cross_entropy`` included).
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest

import ninjagrad

torch = pytest.importorskip("torch")

PROGRAMS = Path(__file__).parent / "programs"
# An import line that names torch: ``import torch`` or ``import torch.a.b as name``.
TORCH_IMPORT = re.compile(r"^import torch(?P<path>(\.\w+)*)(?P<alias> as \w+)?$", re.MULTILINE)


def swap_imports(source):
    """``source`` with every import of torch made an import of ninjagrad under the same name."""
    def swap(m):
        return f"import ninjagrad{m['path']}{m['alias'] or ' as torch'}"
    return TORCH_IMPORT.sub(swap, source)


def run(name, library, **given):
    """Run ``programs/<name>.py`` with ``library`` ('torch' or 'ninjagrad'); its globals."""
    source = (PROGRAMS / f"{name}.py").read_text()
    if library == "ninjagrad":
        assert "import torch\n" in source, f"{name} does not import torch"
        source = swap_imports(source)
        # nothing can reach PyTorch any more: no import names it
        assert not re.search(r"^\s*(import|from)\s+torch\b", source, re.MULTILINE), name
    namespace = dict(given, __name__=f"course_{name}")
    exec(compile(source, f"{name}.py ({library})", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("name, imports", [
    ("legendre_p3", {"import torch": "import ninjagrad as torch"}),
    ("bigram_mlp", {"import torch": "import ninjagrad as torch",
                    "import torch.nn.functional as F": "import ninjagrad.nn.functional as F"}),
])
def test_swapping_the_imports_is_the_only_change(name, imports):
    source = (PROGRAMS / f"{name}.py").read_text()
    swapped = swap_imports(source)
    changed = {a: b for a, b in zip(source.splitlines(), swapped.splitlines(), strict=True)
               if a != b}
    assert changed == imports


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
    namespace = run("bigram_mlp", "ninjagrad", WORDS=WORDS, INIT=init)
    ours = namespace["record"]
    ref = run("bigram_mlp", "torch", WORDS=WORDS, INIT=init)["record"]
    # its F. and its torch.nn.functional. both reached ninjagrad's functional
    assert namespace["F"] is namespace["torch"].nn.functional is ninjagrad.functional
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
