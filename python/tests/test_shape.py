"""Shape ops (reshape, transpose, swapaxes, T, concat, split family, unsqueeze, squeeze): values
and gradients against NumPy (scatter-add of the loss weight) and PyDyNet 1.1."""
import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, gather_grad, pdn, randn, run, weight

X_SHAPE = (2, 3, 4)
# (gradswift/PyDyNet call, NumPy equivalent)
SINGLE = {
    "reshape_args": (lambda m, t: t.reshape(4, 6), lambda a: a.reshape(4, 6)),
    "reshape_tuple": (lambda m, t: t.reshape((6, -1)), lambda a: a.reshape(6, -1)),
    "reshape_fn": (lambda m, t: m.reshape(t, (3, 2, 4)), lambda a: a.reshape(3, 2, 4)),
    "reshape_flat": (lambda m, t: m.reshape(t, -1), lambda a: a.reshape(-1)),
    "transpose_none": (lambda m, t: t.transpose(), lambda a: a.transpose()),
    "transpose_args": (lambda m, t: t.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0)),
    "transpose_fn": (lambda m, t: m.transpose(t, (2, 0, 1)), lambda a: a.transpose(2, 0, 1)),
    "T": (lambda m, t: t.T, lambda a: a.T),
    "swapaxes": (lambda m, t: t.swapaxes(0, 2), lambda a: a.swapaxes(0, 2)),
    "swapaxes_neg": (lambda m, t: m.swapaxes(t, -1, 1), lambda a: a.swapaxes(-1, 1)),
    "unsqueeze_0": (lambda m, t: m.unsqueeze(t, 0), lambda a: np.expand_dims(a, 0)),
    "unsqueeze_neg": (lambda m, t: m.unsqueeze(t, -1), lambda a: np.expand_dims(a, -1)),
    "unsqueeze_tuple": (lambda m, t: m.unsqueeze(t, (0, 3)), lambda a: np.expand_dims(a, (0, 3))),
    "squeeze_all": (lambda m, t: m.squeeze(m.unsqueeze(t, (0, 2))),
                    lambda a: np.squeeze(np.expand_dims(a, (0, 2)))),
    "squeeze_axis": (lambda m, t: m.squeeze(m.unsqueeze(t, (0, 2)), 2),
                     lambda a: np.squeeze(np.expand_dims(a, (0, 2)), 2)),
    "squeeze_tuple": (lambda m, t: m.squeeze(m.unsqueeze(t, (0, 2)), (0, -3)),
                      lambda a: np.squeeze(np.expand_dims(a, (0, 2)), (0, -3))),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SINGLE))
def test_shape_op_vs_numpy(name, dtype):
    ours, numpy_fn = SINGLE[name]
    x = randn(X_SHAPE, dtype, 1)
    expected = numpy_fn(x)
    w = weight(expected.shape, dtype)
    value, (grad,) = run(gs, ours, [x], w)
    assert_close(value, expected)
    assert_close(grad, gather_grad(numpy_fn, X_SHAPE, w).astype(dtype), dtype)


# PyDyNet's Tensor.reshape((6, -1)) hands a nested tuple to NumPy and fails, and its squeeze
# ignores negative axes given in a tuple: both are compared with NumPy only.
PYDYNET_CASES = sorted(set(SINGLE) - {"reshape_tuple", "squeeze_tuple"})


@pytest.mark.parametrize("name", PYDYNET_CASES)
def test_shape_op_vs_pydynet(name):
    ours, numpy_fn = SINGLE[name]
    x = randn(X_SHAPE, np.float64, 1)
    w = weight(numpy_fn(x).shape, np.float64)
    ref_value, (ref_grad,) = run(pdn, ours, [x], w)
    value, (grad,) = run(gs, ours, [x], w)
    assert_close(value, ref_value)
    assert_close(grad, ref_grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis,shapes", [(0, [(2, 3), (1, 3), (4, 3)]), (1, [(2, 3), (2, 1)]),
                                         (-1, [(2, 2, 1), (2, 2, 3)]), (0, [(5,)]),
                                         (2, [(1, 2, 3), (1, 2, 2), (1, 2, 1)])], ids=str)
