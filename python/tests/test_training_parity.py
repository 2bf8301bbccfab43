"""Whole-training parity with PyDyNet 1.1: the example scripts' own models (mnist.py's MLP and
ConvNet, ts_prediction.py's GRU, dropout_bn.py's three MLPs, transformer.py's block), built once
on each framework, start from PyDyNet's freshly initialised weights, see the same batches for 20
steps with the same Adam, and must give the same loss at every step and the same final weights.

Bounds: float64 within 1e-9 relative for every loss and 1e-8 for the weights (the issue asks
for 1e-4); float32 within 2e-4 relative for losses and 1e-3 (relative to the tensor's scale) for
weights: summation order differs between the engines, and Adam's normalised steps carry those
rounding differences into the weights.
"""
import functools
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers import reset_reference

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STEPS = 20
BOUNDS = {np.float64: dict(loss=1e-9, weights=1e-8), np.float32: dict(loss=2e-4, weights=1e-3)}


def load_example(name, framework):
    """The example script ``name`` executed as a module on ``framework`` (its main() not run)."""
    import sys
    sys.path.insert(0, str(EXAMPLES))
    from common import framework_variant
    path = EXAMPLES / f"{name}.py"
    module = types.ModuleType(f"{name}_on_{framework}")
    module.__file__ = str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(framework_variant(path.read_text(), framework), str(path), "exec"), module.__dict__)
    return module


def copy_weights(source, target):
    """Copies every parameter of ``source`` (PyDyNet) into ``target`` (gradswift), in order."""
    pairs = list(zip(source.parameters(), target.parameters()))
    assert len(pairs) == len(list(source.parameters())) == len(list(target.parameters()))
    for a, b in pairs:
        assert a.data.shape == b.data.shape
        b.data[...] = a.data


def train(example, net, batches, step):
    """Runs ``step(example, net, optimizer, batch)`` (returning the loss) over ``batches``."""
    optimizer = example.Adam(net.parameters(), lr=1e-4)  # mnist.py's rate
    losses = [step(example, net, optimizer, batch) for batch in batches]
    return np.array(losses), [np.array(p.data, dtype=np.float64) for p in net.parameters()]


