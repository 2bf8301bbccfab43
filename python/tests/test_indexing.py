"""Indexing (``__getitem__``/``__setitem__``) against NumPy: basic and advanced keys, their mixes,
and the gradient, which scatter-adds (repeated indices accumulate)."""
import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, gather_grad, pdn, randn, run, weight

SHAPE = (4, 5, 6)
MASK0 = np.array([True, False, True, True])
MASK01 = randn((4, 5), seed=11) > 0
# name: key (NumPy arrays or lists; "T" marks arrays passed as gradswift/PyDyNet Tensors)
KEYS = {
    "int": 1, "neg_int": -1, "ints": (1, 2), "neg_ints": (-1, -2, -3), "all_ints": (3, 4, 5),
    "slice": slice(1, 3), "step": slice(None, None, 2), "reverse": slice(None, None, -1),
    "neg_step": slice(3, 0, -2), "neg_start": slice(-3, None), "empty_slice": slice(10, 20),
    "slices": (slice(None), slice(1, None, 3), slice(None, -1)),
    "slice_int": (slice(None), 2), "ellipsis_int": (Ellipsis, 1), "int_ellipsis": (1, Ellipsis),
    "newaxis": (None, 1), "newaxis_mid": (slice(None), None, 2), "ellipsis": Ellipsis,
    "newaxes_ellipsis": (None, Ellipsis, None), "list": [0, 2], "repeated": [0, 0, 3, 0],
    "array_2d": np.array([[0, 1], [2, 3]]), "negative_array": np.array([-1, -4]),
    "pairs": ([0, 1], [1, 2]), "repeated_pairs": ([0, 0, 2], [1, 1, 1]),
    "tensor": ("T", np.array([3, 1, 3])), "tensor_pair": (slice(None), ("T", np.array([0, 4, 0]))),
    "mask_full": randn(SHAPE, seed=10) > 0, "mask_axis0": MASK0, "mask_2d": MASK01,
    "mask_tensor": ("T", MASK0), "mask_then_slice": (MASK0, slice(1, 3)),
    "slice_then_mask": (slice(None), np.array([True, False, True, False, True])),
    "adjacent": (slice(None), [0, 2], [1, 3]), "adjacent_end": (Ellipsis, [0, 5]),
    "non_adjacent": ([0, 1], slice(None), [1, 2]), "int_and_array": (1, slice(None), [0, 2]),
    "int_array_adjacent": (slice(None), 1, [0, 2]), "broadcast_arrays": ([[0], [1]], [0, 2]),
    "newaxis_between": ([0, 1], None, [1, 2]), "empty_list": [],
    "mask_and_array": (MASK0, [0, 1, 1]), "array_slice_step": ([3, 0], slice(None, None, -2), 0),
}
# PyDyNet assigns instead of accumulating the gradient of repeated indices: compared with NumPy only
REPEATED = {"repeated", "repeated_pairs", "tensor", "tensor_pair", "array_2d", "broadcast_arrays",
            "mask_and_array"}


