"""The scalar demo: data, the two training runs, and the ``ninjagrad demo`` command."""

import numpy as np
import pytest

from ninjagrad.cli import main
from ninjagrad.cli.demo import make_moons, train_lecture, train_moons


def test_make_moons_shapes_labels_and_geometry():
    X, y = make_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert sorted(set(y.tolist())) == [-1.0, 1.0] and (y == -1).sum() == 50
    upper, lower = X[y == -1], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)  # unit half circle
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()
    X2, _ = make_moons(101, noise=0.1, seed=0)
    assert not np.allclose(X, X2)
    np.testing.assert_array_equal(make_moons(50, seed=3)[0], make_moons(50, seed=3)[0])


def test_lecture_dataset_reaches_small_loss():
    model, losses = train_lecture(steps=100, seed=0)
    assert losses[-1] < 0.01 < losses[0]


def test_moons_classifier_fits_its_training_set():
    model, history = train_moons(n=100, steps=50, seed=0)
    X, y = make_moons(100, noise=0.1, seed=0)
    predictions = np.array([model(row).data for row in X.tolist()])
    assert (np.sign(predictions) == y).all()  # 100% training accuracy
    assert history[-1][0] < history[0][0]


def test_cli_demo_runs(capsys):
    code = main(["demo", "--lecture-steps", "3", "--moons-steps", "2", "--moons", "10",
                 "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "lecture: MLP(3, [4, 4, 1]" in out and "3 steps" in out
    assert "moons: MLP(2, [16, 16, 1]" in out and "10 points" in out


@pytest.mark.parametrize(
    "argv,message",
    [(["--seed", "abc"], "--seed must be an integer"),
     (["--moons", "1"], "--moons must be at least 2"),
     # used to fail allocating the points, with a traceback
     (["--moons", "99999999999999"], "--moons must be at most 10,000, got 99,999,999,999,999"),
     (["--moons-steps", "1000001"], "--moons-steps must be at most 1,000,000"),
     (["--moons-steps", "0"], "--moons-steps must be at least 1"),
     (["--lecture-steps", "-3"], "--lecture-steps must be at least 1"),
     (["--part", "both"], "--part must be one of")],
)
def test_cli_demo_rejects_bad_values(capsys, argv, message):
    assert main(["demo", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
