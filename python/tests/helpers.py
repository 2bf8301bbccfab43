"""Reference machinery for the tests: run a function on gradswift and on PyDyNet 1.1 (or NumPy),
back-propagate ``sum(out * w)`` with a fixed random weight ``w`` and compare values, dtypes and
gradients."""
import ctypes
import gc
import warnings

import numpy as np

from gradswift._lib import lib
from gradswift._release import release_pending

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pydynet as pdn
from pydynet.core.tensor import Graph

TOLERANCES = {np.dtype(np.float16): dict(rtol=1e-3, atol=1e-5),  # one float16 rounding step
              np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
              np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12)}


def live_handles():
    """The engine's count of live handles, after garbage cycles are collected and the queued
    handles of dead tensors released (else a collection during a test changes the count)."""
    gc.collect()
    release_pending()
    out = ctypes.c_int64()
    assert lib.gs_live_handles(ctypes.byref(out)) == 0
    return out.value


def reset_reference():
    """Empty PyDyNet's global graph (a failed op leaves stale nodes that break later backwards)."""
    Graph.node_list.clear()
    Graph.size = 0


def rng(seed=0):
    return np.random.default_rng(seed)


def randn(shape, dtype=np.float64, seed=0):
    return np.asarray(rng(seed).standard_normal(shape), dtype=dtype)


def positive(shape, dtype=np.float64, seed=0, low=0.5, high=2.0):
    return np.asarray(rng(seed).uniform(low, high, shape), dtype=dtype)


def weight(shape, dtype, seed=12345):
    """The fixed random weight of the loss ``sum(out * w)``."""
    return np.asarray(rng(seed).uniform(0.5, 1.5, shape), dtype=dtype)


def run(mod, fn, arrays, w=None, requires_grad=True):
    """Evaluate ``fn(mod, *tensors)`` and back-propagate ``sum(out * w)``.

    Float arrays become tensors requiring grad. Returns ``(value, grads)``: the output as a
    NumPy array (its dtype is the tensor's) and the list of input gradients (None where absent).
    ``fn`` may return a list of tensors (``w`` is then a list of weights).
    """
    if mod is pdn:
        reset_reference()
    tensors = [mod.Tensor(a, requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays]
    out = fn(mod, *tensors)
    outs = out if isinstance(out, list) else [out]
    values = [o.numpy() for o in outs]
    for o, v in zip(outs, values):
        assert tuple(o.shape) == v.shape and o.dtype == v.dtype
    grads = None
    if w is not None:
        ws = w if isinstance(w, list) else [w]
        loss = None
        for o, wi in zip(outs, ws):
            term = (o * mod.Tensor(wi)).sum()
            loss = term if loss is None else loss + term
        loss.backward()
        grads = [None if t.grad is None else np.array(t.grad) for t in tensors]
    return (values if isinstance(out, list) else values[0]), grads


def assert_close(actual, expected, dtype=None, check_dtype=True):
    """Same shape, same dtype (unless disabled) and values within the dtype's tolerance."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    if check_dtype:
        assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
    dt = np.dtype(dtype) if dtype is not None else actual.dtype
    if dt.kind == "f":
        np.testing.assert_allclose(actual, expected, **TOLERANCES[dt])
    else:
        np.testing.assert_array_equal(actual, expected)


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach it from ``shape``."""
    grad = np.asarray(grad)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def gather_grad(select, shape, w):
    """Gradient of ``sum(w * select(x))`` for an op that only moves/copies elements of ``x``:
    the scatter-add of ``w`` to the elements each output came from."""
    source = select(np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape))
    return np.bincount(np.asarray(source).ravel(), weights=np.asarray(w, dtype=np.float64).ravel(),
                       minlength=int(np.prod(shape))).reshape(shape)
