"""Linear algebra beyond matmul: einsum, tensordot, outer (ger), dot, bmm, diag, diagonal, trace.
Values and gradients against NumPy (einsum's gradients against einsum itself: the gradient of an
operand is the einsum of the output weight with the other operands), dtypes, PyTorch's shape and
dtype errors, and handle counts. The golden file linalg.txt checks the same ops in float32 and
float64 through Swift, C and Python."""
import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, live_handles, randn, run, weight

FLOATS = [np.float32, np.float64]


def einsum_grads(equation, arrays, w):
    """Gradients of sum(einsum(equation, *arrays) * w) for equations without repeated
    subscripts within an operand or '...': operand i's is einsum(out, others -> its subscripts)."""
    inputs, output = equation.split("->")
    terms = inputs.split(",")
    grads = []
    for i, term in enumerate(terms):
        others = [t for j, t in enumerate(terms) if j != i]
        spec = ",".join([output] + others) + "->" + term
        grads.append(np.einsum(spec, w, *[a for j, a in enumerate(arrays) if j != i]))
    return grads


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ijk,kj->i", [(2, 3, 4), (4, 3)]),
    ("ij,jk,kl->li", [(2, 3), (3, 4), (4, 2)]),
    ("abc,cd,b->da", [(2, 3, 4), (4, 2), (3,)]),
    ("ij->ji", [(2, 3)]),
])
def test_einsum_values_and_gradients(equation, shapes, dtype):
    arrays = [randn(s, dtype, i) for i, s in enumerate(shapes)]
    expected = np.einsum(equation, *[a.astype(np.float64) for a in arrays])
    w = weight(expected.shape, dtype)
    value, grads = run(gs, lambda m, *t: m.einsum(equation, *t), arrays, w)
    assert_close(value, expected.astype(dtype))
    for grad, ref in zip(grads, einsum_grads(equation, [a.astype(np.float64) for a in arrays], w.astype(np.float64))):
        assert_close(grad, ref.astype(dtype))


@pytest.mark.parametrize("equation, shapes", [
    ("ii->i", [(3, 3)]), ("ii", [(4, 4)]), ("iij->j", [(2, 2, 3)]), ("iji->j", [(2, 3, 2)]),
    ("ij,jk", [(2, 3), (3, 4)]), ("ba", [(2, 3)]), ("Ab,bA->A", [(2, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]), ("...i,...i->...", [(2, 3), (4, 1, 3)]), ("i...->...", [(2, 3, 4)]),
    ("...ij->...", [(2, 3, 4)]), ("i,i->i", [(3,), (1,)]), (",ij->ij", [(), (2, 2)]), ("", [()]),
    ("ij,j->i", [(0, 3), (3,)]), ("i->", [(0,)]), ("i,j,k", [(2,), (3,), (1,)]), ("ij, jk -> ik", [(2, 3), (3, 2)]),
])
def test_einsum_diagonals_ellipsis_implicit_output_and_broadcasting(equation, shapes):
    arrays = [randn(s, np.float64, i) for i, s in enumerate(shapes)]
    assert_close(gs.einsum(equation, *arrays).numpy(), np.einsum(equation.replace(" ", ""), *arrays))
    # operands may come as one list, as in torch.einsum
    assert_close(gs.einsum(equation, [gs.Tensor(a) for a in arrays]).numpy(), np.einsum(equation.replace(" ", ""), *arrays))


def test_einsum_gradient_of_a_diagonal_and_of_a_repeated_operand():
    a = gs.Tensor(randn((3, 3)), requires_grad=True)
    gs.einsum("ii->", a).backward()
    assert_close(a.grad, np.eye(3))
    v = gs.Tensor(randn((4,)), requires_grad=True)
    gs.einsum("i,i->", v, v).backward()  # |v|^2
    assert_close(v.grad, 2 * v.numpy())


def test_einsum_int_and_bool():
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4) - 5
    out = gs.einsum("ij,jk->ik", a, b)
    assert out.dtype == np.int64
    assert_close(out.numpy(), a @ b)
    m = np.array([[True, False], [False, False]])
    assert_close(gs.einsum("ij,jk->ik", m, m).numpy(), (m.astype(int) @ m.astype(int)) > 0)


