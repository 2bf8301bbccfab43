"""Train a plain MLP, one with Dropout and one with BatchNorm1d side by side on the same batches.

    python dropout_bn.py                  # 50 epochs (PyDyNet's experiment)
    python dropout_bn.py --quick          # 5 epochs on half the training samples, in seconds (used by the tests)

Data: the Olivetti faces (400 images of 64x64, 40 people) when scikit-learn has them cached
(``fetch_olivetti_faces`` is never allowed to download); otherwise the 8x8 digits bundled with
scikit-learn (1797 images, 10 classes), the same small-data regime. The script says which it
used. Stratified 80/20 split, features scaled to [0, 1] by a MinMaxScaler fitted on the training
part.

The three networks share the layout in -> 512 -> 128 -> classes with ReLU; "DNN_dropout" adds
Dropout(p=0.05) and "DNN_BN" BatchNorm1d after each hidden Linear (before the ReLU). Each batch
sums the three cross-entropy losses, runs one backward and steps the three Adam optimizers.
Each epoch reports every network's training and test accuracy (eval mode, no_grad); the two
accuracy panels are saved as a PNG when matplotlib is installed.

Runs unchanged with ``import pydynet as pdn`` (``--quick`` then also works on PyDyNet).
"""
import argparse
import sys
import time

import numpy as np

import gradswift as pdn
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift.data import data_loader
from gradswift.optim import Adam

from common import output_path, progress_bar, require_loss_fell, save_line_plots, write_results

NETWORKS = ("DNN", "DNN_dropout", "DNN_BN")


def load_data():
    """(name, features as float32 (N, D), int64 labels): Olivetti faces if cached, else digits."""
    try:
        from sklearn.datasets import fetch_olivetti_faces, load_digits
    except ImportError:
        sys.exit("dropout_bn.py needs scikit-learn: `pip install scikit-learn`")
    try:
        faces = fetch_olivetti_faces(download_if_missing=False)
        name, features, labels = "Olivetti faces", faces.data, faces.target
    except OSError:  # not cached, and downloading is not allowed
        digits = load_digits()
        name, features, labels = "scikit-learn digits", digits.data, digits.target
    return name, features.astype(np.float32), labels.astype(np.int64)


def split_and_scale(features, labels):
    """Stratified 80/20 split (random_state 42), scaled to [0, 1] with the training part's range."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler
    train_x, test_x, train_y, test_y = train_test_split(features, labels, test_size=0.2, stratify=labels,
                                                        random_state=42)
    scaler = MinMaxScaler().fit(train_x)
    return (scaler.transform(train_x).astype(np.float32), train_y,
            scaler.transform(test_x).astype(np.float32), test_y)


def mlp(in_features, classes, extra, dtype=np.float32):
    """in -> 512 -> 128 -> classes with ReLU; ``extra(width)`` (or nothing) after each hidden Linear."""
    layers = []
    for fan_in, fan_out in ((in_features, 512), (512, 128)):
        layers.append(nn.Linear(fan_in, fan_out, dtype=dtype))
        if extra is not None:
            layers.append(extra(fan_out))
        layers.append(nn.ReLU())
    layers.append(nn.Linear(128, classes, dtype=dtype))
    return nn.Sequential(*layers)


def accuracy(net, x, y):
    """Fraction of correctly classified samples, in eval mode without a graph."""
    net.eval()
    with pdn.no_grad():
        correct = net(pdn.Tensor(x)).argmax(-1).eq(pdn.Tensor(y)).sum().item()
    net.train()
    return correct / len(y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch-size", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true",
                        help="half of the training samples, 5 epochs")
    parser.add_argument("--output", default=None, help="PNG path (default examples/output/dropout_bn.png)")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    args = parser.parse_args(argv)

    np.random.seed(args.seed)
    if hasattr(pdn, "manual_seed"):  # gradswift's engine generator (weights, dropout)
        pdn.manual_seed(args.seed)

    data_name, features, labels = load_data()
    train_x, train_y, test_x, test_y = split_and_scale(features, labels)
    epochs, lr = args.epochs, args.lr
    if args.quick:  # the split is shuffled, so its first half holds every class
        train_x, train_y = train_x[:len(train_y) // 2], train_y[:len(train_y) // 2]
        epochs = min(epochs, 5)
    in_features, classes = train_x.shape[1], int(labels.max()) + 1

    nets = {"DNN": mlp(in_features, classes, None),
            "DNN_dropout": mlp(in_features, classes, lambda width: nn.Dropout(p=0.05)),
            "DNN_BN": mlp(in_features, classes, lambda width: nn.BatchNorm1d(width, dtype=np.float32))}
    optimizers = [Adam(net.parameters(), lr=lr) for net in nets.values()]
    train_loader = data_loader(train_x, train_y, args.batch_size, shuffle=True)
    steps = -(-len(train_y) // args.batch_size)  # PyDyNet's DataLoader has no len()
    print(f"data: {data_name} ({len(train_y)} training and {len(test_y)} test samples, {in_features} features, "
          f"{classes} classes); {epochs} epoch(s) of {steps} steps, Adam(lr={lr:g})")
    for name, net in nets.items():
        print(f"{name}: {net}")

    history = {"loss": [], "seconds": []}
    history.update({f"{part} accuracy ({name})": [] for name in NETWORKS for part in ("train", "test")})
    first_loss = None
    for epoch in range(epochs):
        bar = progress_bar(steps, f"epoch {epoch + 1}/{epochs}")
        losses = []
        started = time.perf_counter()
        for x, y in train_loader:
            x, y = pdn.Tensor(x), pdn.Tensor(y)
            loss = sum(F.cross_entropy_loss(net(x), y) for net in nets.values())  # one graph through the three nets
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            losses.append(loss.item())
            first_loss = losses[0] if first_loss is None else first_loss
            bar.set_postfix(LOSS=f"{losses[-1]:.4f}", refresh=False)
            bar.update(1)
        seconds = time.perf_counter() - started
        bar.close()
        history["seconds"].append(seconds)
        history["loss"].append(float(np.mean(losses)))
        for name, net in nets.items():
            history[f"train accuracy ({name})"].append(accuracy(net, train_x, train_y))
            history[f"test accuracy ({name})"].append(accuracy(net, test_x, test_y))
        figures = "  ".join(f"{name} {history[f'train accuracy ({name})'][-1]:.4f}/"
                            f"{history[f'test accuracy ({name})'][-1]:.4f}" for name in NETWORKS)
        print(f"epoch {epoch + 1}/{epochs}: LOSS {history['loss'][-1]:.4f}  train/test accuracy: {figures}  "
              f"({seconds:.2f} s training)")

    path = output_path(args.output, "dropout_bn.png")
    epoch_numbers = np.arange(1, epochs + 1)
    panels = [(f"{title} accuracy", "epoch", "accuracy",
               {name: (epoch_numbers, history[f"{part} accuracy ({name})"]) for name in NETWORKS})
              for title, part in (("Training", "train"), ("Test", "test"))]
    if save_line_plots(path, panels, title=f"Plain, Dropout and BatchNorm MLPs on {data_name}"):
        print(f"accuracy curves saved to {path}")
    write_results(args.results, data=data_name, epochs=epochs, seconds_per_epoch=float(np.mean(history["seconds"])),
                  metrics={key: values[-1] for key, values in history.items() if "accuracy" in key},
                  history=history)
    if args.quick:  # the first batch's summed loss against the last epoch's mean
        require_loss_fell("dropout_bn.py", first_loss, history["loss"][-1])
    return history


if __name__ == "__main__":
    main()
