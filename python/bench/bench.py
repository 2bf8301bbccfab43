"""Side-by-side timings of gradswift, PyDyNet 1.1 and (when importable) PyTorch on the
workloads of the PyDyNet examples. Prints one table of median times and ratios.

    PYTHONPATH=python python3 python/bench/bench.py            # every workload
    PYTHONPATH=python python3 python/bench/bench.py --quick    # smaller sizes, a smoke run
    PYTHONPATH=python python3 python/bench/bench.py --only mlp conv

Each workload builds the same model on each framework (PyDyNet's shapes; float32) and times
whole training steps (forward, backward, optimizer step) after warm-up runs.
"""
import argparse
import statistics
import sys
import time
import warnings

import numpy as np

import gradswift

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pydynet
    import pydynet.nn
    import pydynet.nn.functional
    import pydynet.optim

try:
    import torch
    torch.set_num_threads(2)
except ImportError:
    torch = None

import gradswift.nn
import gradswift.nn.functional
import gradswift.optim


def pdn_modules(pdn):
    """(pdn, nn, F, optim) of a PyDyNet-API framework."""
    return pdn, sys.modules[pdn.__name__ + ".nn"], sys.modules[pdn.__name__ + ".nn.functional"], \
        sys.modules[pdn.__name__ + ".optim"]


def median_time(fn, repeats, warmup=2):
    """Median seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- workloads: each returns a zero-argument step function for one framework ----------------

def tiny_add(framework, quick):
    if framework == "torch":
        a, b = torch.ones(1), torch.ones(1)
    else:
        a, b = framework.Tensor(np.ones(1)), framework.Tensor(np.ones(1))
    return lambda: a + b


def small_graph(framework, quick):
    if framework == "torch":
        x, w, b = torch.ones(4), torch.ones(4, requires_grad=True), torch.ones(4, requires_grad=True)
    else:
        x = framework.Tensor(np.ones(4))
        w, b = framework.Tensor(np.ones(4), requires_grad=True), framework.Tensor(np.ones(4), requires_grad=True)

    def step():
        (x * w + b).sum().backward()
    return step


def _classifier_step(framework, make_net, x_shape, classes, batch):
    r = np.random.default_rng(0)
    x_np = r.random((batch,) + x_shape, dtype=np.float32)
    y_np = r.integers(0, classes, batch)
    if framework == "torch":
        net = make_net(torch, torch.nn, torch.nn.functional)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        loss_fn = torch.nn.functional.cross_entropy
    else:
        pdn, nn, F, optim = pdn_modules(framework)
        net = make_net(pdn, nn, F)
        opt = optim.Adam(net.parameters(), lr=1e-4)
        x, y = pdn.Tensor(x_np), pdn.Tensor(y_np)
        loss_fn = F.cross_entropy_loss

    def step():
        loss = loss_fn(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def mlp(framework, quick):
    def make(pdn, nn, F):
        torch_like = pdn is torch
        kw = {"dtype": torch.float32} if torch_like else {"dtype": np.float32}

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.l1, self.l2, self.l3 = nn.Linear(784, 1024, **kw), nn.Linear(1024, 1024, **kw), nn.Linear(1024, 10, **kw)

            def forward(self, x):
                x = x.reshape(-1, 784)
                return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))
        return MLP()
    return _classifier_step(framework, make, (1, 28, 28), 10, 64 if quick else 256)


def conv(framework, quick):
    def make(pdn, nn, F):
        torch_like = pdn is torch
        kw = {"dtype": torch.float32} if torch_like else {"dtype": np.float32}

        class ConvNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.c1, self.c2 = nn.Conv2d(1, 20, 3, 1, 1, **kw), nn.Conv2d(20, 50, 3, 1, 1, **kw)
                self.f1, self.f2 = nn.Linear(2450, 500, **kw), nn.Linear(500, 10, **kw)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.c1(x)), 2, 2)
                x = F.max_pool2d(F.relu(self.c2(x)), 2, 2)
                return self.f2(F.relu(self.f1(x.reshape(-1, 2450))))
        return ConvNet()
    return _classifier_step(framework, make, (1, 28, 28), 10, 32 if quick else 256)


def gru(framework, quick):
    n = 128 if quick else 1568
    r = np.random.default_rng(0)
    x_np = r.standard_normal((n, 40, 1)).astype(np.float32)
    y_np = r.standard_normal((n, 1)).astype(np.float32)
    if framework == "torch":
        rnn, head = torch.nn.GRU(1, 32, 1, batch_first=True), torch.nn.Linear(32, 1)
        params = list(rnn.parameters()) + list(head.parameters())
        opt = torch.optim.Adam(params, lr=0.01)
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

        def step():
            _, h = rnn(x)
            loss = torch.nn.functional.mse_loss(head(h[-1]), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step
    pdn, nn, F, optim = pdn_modules(framework)
    rnn, head = nn.GRU(1, 32, 1, batch_first=True, dtype=np.float32), nn.Linear(32, 1, dtype=np.float32)
    opt = optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.01)
    x, y = pdn.Tensor(x_np), pdn.Tensor(y_np)

    def step():
        _, h = rnn(x)
        loss = F.mse_loss(head(h[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def sgemm(framework, quick):
    n = 256 if quick else 1024
    a_np = np.random.default_rng(0).random((n, n), dtype=np.float32)
    if framework == "torch":
        a = torch.from_numpy(a_np)
    else:
        a = framework.Tensor(a_np)
    return lambda: a @ a


WORKLOADS = {
    "add": ("1-element a + b", tiny_add, 2000, "us"),
    "graph": ("(x*w + b).sum().backward(), 4 elements", small_graph, 2000, "us"),
    "mlp": ("MLP 784-1024-1024-10 step, Adam", mlp, 20, "ms"),
    "conv": ("ConvNet step, Adam", conv, 5, "ms"),
    "gru": ("GRU(1, 32) over 40 steps, full batch, Adam", gru, 5, "ms"),
    "sgemm": ("sgemm (reported as GFLOP/s)", sgemm, 10, "GFLOP/s"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), help="run only these workloads")
    args = parser.parse_args(argv)
    frameworks = [("gradswift", gradswift), ("PyDyNet", pydynet)] + ([("PyTorch", "torch")] if torch else [])
    print(f"{'workload':44} " + " ".join(f"{name:>12}" for name, _ in frameworks)
          + "   gs/PyDyNet" + ("   gs/PyTorch" if torch else ""))
    for key in args.only or WORKLOADS:
        title, build, repeats, unit = WORKLOADS[key]
        if args.quick:
            repeats = max(3, repeats // 20)
        results = []
        for _, framework in frameworks:
            seconds = median_time(build(framework, args.quick), repeats)
            if unit == "GFLOP/s":
                n = 256 if args.quick else 1024
                results.append(2 * n ** 3 / seconds / 1e9)
            else:
                results.append(seconds * (1e6 if unit == "us" else 1e3))
        cells = " ".join(f"{v:10.1f}{unit[:2] if unit != 'GFLOP/s' else 'GF'}" for v in results)
        ratios = "   ".join(f"{results[0] / v:10.2f}" for v in results[1:])
        print(f"{title:44} {cells}   {ratios}")
    print("(times are medians; ratios below 1 mean gradswift is faster, except for GFLOP/s where above 1 is)")


if __name__ == "__main__":
    main()