def test_concat(axis, shapes, dtype):
    arrays = [randn(s, dtype, i) for i, s in enumerate(shapes)]
    expected = np.concatenate(arrays, axis=axis)
    w = weight(expected.shape, dtype)
    fn = lambda m, *ts: m.concat(list(ts), axis=axis)  # noqa: E731
    value, grads = run(gs, fn, arrays, w)
    assert_close(value, expected)
    offsets = np.cumsum([0] + [a.shape[axis] for a in arrays])
    for i, g in enumerate(grads):
        ref = np.take(w, np.arange(offsets[i], offsets[i + 1]), axis=axis)
        assert_close(g, ref)
    ref_value, ref_grads = run(pdn, fn, arrays, w)
    assert_close(value, ref_value)
    for g, r in zip(grads, ref_grads):
        assert_close(g, r.astype(dtype), dtype)


def test_concat_errors():
    with pytest.raises(ValueError):
        gs.concat([gs.Tensor(np.ones((2, 3))), gs.Tensor(np.ones((2, 4)))], axis=0)
    with pytest.raises(ValueError):
        gs.concat([gs.Tensor(np.ones((2, 3)))], axis=2)


def test_concat_promotes_like_binary_ops():
    value = gs.concat([gs.Tensor(np.ones(2, dtype=np.float32)), gs.Tensor(np.ones(2))])
    assert value.dtype == np.float64


SPLITS = [("split", 0, 3, (6, 4)), ("split", 1, 2, (3, 4, 2)), ("split", -1, [1, 3], (2, 3, 5)),
          ("split", 3, 2, (2, 1, 3, 4)), ("split", 0, [2, 2, 5], (6, 2)), ("split", 0, [-2], (5, 2)),
          ("split", 0, [1, 10], (4,)), ("vsplit", None, 2, (4, 3)), ("hsplit", None, [1], (2, 3)),
          ("dsplit", None, 2, (2, 3, 4)), ("split", 1, 1, (2, 3))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn_name,axis,sections,shape", SPLITS, ids=str)
def test_split(fn_name, axis, sections, shape, dtype):
    x = randn(shape, dtype, 3)
    np_axis = {"vsplit": 0, "hsplit": 1, "dsplit": 2}.get(fn_name, axis)
    expected = np.split(x, sections, axis=np_axis)
    ws = [weight(e.shape, dtype, seed=i) for i, e in enumerate(expected)]
    if fn_name == "split":
        fn = lambda m, t: m.split(t, sections, axis=axis)  # noqa: E731
    else:
        fn = lambda m, t: getattr(m, fn_name)(t, sections)  # noqa: E731
    values, (grad,) = run(gs, fn, [x], ws)
    assert len(values) == len(expected)
    for v, e in zip(values, expected):
        assert_close(v, e)
    assert_close(grad, np.concatenate(ws, axis=np_axis))


@pytest.mark.parametrize("fn_name,axis,sections,shape", SPLITS[:6] + SPLITS[7:], ids=str)
def test_split_vs_pydynet(fn_name, axis, sections, shape):
    x = randn(shape, np.float64, 3)
    if fn_name == "split":
        fn = lambda m, t: m.split(t, sections, axis=axis)  # noqa: E731
    else:
        fn = lambda m, t: getattr(m, fn_name)(t, sections)  # noqa: E731
    ref_values, _ = run(pdn, fn, [x])
    values, _ = run(gs, fn, [x])
    for v, r in zip(values, ref_values):
        assert_close(v, r)


@pytest.mark.parametrize("sections,axis", [(4, 0), (0, 0), (2, 2), (2, -3)], ids=str)
def test_split_errors(sections, axis):
    with pytest.raises(ValueError):
        gs.split(gs.Tensor(np.ones((6, 3))), sections, axis=axis)


@pytest.mark.parametrize("args", [((4, 5),), ((-1, -1),), ((7,),)], ids=str)
def test_reshape_errors(args):
    with pytest.raises(ValueError):
        gs.Tensor(np.ones((2, 3, 4))).reshape(*args)


@pytest.mark.parametrize("call", [lambda t: t.transpose(0, 1), lambda t: t.transpose(0, 0, 1),
                                  lambda t: t.swapaxes(0, 3), lambda t: gs.squeeze(t, 0),
                                  lambda t: gs.unsqueeze(t, 5), lambda t: gs.unsqueeze(t, (0, 0))])
def test_axis_errors_are_value_errors(call):
    with pytest.raises(ValueError):
        call(gs.Tensor(np.ones((2, 3, 4))))


def test_shape_ops_keep_int_and_bool_dtypes():
    for dtype in (np.int64, np.bool_):
        x = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
        t = gs.Tensor(x)
        assert_close(t.T.numpy(), x.T)
        assert_close(t.reshape(3, 2).numpy(), x.reshape(3, 2))
        assert_close(gs.concat([t, t], axis=1).numpy(), np.concatenate([x, x], axis=1))
