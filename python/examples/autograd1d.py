"""Gradient descent on f(x) = log((x - 7)^2 + 6), starting at x = 1 (learning rate 1.5, 20 steps).

The iterates obtained with automatic differentiation are checked against the same descent run
with the hand-derived gradient f'(x) = 2 (x - 7) / ((x - 7)^2 + 6). With matplotlib installed,
both runs are drawn on the curve and saved as a PNG (``--output``, default
``examples/output/autograd1d.png``); otherwise the iterates are printed.

Runs unchanged with ``import pydynet as pdn``.
"""
import argparse
import os
import time

import numpy as np

import gradswift as pdn

from common import write_results

X0, LR, STEPS = 1.0, 1.5, 20


def f(x):
    return np.log((x - 7) ** 2 + 6)


def f_prime(x):
    return 2 * (x - 7) / ((x - 7) ** 2 + 6)


def descend_autograd():
    """Iterates of gradient descent with the gradient computed by backward()."""
    x = pdn.Tensor(X0, requires_grad=True)
    iterates = [x.item()]
    for _ in range(STEPS):
        x.zero_grad()
        y = pdn.log((x - 7) ** 2 + 6)
        y.backward()
        with x.device:
            x.data -= LR * x.grad
        iterates.append(x.item())
    return np.array(iterates)


def descend_manual():
    """Iterates of the same descent with the hand-derived gradient."""
    iterates = [X0]
    for _ in range(STEPS):
        iterates.append(iterates[-1] - LR * f_prime(iterates[-1]))
    return np.array(iterates)


def plot(auto, manual, path):
    """Two side-by-side scatter plots of the iterates on the curve, saved to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo, hi = min(auto.min(), 7.0) - 2.0, max(auto.max(), 7.0) + 2.0
    grid = np.linspace(lo, hi, 400)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, xs, title in zip(axes, (auto, manual), ("autograd", "hand-derived gradient")):
        ax.plot(grid, f(grid), color="gray", label="f(x) = log((x-7)^2 + 6)")
        ax.scatter(xs, f(xs), c=np.arange(len(xs)), cmap="viridis", zorder=3, label="iterates")
        ax.set_title(f"{title}: {STEPS} steps, lr {LR}")
        ax.set_xlabel("x")
        ax.legend()
    axes[0].set_ylabel("f(x)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output", "autograd1d.png")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=default, help="path of the PNG plot")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    args = parser.parse_args()

    started = time.perf_counter()
    auto = descend_autograd()
    seconds = time.perf_counter() - started
    manual = descend_manual()
    diff = np.max(np.abs(auto - manual))
    print(f"final x: autograd {auto[-1]:.12f}, hand-derived {manual[-1]:.12f}")
    print(f"max difference between the iterates: {diff:.3e}")
    assert diff < 1e-10, "autograd and hand-derived iterates disagree"
    write_results(args.results, data="none", epochs=STEPS, seconds_per_epoch=seconds / STEPS,
                  metrics={"final x": auto[-1], "max difference from hand-derived": diff},
                  history={"x": auto})

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        for step, (a, m) in enumerate(zip(auto, manual)):
            print(f"step {step:2d}: x = {a:.10f} (autograd)  {m:.10f} (hand-derived)")
        return
    plot(auto, manual, args.output)
    print(f"plot saved to {args.output}")


if __name__ == "__main__":
    main()
