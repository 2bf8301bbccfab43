"""Train PyDyNet's MLP or LeNet-style ConvNet on (Fashion-)MNIST with Adam and cross-entropy.

    python mnist.py --network mlp --epochs 1       # one epoch of the MLP
    python mnist.py --quick                        # a small slice, in seconds (used by the tests)

Data: the four IDX files (``train-images-idx3-ubyte.gz`` ...) of ``--data DIR``; the default is
Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package (/usr/share/datasets/fashion-mnist).
Original MNIST files work the same way. Each epoch reports the training and test accuracy
(computed in eval mode under no_grad); a tqdm bar shows them with the loss when tqdm is
installed, and the accuracy curves are saved as a PNG when matplotlib is.

Runs unchanged with ``import pydynet as pdn`` (``--quick`` then also works on PyDyNet).
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

import gradswift as pdn
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift.data import data_loader
from gradswift.optim import Adam

from common import output_path, progress_bar, require_loss_fell, save_line_plots, write_results

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def read_idx(path):
    """An IDX file (optionally gzip-compressed) as a uint8 array of its stated shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {int(np.prod(shape))} values for shape {shape}, found {data.size}")
    return data.reshape(shape)


def load_split(directory, split):
    """Images scaled to [0, 1] as float32 (N, 1, 28, 28) and int64 labels."""
    images_name, labels_name = FILES[split]
    paths = [os.path.join(directory, name) for name in (images_name, labels_name)]
    for i, path in enumerate(paths):
        if not os.path.exists(path) and os.path.exists(path[:-3]):  # uncompressed copies
            paths[i] = path[:-3]
        elif not os.path.exists(path):
            sys.exit(f"mnist.py: {path} not found. Install Fashion-MNIST with "
                     f"`apt-get install -y dataset-fashion-mnist`, or pass --data DIR.")
    images = read_idx(paths[0]).astype(np.float32)[:, None] / 255.
    return images, read_idx(paths[1]).astype(np.int64)


class MLP(nn.Module):
    """784-1024-1024-10 with ReLU."""

    def __init__(self, dtype=np.float32):
        super().__init__()
        self.layer1 = nn.Linear(28 * 28, 1024, dtype=dtype)
        self.layer2 = nn.Linear(1024, 1024, dtype=dtype)
        self.layer3 = nn.Linear(1024, 10, dtype=dtype)

    def forward(self, x):
        x = x.reshape(-1, 28 * 28)
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


class ConvNet(nn.Module):
    """Two 3x3 convolutions (1->20->50 channels) with ReLU and 2x2 max pooling, then 2450-500-10."""

    def __init__(self, dtype=np.float32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 3, 1, 1, dtype=dtype)
        self.conv2 = nn.Conv2d(20, 50, 3, 1, 1, dtype=dtype)
        self.fc1 = nn.Linear(7 * 7 * 50, 500, dtype=dtype)
        self.fc2 = nn.Linear(500, 10, dtype=dtype)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
        x = x.reshape(-1, 7 * 7 * 50)
        return self.fc2(F.relu(self.fc1(x)))


