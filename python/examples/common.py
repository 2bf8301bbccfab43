"""What the training examples share: progress bars, line plots, results files and the --quick check.

Nothing here imports a deep-learning framework, so every example runs unchanged on gradswift and
on PyDyNet. tqdm and matplotlib are optional: without them a bar is a no-op and no plot is drawn.
"""
import json
import os
import sys

import numpy as np

OUTPUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")


class _SilentBar:
    """Stands in for a tqdm bar when tqdm is not installed."""

    def set_postfix(self, *args, **kwargs):
        pass

    def update(self, n=1):
        pass

    def close(self):
        pass


def progress_bar(total, description):
    """A tqdm bar of ``total`` steps, or a silent stand-in without tqdm."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _SilentBar()
    return tqdm(total=total, desc=description)


def output_path(requested, default_name):
    """``requested`` when given, else ``examples/output/<default_name>``."""
    return requested or os.path.join(OUTPUT_DIR, default_name)


def save_line_plots(path, panels, title=None):
    """Draws one panel per entry of ``panels`` and saves a PNG; False without matplotlib.

    Each panel is ``(panel_title, xlabel, ylabel, curves)`` where ``curves`` maps a legend label
    to ``(x, y)``.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for ax, (panel_title, xlabel, ylabel, curves) in zip(axes[0], panels):
        for label, (x, y) in curves.items():
            ax.plot(x, y, marker="o" if len(x) <= 30 else None, markersize=3, label=label)
        ax.set_title(panel_title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _plain(value):
    """``value`` with NumPy scalars and arrays turned into JSON-serialisable Python values."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def write_results(path, *, data, epochs, seconds_per_epoch, metrics, history):
    """Writes a run's figures as JSON to ``path``; does nothing when ``path`` is None.

    ``data`` names the dataset used, ``seconds_per_epoch`` is the mean training time of an epoch
    (evaluation excluded), ``metrics`` maps a label such as "test accuracy" to the final value, and
    ``history`` holds the per-epoch curves. tools/example_results.py reads these files.
    """
    if path is None:
        return
    values = dict(data=data, epochs=epochs, seconds_per_epoch=seconds_per_epoch, metrics=metrics, history=history)
    with open(path, "w") as f:
        json.dump(_plain(values), f, indent=1)


def framework_variant(source, framework):
    """An example's source set to run on ``framework`` ("gradswift" or "pydynet"): only the
    imports change, which shows the scripts use PyDyNet's API alone."""
    if framework == "gradswift":
        return source
    if framework != "pydynet":
        raise ValueError(f"unknown framework {framework!r}")
    return source.replace("import gradswift as pdn", "import pydynet as pdn").replace("gradswift.", "pydynet.")


def require_loss_fell(script, first_loss, last_loss):
    """Exits with an error when a --quick run's loss did not fall."""
    if not last_loss < first_loss:
        sys.exit(f"{script} --quick: the loss did not fall ({first_loss:.4f} -> {last_loss:.4f})")
    print(f"{script} --quick: loss fell from {first_loss:.4f} to {last_loss:.4f}")
