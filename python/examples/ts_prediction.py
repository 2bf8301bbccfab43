"""Predict the next value of f(t) = sin(pi t) + cos(2 pi t) / 2 from the previous 40 with a GRU.

    python ts_prediction.py               # 50 full-batch epochs (PyDyNet's experiment)
    python ts_prediction.py --quick       # 8 epochs on the first 300 windows, in seconds (used by the tests)

Data (generated): f on t = 0, 0.05, ..., 99.95; every window of 40 consecutive values is an input
(40 steps of 1 feature) whose target is the value that follows, split 80/20 at random by
scikit-learn's ``train_test_split`` (random_state 42). The model is a one-layer GRU with 32 hidden
units whose final hidden state goes through Linear(32, 1). Each epoch is one full-batch Adam
step on the mean squared error, then the training and test MSE are measured in eval mode
under no_grad. A PNG shows the model's predictions against the truth on t in [0, 10) next to
the MSE curves when matplotlib is installed.

Runs unchanged with ``import pydynet as pdn`` (``--quick`` then also works on PyDyNet).
"""
import argparse
import sys
import time

import numpy as np

import gradswift as pdn
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift.optim import Adam

from common import output_path, progress_bar, require_loss_fell, save_line_plots, write_results

STEP = 0.05      # spacing of t
WINDOW = 40      # inputs per prediction
PLOT_END = 10.0  # the prediction plot covers t in [0, PLOT_END)
QUICK_WINDOWS = 300
QUICK_EPOCHS = 8


def f(t):
    """The series to predict."""
    return np.sin(np.pi * t) + 0.5 * np.cos(2 * np.pi * t)


def windows(values):
    """Inputs (n, WINDOW, 1) and next-value targets (n, 1) of every window, in time order."""
    n = len(values) - WINDOW
    x = np.stack([values[i:i + WINDOW] for i in range(n)])[..., None]
    return x.astype(np.float32), values[WINDOW:, None].astype(np.float32)


class GRUPredictor(nn.Module):
    """GRU(1 -> 32, batch first) whose last hidden state feeds Linear(32, 1)."""

    def __init__(self, dtype=np.float32):
        super().__init__()
        self.gru = nn.GRU(input_size=1, hidden_size=32, num_layers=1, batch_first=True, dtype=dtype)
        self.fc = nn.Linear(32, 1, dtype=dtype)

    def forward(self, x):
        output, _ = self.gru(x)
        # the last step of the (only) layer's output is its final hidden state, (batch, 32)
        return self.fc(output[:, -1])


def predict(net, x):
    """The model's predictions for ``x``, in eval mode without a graph."""
    net.eval()
    with pdn.no_grad():
        prediction = net(pdn.Tensor(x))
    net.train()
    return prediction


def mse(net, x, y):
    """The model's mean squared error on (x, y), in eval mode without a graph."""
    net.eval()
    with pdn.no_grad():
        error = F.mse_loss(net(pdn.Tensor(x)), pdn.Tensor(y)).item()
    net.train()
    return error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true",
                        help=f"the first {QUICK_WINDOWS} windows, {QUICK_EPOCHS} epochs")
    parser.add_argument("--output", default=None, help="PNG path (default examples/output/ts_prediction.png)")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    args = parser.parse_args(argv)

    try:
        from sklearn.model_selection import train_test_split
    except ImportError:
        sys.exit("ts_prediction.py needs scikit-learn: `pip install scikit-learn`")
    np.random.seed(args.seed)
    if hasattr(pdn, "manual_seed"):  # gradswift's engine generator (weights)
        pdn.manual_seed(args.seed)

    t = np.arange(0, 100, STEP)
    all_x, all_y = windows(f(t))
    epochs = args.epochs
    if args.quick:
        all_x, all_y = all_x[:QUICK_WINDOWS], all_y[:QUICK_WINDOWS]
        epochs = min(epochs, QUICK_EPOCHS)
    train_x, test_x, train_y, test_y = train_test_split(all_x, all_y, test_size=0.2, random_state=42)

    net = GRUPredictor()
    optimizer = Adam(net.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()
    print(net)
    print(f"{len(train_y)} training and {len(test_y)} test windows of {WINDOW} steps; {epochs} full-batch epoch(s)"
          f" (target variance {np.var(all_y):.4f})")

    history = {"loss": [], "train MSE": [], "test MSE": [], "seconds": []}
    inputs, targets = pdn.Tensor(train_x), pdn.Tensor(train_y)
    bar = progress_bar(epochs, "training")
    report = getattr(bar, "write", print)  # tqdm's write keeps the bar below the printed lines
    for epoch in range(epochs):
        started = time.perf_counter()
        loss = loss_fn(net(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds = time.perf_counter() - started
        history["seconds"].append(seconds)
        history["loss"].append(loss.item())
        history["train MSE"].append(mse(net, train_x, train_y))
        history["test MSE"].append(mse(net, test_x, test_y))
        bar.set_postfix(TRAIN_MSE=f"{history['train MSE'][-1]:.5f}", TEST_MSE=f"{history['test MSE'][-1]:.5f}",
                        refresh=False)
        bar.update(1)
        report(f"epoch {epoch + 1}/{epochs}: LOSS {history['loss'][-1]:.5f}  TRAIN_MSE {history['train MSE'][-1]:.5f}  "
               f"TEST_MSE {history['test MSE'][-1]:.5f}  ({seconds:.2f} s training)")
    bar.close()

    path = output_path(args.output, "ts_prediction.png")
    shown = np.flatnonzero(t[WINDOW:WINDOW + len(all_x)] < PLOT_END)  # windows whose target is plotted
    prediction = predict(net, all_x[shown]).numpy()[:, 0]
    truth_t = t[t < PLOT_END]
    epoch_numbers = np.arange(1, epochs + 1)
    panels = [(f"prediction on t in [0, {PLOT_END:g})", "t", "f(t)",
               {"truth": (truth_t, f(truth_t)), "GRU prediction": (t[shown + WINDOW], prediction)}),
              ("mean squared error", "epoch", "MSE",
               {"train": (epoch_numbers, history["train MSE"]), "test": (epoch_numbers, history["test MSE"])})]
    if save_line_plots(path, panels):
        print(f"prediction plot saved to {path}")
    write_results(args.results, data=f"f(t) = sin(pi t) + cos(2 pi t) / 2, {len(all_x)} windows of {WINDOW}",
                  epochs=epochs, seconds_per_epoch=float(np.mean(history["seconds"])),
                  metrics={"train MSE": history["train MSE"][-1], "test MSE": history["test MSE"][-1]},
                  history=history)
    if args.quick:
        require_loss_fell("ts_prediction.py", history["loss"][0], history["loss"][-1])
    return history


if __name__ == "__main__":
    main()