def make_key(key, mod):
    """The key with ("T", array) items turned into tensors of ``mod`` (None: plain arrays)."""
    def item(k):
        if isinstance(k, tuple) and len(k) == 2 and isinstance(k[0], str):
            return k[1] if mod is None else mod.Tensor(k[1])
        return k
    if isinstance(key, tuple) and not (len(key) == 2 and isinstance(key[0], str)):
        return tuple(item(k) for k in key)
    return item(key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem_vs_numpy(name, dtype):
    x = randn(SHAPE, dtype, 1)
    np_key = make_key(KEYS[name], None)
    expected = x[np_key]
    w = weight(expected.shape, dtype)
    value, (grad,) = run(gs, lambda m, t: t[make_key(KEYS[name], m)], [x], w)
    assert_close(value, expected)
    assert_close(grad, gather_grad(lambda a: a[np_key], SHAPE, w).astype(dtype), dtype)


@pytest.mark.parametrize("name", sorted(set(KEYS) - REPEATED))
def test_getitem_vs_pydynet(name):
    x = randn(SHAPE, np.float64, 1)
    w = weight(x[make_key(KEYS[name], None)].shape, np.float64)
    fn = lambda m, t: t[make_key(KEYS[name], m)]  # noqa: E731
    ref_value, (ref_grad,) = run(pdn, fn, [x], w)
    value, (grad,) = run(gs, fn, [x], w)
    assert_close(value, ref_value)
    assert_close(grad, ref_grad)


@pytest.mark.parametrize("key", [True, False, np.True_, (0, True), (Ellipsis, False)], ids=repr)
def test_boolean_scalar_keys_are_rejected_clearly(key):
    """NumPy treats x[True] as a 0-d mask; the engine does not support it and says so."""
    with pytest.raises(IndexError, match="boolean"):
        gs.Tensor(randn((2, 3), seed=2))[key]


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_getitem_of_int_and_bool_tensors(dtype):
    x = (np.arange(24).reshape(4, 6) % 3).astype(dtype)
    for key in (1, (slice(None), [0, 0, 5]), x.astype(bool), (slice(1, None, 2), -1)):
        assert_close(gs.Tensor(x)[key].numpy(), x[key])


SET_KEYS = ["int", "neg_ints", "slice", "step", "reverse", "slices", "slice_int", "ellipsis_int",
            "newaxis", "ellipsis", "list", "pairs", "mask_full", "mask_axis0", "mask_2d",
            "adjacent", "non_adjacent", "int_and_array", "tensor_pair", "mask_tensor",
            "mask_then_slice", "empty_list"]


@pytest.mark.parametrize("value_kind", ["scalar", "int_scalar", "array", "tensor", "broadcast"])
@pytest.mark.parametrize("name", SET_KEYS)
def test_setitem_vs_numpy(name, value_kind):
    x = randn(SHAPE, seed=1)
    key_np = make_key(KEYS[name], None)
    target_shape = x[key_np].shape
    value = {"scalar": 7.5, "int_scalar": -2, "array": randn(target_shape, seed=3),
             "tensor": randn(target_shape, seed=4),
             "broadcast": randn(target_shape[-1:], seed=5)}[value_kind]
    t = gs.Tensor(x)
    t[make_key(KEYS[name], gs)] = gs.Tensor(value) if value_kind == "tensor" else value
    x[key_np] = value
    assert_close(t.numpy(), x)


def test_setitem_casts_to_the_target_dtype():
    """As in NumPy (and so PyDyNet), assigned values are cast to the target's dtype."""
    x = np.arange(6).reshape(2, 3)
    t = gs.Tensor(x)
    t[0, 1] = 2.7
    t[0, 2] = -2.7
    x[0, 1] = 2.7
    x[0, 2] = -2.7
    assert_close(t.numpy(), x)
    t[1] = np.array([1.5, 2.5, 3.5])
    x[1] = np.array([1.5, 2.5, 3.5])
    assert_close(t.numpy(), x)
    b = gs.Tensor(np.zeros(3, dtype=bool))
    b[1] = 5
    assert_close(b.numpy(), np.array([False, True, False]))


def test_setitem_is_seen_by_data_view_and_later_ops():
    t = gs.Tensor(np.zeros((2, 3)))
    view = t.data
    t[:, 1] = 4.0
    assert view[0, 1] == 4.0
    assert_close((t * 2).numpy(), np.array([[0, 8.0, 0], [0, 8.0, 0]]))


def test_setitem_on_tensor_requiring_grad():
    t = gs.Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(ValueError):
        t[0] = 1.0
    with pytest.raises(ValueError):
        t[1:] = gs.Tensor(np.ones(2))
    with gs.no_grad():
        t[0] = 1.0
        t[1:] = np.array([2.0, 3.0])
    assert_close(t.numpy(), np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("key", [4, -5, (0, 5), (slice(None), 0, 6), [0, 4], np.array([-5]),
                                 (slice(None), [1, 5])], ids=str)
def test_out_of_range_index_is_index_error(key):
    with pytest.raises(IndexError):
        gs.Tensor(np.ones((4, 5, 6)))[key]
    with pytest.raises(IndexError):
        gs.Tensor(np.ones((4, 5, 6)))[key] = 1.0


@pytest.mark.parametrize("key", [(0, 0, 0, 0), 1.5, np.array([0.5, 1.0]), np.array([True, False]),
                                 (Ellipsis, 0, Ellipsis)], ids=str)
def test_invalid_keys_are_index_errors(key):
    with pytest.raises(IndexError):
        gs.Tensor(np.ones((4, 5, 6)))[key]


def test_slice_with_zero_step_is_value_error():
    with pytest.raises(ValueError):
        gs.Tensor(np.ones(4))[::0]


def test_setitem_value_shape_mismatch_is_value_error():
    with pytest.raises(ValueError):
        gs.Tensor(np.ones((4, 5)))[0] = np.ones(4)


def test_iteration_uses_getitem_until_index_error():
    x = randn((3, 2), seed=6)
    rows = list(gs.Tensor(x))
    assert len(rows) == 3
    for row, ref in zip(rows, x):
        assert_close(row.numpy(), ref)


def test_index_keeps_key_tensors_alive_and_releases_temporaries(handle_counter):
    x = gs.Tensor(np.arange(10.0))
    before = handle_counter()
    for _ in range(20):
        y = x[[1, 2, 3]]
        y = x[gs.Tensor([4, 5])]
        y = x[np.arange(10) > 4]
        x[[0, 1]] = 1.0
        del y
    assert handle_counter() == before