def accuracy(net, loader):
    """Fraction of correctly classified samples, in eval mode without a graph."""
    net.eval()
    correct = total = 0
    with pdn.no_grad():
        for x, y in loader:
            output = net(pdn.Tensor(x))
            correct += output.argmax(-1).eq(pdn.Tensor(y)).sum().item()
            total += len(y)
    net.train()
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=["mlp", "conv"], default="conv")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--test-batch-size", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--no-cuda", action="store_true", help="accepted for compatibility (CPU only)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory of the four MNIST IDX files")
    parser.add_argument("--quick", action="store_true", help="2048 training and 1024 test images, 2 epochs")
    parser.add_argument("--output", default=None, help="PNG path (default examples/output/mnist_<network>.png)")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over the ranks of `mpirun -n N` (each rank takes batch-size / N images)")
    args = parser.parse_args(argv)
    rank, world = 0, 1
    if args.distributed:
        import gradswift.distributed as dist
        dist.init_process_group(backend="mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
        if rank != 0:  # one rank reports; the others train quietly
            sys.stdout = sys.stderr = open(os.devnull, "w")

    np.random.seed(args.seed)
    if hasattr(pdn, "manual_seed"):  # gradswift's engine generator (weights, dropout)
        pdn.manual_seed(args.seed)

    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "test")
    epochs = args.epochs
    if args.quick:
        train_x, train_y, test_x, test_y = train_x[:2048], train_y[:2048], test_x[:1024], test_y[:1024]
        epochs = min(epochs, 2)
    train_loader = data_loader(train_x, train_y, args.batch_size, shuffle=True)
    sampler = None
    if args.distributed:  # the same global batch, split over the ranks (gradswift only)
        from gradswift.data import DataLoader, DistributedSampler
        sampler = DistributedSampler(train_loader.dataset, seed=args.seed)
        train_loader = DataLoader(train_loader.dataset, max(1, args.batch_size // world), sampler=sampler)
    train_eval_loader = data_loader(train_x, train_y, args.test_batch_size, shuffle=False)
    test_loader = data_loader(test_x, test_y, args.test_batch_size, shuffle=False)

    net = MLP() if args.network == "mlp" else ConvNet()
    model = net
    if args.distributed:
        from gradswift.nn.parallel import DistributedDataParallel
        model = DistributedDataParallel(net)
    optimizer = Adam(model.parameters(), lr=args.lr)
    steps = len(train_loader) if args.distributed else -(-len(train_y) // args.batch_size)  # PyDyNet's has no len()
    print(net)
    print(f"{len(train_y)} training and {len(test_y)} test images from {args.data}; "
          f"{epochs} epoch(s) of {steps} steps" + (f", data-parallel over {world} ranks" if args.distributed else ""))

    history = {"train": [], "test": [], "loss": [], "seconds": []}
    first_loss = last_loss = None
    for epoch in range(epochs):
        started = time.perf_counter()
        bar = progress_bar(steps, f"epoch {epoch + 1}/{epochs}")
        if sampler is not None:
            sampler.set_epoch(epoch)
        for x, y in train_loader:
            loss = F.cross_entropy_loss(model(pdn.Tensor(x)), pdn.Tensor(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            last_loss = loss.item()
            first_loss = last_loss if first_loss is None else first_loss
            bar.set_postfix(LOSS=f"{last_loss:.4f}", refresh=False)
            bar.update(1)
        seconds = time.perf_counter() - started
        history["seconds"].append(seconds)
        history["train"].append(accuracy(net, train_eval_loader))
        history["test"].append(accuracy(net, test_loader))
        history["loss"].append(last_loss)
        bar.set_postfix(LOSS=f"{last_loss:.4f}", TRAIN_ACC=f"{history['train'][-1]:.4f}",
                        TEST_ACC=f"{history['test'][-1]:.4f}")
        bar.close()
        print(f"epoch {epoch + 1}/{epochs}: LOSS {last_loss:.4f}  TRAIN_ACC {history['train'][-1]:.4f}  "
              f"TEST_ACC {history['test'][-1]:.4f}  ({seconds:.1f} s training, "
              f"{1000 * seconds / steps:.1f} ms/step)")

    if rank == 0:  # the ranks hold the same model: one of them reports it
        path = output_path(args.output, f"mnist_{args.network}.png")
        epoch_numbers = np.arange(1, epochs + 1)
        curves = {"train accuracy": (epoch_numbers, history["train"]), "test accuracy": (epoch_numbers, history["test"])}
        if save_line_plots(path, [(f"{args.network.upper()} on {os.path.basename(args.data.rstrip('/'))}",
                                   "epoch", "accuracy", curves)]):
            print(f"accuracy curves saved to {path}")
        write_results(args.results, data=args.data, epochs=epochs, seconds_per_epoch=float(np.mean(history["seconds"])),
                      metrics={"train accuracy": history["train"][-1], "test accuracy": history["test"][-1]},
                      history=history)
    if args.quick:
        require_loss_fell("mnist.py", first_loss, last_loss)
    return history


if __name__ == "__main__":
    main()
