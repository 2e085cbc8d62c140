"""The two training plots: the loss curve and a heatmap of dlogits.

Figures are made with matplotlib's object API and the Agg canvas, never pyplot, so this
works without a display and leaves the notebook's or the user's backend alone. Each
function returns the ``Figure`` (a notebook displays it) and saves it when given a path.
"""

import numpy as np

MAX_HEATMAP_HEIGHT = 16  # inches (1,600 pixels at the 100 dpi the plots are saved with)


def _figure(figsize):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def running_mean(values, window):
    """Mean of each value and the ``window - 1`` before it (fewer at the start)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return values
    csum = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


def plot_loss(losses, path=None, window=1000, title="training loss"):
    """log10 of the per-step training loss, with its running mean over ``window`` steps.

    The lecture plots log10 loss because the raw curve is dominated by the first steps.
    """
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim != 1:
        raise ValueError(f"losses must be one-dimensional, got shape {losses.shape}")
    fig = _figure((8, 4))
    ax = fig.add_subplot()
    steps = np.arange(1, len(losses) + 1)
    log_loss = np.log10(np.maximum(losses, np.finfo(np.float64).tiny))
    window = max(1, min(window, len(losses)))
    ax.plot(steps, log_loss, color="tab:blue", alpha=0.25, linewidth=0.5, label="per step")
    ax.plot(steps, running_mean(log_loss, window), color="tab:blue", linewidth=2,
            label=f"running mean ({window} steps)")
    ax.set_xlabel("step")
    ax.set_ylabel("log10(loss)")
    ax.set_title(title)
    if len(losses):
        ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_dlogits(dlogits, path=None, itos=None, title="dlogits for one batch"):
    """Heatmap of dlogits = (softmax - one_hot) / n: the pull on every logit of every row.

    Each row sums to zero: the correct character is pulled up (negative gradient), all the
    others are pushed down in proportion to their probability.
    """
    d = np.asarray(dlogits, dtype=np.float64)
    if d.ndim != 2:
        raise ValueError(f"dlogits must be two-dimensional, got shape {d.shape}")
    # Height follows the rows-to-columns ratio, within limits: a large batch once gave an
    # 800 x 145,735 pixel image that viewers refuse to open.
    height = 8 * max(d.shape[0], 1) / max(d.shape[1], 1) * 0.6 + 1
    fig = _figure((8, min(max(height, 3), MAX_HEATMAP_HEIGHT)))
    ax = fig.add_subplot()
    limit = float(np.abs(d).max()) or 1.0
    image = ax.imshow(d, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto",
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, label="dloss/dlogit")
    if itos is not None and len(itos) == d.shape[1]:
        ax.set_xticks(range(d.shape[1]), list(itos))
    ax.set_xlabel("character")
    ax.set_ylabel("example in the batch")
    ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
