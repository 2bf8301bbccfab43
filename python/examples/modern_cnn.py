"""Train a small ConvNet on Fashion-MNIST the way PyTorch code does today: GELU, Hardswish and
Mish activations, AdamW with parameter groups (no weight decay on biases), a one-cycle
learning-rate schedule stepped every batch, and gradient-norm clipping.

    python modern_cnn.py --epochs 5      # the full run of the README's results
    python modern_cnn.py --quick         # a small slice, in seconds (used by make test)

Data as mnist.py (``--data DIR``, Fashion-MNIST from Debian's ``dataset-fashion-mnist`` by
default). Each epoch reports the training loss, the largest gradient norm seen before clipping,
and the training and test accuracy; the curves and the learning-rate schedule are saved as a
PNG when matplotlib is installed. gradswift only (PyDyNet 1.1 has none of these pieces).
"""
import argparse
import os
import time

import numpy as np

import gradswift as gs
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift.data import data_loader
from gradswift.nn.utils import clip_grad_norm_, parameter_count
from gradswift.optim import AdamW
from gradswift.optim.lr_scheduler import OneCycleLR

from common import output_path, progress_bar, require_loss_fell, save_line_plots, write_results
from mnist import DEFAULT_DATA, accuracy, load_split


class ModernConvNet(nn.Module):
    """conv 3x3 (1->32) GELU, max-pool, conv 3x3 (32->64) Hardswish, max-pool, dropout,
    3136-128 Mish, 128-10."""

    def __init__(self, dtype=np.float32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1, 1, dtype=dtype)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, 1, dtype=dtype)
        self.act1, self.act2, self.act3 = nn.GELU(), nn.Hardswish(), nn.Mish()
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(7 * 7 * 64, 128, dtype=dtype)
        self.fc2 = nn.Linear(128, 10, dtype=dtype)

    def forward(self, x):
        x = F.max_pool2d(self.act1(self.conv1(x)), 2)
        x = F.max_pool2d(self.act2(self.conv2(x)), 2)
        x = self.dropout(x.reshape(-1, 7 * 7 * 64))
        return self.fc2(self.act3(self.fc1(x)))


def parameter_groups(net, weight_decay):
    """AdamW's two groups: weights decay, biases do not (the usual PyTorch recipe)."""
    named = list(net.named_parameters())
    return [{"params": [p for name, p in named if not name.endswith("bias")], "weight_decay": weight_decay},
            {"params": [p for name, p in named if name.endswith("bias")], "weight_decay": 0.0}]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--test-batch-size", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--max-lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--clip", type=float, default=1.0, help="largest gradient norm (clip_grad_norm_)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory of the four MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="2048 training and 1024 test images, 2 epochs")
    parser.add_argument("--output", default=None, help="PNG path (default examples/output/modern_cnn.png)")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    args = parser.parse_args(argv)

    np.random.seed(args.seed)
    gs.manual_seed(args.seed)
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "test")
    epochs = args.epochs
    if args.quick:
        train_x, train_y, test_x, test_y = train_x[:2048], train_y[:2048], test_x[:1024], test_y[:1024]
        epochs = min(epochs, 2)
    train_loader = data_loader(train_x, train_y, args.batch_size, shuffle=True)
    train_eval_loader = data_loader(train_x, train_y, args.test_batch_size, shuffle=False)
    test_loader = data_loader(test_x, test_y, args.test_batch_size, shuffle=False)
    steps = -(-len(train_y) // args.batch_size)

    net = ModernConvNet()
    optimizer = AdamW(parameter_groups(net, args.weight_decay), lr=args.max_lr)
    schedule = OneCycleLR(optimizer, max_lr=args.max_lr, total_steps=epochs * steps)
    print(net)
    print(f"{parameter_count(net)} parameters; {len(train_y)} training and {len(test_y)} test images "
          f"from {args.data}; {epochs} epoch(s) of {steps} steps")

    history = {"train": [], "test": [], "loss": [], "largest_grad_norm": [], "seconds": [], "lr": []}
    first_loss = last_loss = None
    for epoch in range(epochs):
        started, largest_norm = time.perf_counter(), 0.0
        bar = progress_bar(steps, f"epoch {epoch + 1}/{epochs}")
        for x, y in train_loader:
            loss = F.cross_entropy(net(gs.Tensor(x)), gs.Tensor(y))
            optimizer.zero_grad()
            loss.backward()
            largest_norm = max(largest_norm, clip_grad_norm_(net.parameters(), args.clip).item())
            optimizer.step()
            history["lr"].append(schedule.get_last_lr()[0])
            schedule.step()
            last_loss = loss.item()
            first_loss = last_loss if first_loss is None else first_loss
            bar.set_postfix(LOSS=f"{last_loss:.4f}", LR=f"{history['lr'][-1]:.2e}", refresh=False)
            bar.update(1)
        bar.close()
        seconds = time.perf_counter() - started
        history["seconds"].append(seconds)
        history["train"].append(accuracy(net, train_eval_loader))
        history["test"].append(accuracy(net, test_loader))
        history["loss"].append(last_loss)
        history["largest_grad_norm"].append(largest_norm)
        print(f"epoch {epoch + 1}/{epochs}: LOSS {last_loss:.4f}  largest gradient norm {largest_norm:.2f}  "
              f"TRAIN_ACC {history['train'][-1]:.4f}  TEST_ACC {history['test'][-1]:.4f}  "
              f"({seconds:.1f} s training, {1000 * seconds / steps:.1f} ms/step)")

    path = output_path(args.output, "modern_cnn.png")
    epoch_numbers = np.arange(1, epochs + 1)
    panels = [(f"ConvNet (AdamW, one-cycle) on {os.path.basename(args.data.rstrip('/'))}", "epoch", "accuracy",
               {"train accuracy": (epoch_numbers, history["train"]), "test accuracy": (epoch_numbers, history["test"])}),
              ("one-cycle learning rate", "step", "learning rate",
               {"lr": (np.arange(1, len(history["lr"]) + 1), history["lr"])})]
    if save_line_plots(path, panels):
        print(f"curves saved to {path}")
    write_results(args.results, data=args.data, epochs=epochs, seconds_per_epoch=float(np.mean(history["seconds"])),
                  metrics={"train accuracy": history["train"][-1], "test accuracy": history["test"][-1]},
                  history=history)
    if args.quick:
        require_loss_fell("modern_cnn.py", first_loss, last_loss)
    return history


if __name__ == "__main__":
    main()
