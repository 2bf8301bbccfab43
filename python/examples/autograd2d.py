"""Gradient descent on f(x) = x^T A x / 2 + b^T x in two dimensions (learning rate 0.1, 30 steps).

A = [[3, 1], [1, 2]], b = [-1, 1], x0 drawn with np.random.seed(42). The iterates and objective
values obtained with automatic differentiation are checked against the same descent run with
the hand-derived gradient A x + b. With matplotlib installed, both trajectories are drawn over
the objective's surface and saved as a PNG (``--output``, default
``examples/output/autograd2d.png``); otherwise they are printed.

Runs unchanged with ``import pydynet as pdn``.
"""
import argparse
import os
import time

import numpy as np

import gradswift as pdn

from common import write_results

A_VALUES = np.array([[3.0, 1.0], [1.0, 2.0]])
B_VALUES = np.array([-1.0, 1.0])
LR, STEPS = 0.1, 30


def objective(x):
    return x @ A_VALUES @ x / 2 + B_VALUES @ x


def descend_autograd(x0):
    """Iterates ``(xs, objectives)`` with the gradient computed by backward()."""
    A, b = pdn.Tensor(A_VALUES), pdn.Tensor(B_VALUES)
    x = pdn.Tensor(x0, requires_grad=True)
    xs, objs = [], []
    for _ in range(STEPS):
        obj = x @ A @ x / 2 + b @ x
        obj.backward()
        xs.append(x.numpy())
        objs.append(obj.item())
        x.data -= LR * x.grad
        x.zero_grad()
    return np.array(xs), np.array(objs)


def descend_manual(x0):
    """The same descent with the hand-derived gradient ``A x + b``."""
    x = np.array(x0, dtype=float)
    xs, objs = [], []
    for _ in range(STEPS):
        xs.append(x.copy())
        objs.append(objective(x))
        x = x - LR * (A_VALUES @ x + B_VALUES)
    return np.array(xs), np.array(objs)


def plot(auto, manual, path):
    """Two 3-D plots of the trajectories over the objective's surface, saved to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = np.concatenate([auto[0], manual[0]])
    lo, hi = points.min(axis=0) - 1.0, points.max(axis=0) + 1.0
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60))
    grid = np.stack([g0, g1], axis=-1)
    surface = np.einsum("...i,ij,...j->...", grid, A_VALUES, grid) / 2 + grid @ B_VALUES
    fig = plt.figure(figsize=(12, 5))
    for i, ((xs, objs), title) in enumerate(zip((auto, manual), ("autograd", "hand-derived gradient"))):
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        ax.plot_surface(g0, g1, surface, cmap="viridis", alpha=0.5)
        ax.plot(xs[:, 0], xs[:, 1], objs, "r.-", zorder=5)
        ax.set_title(f"{title}: {STEPS} steps, lr {LR}")
        ax.set_xlabel("x[0]")
        ax.set_ylabel("x[1]")
        ax.set_zlabel("f(x)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output", "autograd2d.png")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=default, help="path of the PNG plot")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    args = parser.parse_args()

    np.random.seed(42)
    x0 = np.random.randn(2)
    started = time.perf_counter()
    auto = descend_autograd(x0)
    seconds = time.perf_counter() - started
    manual = descend_manual(x0)
    diff = max(np.max(np.abs(auto[0] - manual[0])), np.max(np.abs(auto[1] - manual[1])))
    print(f"x0 = {x0}, final x: autograd {auto[0][-1]}, hand-derived {manual[0][-1]}")
    print(f"minimum of the objective: x* = {-np.linalg.solve(A_VALUES, B_VALUES)}")
    print(f"max difference between the iterates and objectives: {diff:.3e}")
    assert diff < 1e-10, "autograd and hand-derived iterates disagree"
    write_results(args.results, data="none", epochs=STEPS, seconds_per_epoch=seconds / STEPS,
                  metrics={"final objective": auto[1][-1], "max difference from hand-derived": diff},
                  history={"x": auto[0], "objective": auto[1]})

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        for step, (xa, fa) in enumerate(zip(*auto)):
            print(f"step {step:2d}: x = {xa}, f(x) = {fa:.10f}")
        return
    plot(auto, manual, args.output)
    print(f"plot saved to {args.output}")


if __name__ == "__main__":
    main()
