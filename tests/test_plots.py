"""The loss-curve and dlogits plots."""

import numpy as np
import pytest

from ninjagrad.draw import plots

PNG = b"\x89PNG\r\n\x1a\n"


def test_running_mean_against_a_loop():
    values = np.random.default_rng(0).standard_normal(50)
    expected = [values[max(0, i - 9) : i + 1].mean() for i in range(50)]
    np.testing.assert_allclose(plots.running_mean(values, 10), expected, rtol=1e-12)


def test_loss_plot_is_log10_with_running_mean(tmp_path):
    losses = np.linspace(3.0, 2.0, 500)
    path = tmp_path / "loss.png"
    fig = plots.plot_loss(losses, path, window=100)
    assert path.read_bytes()[:8] == PNG
    raw, mean = fig.axes[0].lines
    np.testing.assert_allclose(raw.get_ydata(), np.log10(losses))
    assert mean.get_ydata()[-1] == pytest.approx(np.log10(losses[-100:]).mean())
    with pytest.raises(ValueError, match="one-dimensional"):
        plots.plot_loss(np.zeros((2, 2)))


def test_dlogits_heatmap(tmp_path):
    d = np.random.default_rng(1).standard_normal((32, 27))
    path = tmp_path / "d.png"
    fig = plots.plot_dlogits(d, path, itos=list(".abcdefghijklmnopqrstuvwxyz"))
    assert path.read_bytes()[:8] == PNG
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), d)
    with pytest.raises(ValueError, match="two-dimensional"):
        plots.plot_dlogits(np.zeros(3))


@pytest.mark.parametrize("rows", [4096, 1])
def test_dlogits_heatmap_size_stays_viewable(rows):
    # 4096 rows x 27 characters once made a figure 729 inches (72,900 pixels) tall.
    fig = plots.plot_dlogits(np.zeros((rows, 27)))
    width, height = fig.get_size_inches()
    assert width == 8 and 3 <= height <= 16