@pytest.mark.parametrize("equation, operands, message", [
    ("ij,jk", [(2, 3)], "fewer operands were provided than specified"),
    ("ij", [(2, 3), (3,)], "more operands were provided than specified"),
    ("ij", [(2, 3, 4)], "does not match the number of dimensions (3) for operand 0 and no ellipsis was given"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once in the output"),
    ("ij->k", [(2, 3)], "output subscript k does not appear in the equation for any input operand"),
    ("ii", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("i1", [(2, 3)], "subscripts must be in [a-zA-Z]"),
    ("i...j...", [(2, 3)], "for which an ellipsis was already found"),
    ("i.j", [(2, 3)], "not part of any ellipsis"),
    ("i,i", [(3,), (4,)], "subscript i has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    ("i-j", [(3,)], "'->'"),
    ("i", [], "at least one operand"),
])
def test_einsum_errors(equation, operands, message):
    with pytest.raises(ValueError) as info:
        gs.einsum(equation, *[np.ones(s) for s in operands])
    assert message in str(info.value)


def test_einsum_sublist_form():
    a, b = randn((2, 3)), randn((3, 4), seed=1)
    assert_close(gs.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(), a @ b)
    assert_close(gs.einsum(gs.Tensor(a), [Ellipsis, 30], gs.Tensor(a), [Ellipsis, 30]).numpy(), np.einsum("...i,...i", a, a))
    assert_close(gs.einsum(a, [51, 0]).numpy(), a.T)  # "zA": implicit output "Az" (capitals first)
    with pytest.raises(ValueError, match="valid range"):
        gs.einsum(a, [0, 52])


def test_einsum_needs_one_dtype():
    with pytest.raises(TypeError, match="same dtype"):
        gs.einsum("i,i", np.ones(3, np.float32), np.ones(3))
    with pytest.raises(TypeError, match="must be a str"):
        gs.einsum(3, np.ones(3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sa, sb, dims", [
    ((3, 4), (4, 2), 1), ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (4,), 0), ((2, 3), (2, 3), 2),
    ((3, 4, 2), (2, 3), ([0, 2], [1, 0])), ((2, 3), (3, 2), ([-1], [0])), ((2, 3), (3, 2), (1, 0)),
])
def test_tensordot(sa, sb, dims, dtype):
    a, b = randn(sa, dtype), randn(sb, dtype, 1)
    expected = np.tensordot(a.astype(np.float64), b.astype(np.float64), dims)
    w = weight(expected.shape, dtype)
    value, (ga, gb) = run(gs, lambda m, x, y: m.tensordot(x, y, dims), [a, b], w)
    assert_close(value, expected.astype(dtype))
    # the gradient of a contraction is the contraction of the weight with the other operand
    ref_a = np.einsum(*_tensordot_grad_spec(sa, sb, dims, 0), w.astype(np.float64), b.astype(np.float64))
    ref_b = np.einsum(*_tensordot_grad_spec(sa, sb, dims, 1), w.astype(np.float64), a.astype(np.float64))
    assert_close(ga, ref_a.astype(dtype))
    assert_close(gb, ref_b.astype(dtype))
    assert_close(gs.tensordot(a, b, axes=dims).numpy(), value)


def _tensordot_grad_spec(sa, sb, dims, which):
    """The einsum equation (as a 1-tuple) giving the gradient of operand ``which`` of tensordot."""
    if isinstance(dims, int):
        da, db = list(range(len(sa) - dims, len(sa))), list(range(dims))
    else:
        da, db = [dims[0]] if isinstance(dims[0], int) else list(dims[0]), [dims[1]] if isinstance(dims[1], int) else list(dims[1])
    da, db = [d % len(sa) for d in da], [d % len(sb) for d in db]
    letters = iter("abcdefghijklmnop")
    la, lb = [next(letters) for _ in sa], [None] * len(sb)
    for x, y in zip(da, db):
        lb[y] = la[x]
    lb = [c or next(letters) for c in lb]
    out = [la[i] for i in range(len(sa)) if i not in da] + [lb[i] for i in range(len(sb)) if i not in db]
    if which == 0:
        return ("".join(out) + "," + "".join(lb) + "->" + "".join(la),)
    return ("".join(out) + "," + "".join(la) + "->" + "".join(lb),)


@pytest.mark.parametrize("dims, error, message", [
    (-1, ValueError, "dims >= 0"),
    (3, ValueError, "dims < ndim_a or ndim_b"),
    (([1], [0, 1]), ValueError, "same length"),
    (([1, 1], [0, 0]), ValueError, "appears multiple times"),
    (([0], [0]), ValueError, "contracted dimensions need to match, but first has size 2 in dim 0 and second has size 3 in dim 0"),
    (([2], [0]), IndexError, "dimension out of range"),
])
def test_tensordot_errors(dims, error, message):
    with pytest.raises(error) as info:
        gs.tensordot(np.ones((2, 3)), np.ones((3, 2)), dims)
    assert message in str(info.value)
    with pytest.raises(TypeError, match="same dtype"):
        gs.tensordot(np.ones((2, 3), np.float32), np.ones((3, 2)), 1)


@pytest.mark.parametrize("dtype", FLOATS)
def test_outer_dot_and_bmm(dtype):
    u, v = randn((3,), dtype), randn((4,), dtype, 1)
    w = weight((3, 4), dtype)
    value, (gu, gv) = run(gs, lambda m, a, b: m.outer(a, b), [u, v], w)
    assert_close(value, np.outer(u, v).astype(dtype))
    assert_close(gu, (w.astype(np.float64) @ v).astype(dtype))
    assert_close(gv, (u @ w.astype(np.float64)).astype(dtype))
    assert_close(gs.ger(u, v).numpy(), value)
    assert_close(gs.Tensor(u).ger(v).numpy(), value)
    x, y = randn((5,), dtype), randn((5,), dtype, 2)
    value, (gx, gy) = run(gs, lambda m, a, b: a.dot(b), [x, y], np.asarray(1.5, dtype))
    assert value.shape == () and value.dtype == dtype
    assert_close(value, np.asarray(np.dot(x.astype(np.float64), y), dtype))
    assert_close(gx, (1.5 * y).astype(dtype))
    a, b = randn((2, 3, 4), dtype), randn((2, 4, 5), dtype, 3)
    w = weight((2, 3, 5), dtype)
    value, (ga, gb) = run(gs, lambda m, p, q: m.bmm(p, q), [a, b], w)
    assert_close(value, np.matmul(a.astype(np.float64), b).astype(dtype))
    assert_close(ga, np.matmul(w.astype(np.float64), b.transpose(0, 2, 1)).astype(dtype))
    assert_close(gb, np.matmul(a.transpose(0, 2, 1).astype(np.float64), w).astype(dtype))


def test_outer_promotes_and_dot_of_ints():
    assert gs.outer(np.ones(3, np.float32), np.ones(2)).dtype == np.float64
    assert gs.outer(np.ones(3, np.int64), np.ones(2, bool)).dtype == np.int64
    assert gs.dot(np.arange(4), np.arange(4)).numpy() == 14


@pytest.mark.parametrize("call, error, message", [
    (lambda: gs.dot(np.ones(3), np.ones(4)), ValueError, "got 3 and 4 elements"),
    (lambda: gs.dot(np.ones((3, 1)), np.ones(3)), ValueError, "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: gs.dot(np.ones(3, np.float32), np.ones(3)), TypeError, "same dtype"),
    (lambda: gs.bmm(np.ones((3, 4)), np.ones((3, 4, 6))), ValueError, "batch1 must be a 3D tensor"),
    (lambda: gs.bmm(np.ones((2, 3, 4)), np.ones((4, 6))), ValueError, "batch2 must be a 3D tensor"),
    (lambda: gs.bmm(np.ones((2, 3, 4)), np.ones((2, 5, 6))),
     ValueError, "expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]"),
    (lambda: gs.bmm(np.ones((2, 3, 4)), np.ones((3, 4, 6))), ValueError, "but got: [3, 4]"),
    (lambda: gs.bmm(np.ones((2, 3, 4), np.float32), np.ones((2, 4, 1))), TypeError, "same dtype"),
    (lambda: gs.outer(np.ones((3, 1)), np.ones(2)), ValueError, "expected 1-D arguments"),
    (lambda: gs.diag(np.ones((2, 2, 2))), ValueError, "supports 1D or 2D tensors, got 3D"),
    (lambda: gs.diag(np.float64(2.0)), ValueError, "got 0D"),
    (lambda: gs.diag(np.ones(3), 1 << 40), ValueError, "too large"),
    (lambda: gs.trace(np.ones(3)), ValueError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda: gs.diagonal(np.ones((2, 3)), 0, 1, 1), ValueError, "diagonal dimensions cannot be identical"),
    (lambda: gs.diagonal(np.ones(3)), ValueError, "at least 2 dimensions"),
    (lambda: gs.diagonal(np.ones((2, 3)), 0, 0, 2), IndexError, "dimension out of range"),
])
def test_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape, k", [((3,), 0), ((3,), 2), ((3,), -1), ((0,), 1), ((3, 4), 0), ((3, 4), 1),
                                      ((3, 4), -2), ((3, 4), 4), ((3, 4), -3), ((4, 3), 1)])
def test_diag(shape, k, dtype):
    x = randn(shape, dtype)
    expected = np.diag(x, k)
    w = weight(expected.shape, dtype)
    value, (grad,) = run(gs, lambda m, t: m.diag(t, k), [x], w)
    assert_close(value, expected)
    # the adjoint: w's diagonal (1-D input), or w placed on the diagonal (2-D input)
    ref = np.diag(w, k) if x.ndim == 1 else _embed(w, shape, k)
    assert_close(grad, ref.astype(dtype))
    assert_close(gs.Tensor(x).diag(diagonal=k).numpy(), expected)


def _embed(w, shape, k):
    out = np.zeros(shape)
    for i, v in enumerate(np.asarray(w).ravel()):
        out[i + max(0, -k), i + max(0, k)] = v
    return out


@pytest.mark.parametrize("shape, offset, d1, d2", [((3, 4), 0, 0, 1), ((2, 3, 4), 1, 1, 2), ((2, 3, 4), -1, 2, 0),
                                                     ((3, 3), 0, 1, 0), ((2, 3), 4, 0, 1), ((2, 3), -5, 0, 1),
                                                     ((2, 3, 4), 2, -1, -3)])
def test_diagonal(shape, offset, d1, d2):
    x = randn(shape)
    expected = np.diagonal(x, offset, d1, d2)
    w = weight(expected.shape, np.float64)
    value, (grad,) = run(gs, lambda m, t: m.diagonal(t, offset, d1, d2), [x], w)
    assert_close(value, expected)
    positions = np.diagonal(np.arange(x.size).reshape(shape), offset, d1, d2)
    ref = np.bincount(positions.ravel(), weights=w.ravel(), minlength=x.size).reshape(shape).astype(np.float64)
    assert_close(grad, ref)
    assert_close(gs.diagonal(x, offset, axis1=d1, axis2=d2).numpy(), expected)
    assert_close(gs.Tensor(x).diagonal(offset, d1, d2).numpy(), expected)


def test_trace():
    x = randn((3, 4))
    value, (grad,) = run(gs, lambda m, t: m.trace(t), [x], np.asarray(2.0))
    assert_close(value, np.asarray(np.trace(x)))
    assert_close(grad, 2.0 * np.eye(3, 4))
    t = gs.trace(np.arange(12).reshape(3, 4))
    assert t.dtype == np.int64 and t.numpy() == 15
    assert gs.Tensor(np.ones((2, 2), np.float32)).trace().dtype == np.float32


def test_handle_counts_stay_flat():
    a = gs.Tensor(randn((3, 4)), requires_grad=True)
    b = gs.Tensor(randn((4, 3), seed=1), requires_grad=True)
    for step in range(4):
        total = (gs.einsum("ij,jk->ik", a, b).sum() + gs.einsum("ii", gs.einsum("ij,jk", a, b))
                 + gs.tensordot(a, a, 2) + gs.outer(a[0], b[0]).sum() + gs.dot(a[0], b[:, 0])
                 + gs.bmm(a[None], b[None]).sum() + gs.diag(a, 1).sum() + gs.diag(a[0]).sum() + gs.trace(a)
                 + gs.diagonal(a, -1).sum())
        total.backward()
        del total
        if step == 0:
            after_first_step = live_handles()
    assert live_handles() == after_first_step