def step_with(loss_name):
    """A training step minimising ``F.<loss_name>(net(x), y)``; returns the loss."""
    def step(example, net, optimizer, batch):
        x, y = batch
        loss = getattr(example.F, loss_name)(net(example.pdn.Tensor(x)), example.pdn.Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


classification_step, regression_step = step_with("cross_entropy_loss"), step_with("mse_loss")


def compare(name, build, batches, step, dtype):
    """Trains ``build(example, dtype)`` on both frameworks from PyDyNet's initial weights."""
    reset_reference()
    reference_example, example = load_example(name, "pydynet"), load_example(name, "gradswift")
    reference_net, net = build(reference_example, dtype), build(example, dtype)
    copy_weights(reference_net, net)
    expected_losses, expected_weights = train(reference_example, reference_net, batches, step)
    losses, weights = train(example, net, batches, step)
    bound = BOUNDS[dtype]
    np.testing.assert_allclose(losses, expected_losses, rtol=bound["loss"])
    assert losses[-5:].mean() < losses[:5].mean()  # it learned
    for w, e in zip(weights, expected_weights):
        np.testing.assert_allclose(w, e, rtol=0, atol=bound["weights"] * max(1.0, np.abs(e).max()))


FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


@functools.lru_cache(maxsize=1)
def fashion_mnist_train():
    return load_example("mnist", "gradswift").load_split(FASHION_MNIST, "train")


def image_batches(dtype, batch_size, jitter=0.0):
    """The first STEPS batches of Fashion-MNIST's training set (installed by `make setup`), with
    uniform noise in [0, jitter) added to every pixel."""
    images, labels = fashion_mnist_train()
    images = images[:STEPS * batch_size] + np.random.default_rng(0).random((STEPS * batch_size, 1, 28, 28)) * jitter
    return [(images[i:i + batch_size].astype(dtype), labels[i:i + batch_size])
            for i in range(0, STEPS * batch_size, batch_size)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mnist_mlp_trains_like_pydynet(dtype):
    compare("mnist", lambda example, dt: example.MLP(dtype=dt), image_batches(dtype, 32), classification_step, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mnist_convnet_trains_like_pydynet(dtype):
    """The jitter removes exact ties in max pooling (the images' flat black background makes
    many): PyDyNet gives every tied maximum the gradient, gradswift the first only, as PyTorch."""
    compare("mnist", lambda example, dt: example.ConvNet(dtype=dt), image_batches(dtype, 8, jitter=0.01),
            classification_step, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ts_prediction_gru_trains_like_pydynet(dtype):
    """ts_prediction.py's GRU -> Linear on 256 windows of its series, full batch."""
    example = load_example("ts_prediction", "gradswift")
    x, y = example.windows(example.f(np.arange(0, 100, example.STEP)))
    batches = [(x[:256].astype(dtype), y[:256].astype(dtype))] * STEPS
    compare("ts_prediction", lambda ex, dt: ex.GRUPredictor(dtype=dt), batches, regression_step, dtype)


@functools.lru_cache(maxsize=1)
def digits_split():
    example = load_example("dropout_bn", "gradswift")
    _, features, labels = example.load_data()
    return example.split_and_scale(features, labels)


@pytest.mark.parametrize("extra", ["none", "dropout", "batchnorm"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_bn_networks_trains_like_pydynet(extra, dtype):
    """dropout_bn.py's three MLPs on its data, batches of 40; dropout with p = 0 (the masks of the
    two frameworks' generators cannot agree), batch norm in training mode."""
    train_x, train_y, _, _ = digits_split()
    batches = [(train_x[i:i + 40].astype(dtype), train_y[i:i + 40]) for i in range(0, 40 * STEPS, 40)]

    def build(example, dt):
        layer = {"none": None, "dropout": lambda width: example.nn.Dropout(p=0.0),
                 "batchnorm": lambda width: example.nn.BatchNorm1d(width, dtype=dt)}[extra]
        return example.mlp(train_x.shape[1], int(train_y.max()) + 1, layer, dtype=dt)

    compare("dropout_bn", build, batches, classification_step, dtype)


def pytorch_semantics_layers(example):
    """Replaces two PyDyNet 1.1 layers in the PyDyNet copy of transformer.py by versions built
    from PyDyNet ops that compute what PyTorch's (and gradswift's) layers compute:
    LayerNorm over each token's features (PyDyNet's normalizes over the batch axis), and an
    Embedding whose repeated indices add up their gradients (PyDyNet's counts a row once) and
    whose padding row gets none. Parameters are registered in the same order as the originals."""
    pdn, nn = example.pdn, example.nn

    class TokenLayerNorm(nn.Module):
        def __init__(self, width, eps=1e-6, dtype=None):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(pdn.ones(width, dtype=dtype))
            self.bias = nn.Parameter(pdn.zeros(width, dtype=dtype))

        def forward(self, x):
            centered = x - x.mean(-1, keepdims=True)
            variance = (centered * centered).mean(-1, keepdims=True)
            return centered / pdn.sqrt(variance + self.eps) * self.weight + self.bias

    class OneHotEmbedding(nn.Module):
        def __init__(self, count, width, padding_idx=None, dtype=None):
            super().__init__()
            self.count, self.padding_idx = count, padding_idx
            self.weight = nn.Parameter(pdn.randn(count, width, dtype=dtype))

        def reset_parameters(self):
            pass

        def forward(self, tokens):
            one_hot = np.eye(self.count, dtype=self.weight.data.dtype)[np.asarray(tokens.data)]
            one_hot[..., self.padding_idx] = 0  # the padding row (kept at zero) gets no gradient
            return pdn.Tensor(one_hot) @ self.weight

    namespace = types.SimpleNamespace(**{name: getattr(nn, name) for name in dir(nn) if not name.startswith("_")})
    namespace.LayerNorm, namespace.Embedding = TokenLayerNorm, OneHotEmbedding
    example.nn = namespace


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transformer_block_trains_like_pydynet(dtype):
    """transformer.py's model and weighted logistic loss, 20 steps of batch 16 from the fortunes
    task (4-10 words). The padding row of the embedding starts at zero, as in PyTorch."""
    example = load_example("transformer", "gradswift")
    texts, labels = example.build_fortunes_task(example.DEFAULT_DATA, seed=0, sentences=16 * STEPS, max_words=10)
    tokens, vocabulary = example.encode(texts)
    labels = np.asarray(labels, dtype=dtype)
    batches = [(tokens[i:i + 16], labels[i:i + 16]) for i in range(0, 16 * STEPS, 16)]

    def build(ex, dt):
        if ex.__name__.endswith("pydynet"):
            pytorch_semantics_layers(ex)
        net = ex.Transformer(len(vocabulary) + 1, tokens.shape[1], dtype=dt)  # + the padding index
        net.embedding.weight.data[0] = 0
        return net

    def step(ex, net, optimizer, batch):
        x, y = batch
        weights = np.where(y > 0, 1 / 0.7, 1 / 0.3).astype(dtype)
        loss = ex.weighted_logistic_loss(net(ex.pdn.Tensor(x)), ex.pdn.Tensor(y), ex.pdn.Tensor(weights))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    compare("transformer", build, batches, step, dtype)
