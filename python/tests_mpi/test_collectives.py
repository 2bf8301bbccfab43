"""Collectives of gradswift.distributed between the ranks of an MPI job, for every dtype and
reduction, checked against NumPy on the values every rank can compute for every other; the
results land in the engine's own memory (no copy); DistributedSampler's shards."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.distributed as dist
from gradswift.data import DistributedSampler

DTYPES = [np.float32, np.float64, np.int64, np.bool_]
RANK, SIZE = dist.get_rank(), dist.get_world_size()


def values(rank, dtype, shape=(3, 4)):
    """What rank ``rank`` contributes: distinct, exact values of ``dtype``."""
    rng = np.random.default_rng(100 + rank)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    return rng.integers(-4, 5, shape).astype(dtype)


REDUCE = {dist.ReduceOp.SUM: np.sum, dist.ReduceOp.PRODUCT: np.prod, dist.ReduceOp.MIN: np.min,
          dist.ReduceOp.MAX: np.max, dist.ReduceOp.AVG: np.mean}


def test_group():
    assert dist.is_initialized() and dist.is_available()
    assert SIZE == 2 and RANK in (0, 1)
    dist.barrier()
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")
    with pytest.raises(ValueError, match="mpi"):
        dist.init_process_group("nccl")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", list(dist.ReduceOp))
def test_all_reduce_in_place(dtype, op):
    t = gs.Tensor(values(RANK, dtype))
    if op is dist.ReduceOp.AVG and dtype in (np.int64, np.bool_):
        with pytest.raises(ValueError, match="AVG"):
            dist.all_reduce(t, op)
        return
    address = t.data.ctypes.data
    dist.all_reduce(t, op)
    everyone = np.stack([values(r, dtype) for r in range(SIZE)])
    if dtype == np.bool_:
        want = everyone.all(0) if op in (dist.ReduceOp.MIN, dist.ReduceOp.PRODUCT) else everyone.any(0)
    else:
        want = REDUCE[op](everyone, axis=0).astype(dtype)
    assert t.data.ctypes.data == address  # the engine's memory itself was written
    np.testing.assert_array_equal(t.numpy(), want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_async_all_reduce_and_broadcast(dtype):
    t = gs.Tensor(values(RANK, dtype))
    work = dist.all_reduce(t, dist.ReduceOp.MAX, async_op=True)
    assert work.wait() and work.is_completed()
    np.testing.assert_array_equal(t.numpy(), np.max(np.stack([values(r, dtype) for r in range(SIZE)]), axis=0))
    for src in range(SIZE):
        b = gs.Tensor(values(RANK, dtype, (5,)))
        dist.broadcast(b, src)
        np.testing.assert_array_equal(b.numpy(), values(src, dtype, (5,)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_gather_and_reduce_scatter(dtype):
    mine = gs.Tensor(values(RANK, dtype, (2, 3)))
    gathered = [gs.zeros((2, 3), dtype=dtype) for _ in range(SIZE)]
    dist.all_gather(gathered, mine)
    for r, g in enumerate(gathered):
        np.testing.assert_array_equal(g.numpy(), values(r, dtype, (2, 3)))
    out = gs.zeros((2, 3), dtype=dtype)
    inputs = [gs.Tensor(values(10 * RANK + r, dtype, (2, 3))) for r in range(SIZE)]
    dist.reduce_scatter(out, inputs, dist.ReduceOp.MAX if dtype == np.bool_ else dist.ReduceOp.SUM)
    parts = np.stack([values(10 * r + RANK, dtype, (2, 3)) for r in range(SIZE)])
    np.testing.assert_array_equal(out.numpy(), parts.any(0) if dtype == np.bool_ else parts.sum(0).astype(dtype))


def test_errors():
    t = gs.ones(3)
    with pytest.raises(ValueError, match="src 5"):
        dist.broadcast(t, 5)
    with pytest.raises(ValueError, match="one tensor per rank"):
        dist.all_gather([t], t)
    with pytest.raises(ValueError, match="shape"):
        dist.all_gather([gs.ones(2), gs.ones(2)], t)
    with pytest.raises(TypeError, match="Tensor"):
        dist.all_reduce(np.ones(3))
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(t, "sum")
    with pytest.raises(ValueError, match="default process group"):
        dist.all_reduce(t, group=object())


class Indices:
    """A data set whose items are their indices."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def shards(n, **kwargs):
    """Every rank's indices of a DistributedSampler over n items, gathered."""
    sampler = DistributedSampler(Indices(n), **kwargs)
    mine = gs.Tensor(np.array(list(sampler), dtype=np.int64))
    everyone = [gs.zeros(len(sampler), dtype=np.int64) for _ in range(SIZE)]
    dist.all_gather(everyone, mine)
    return [e.numpy().tolist() for e in everyone], sampler


@pytest.mark.parametrize("n", [10, 11, 1])
def test_sampler_covers_the_data_once_per_epoch(n):
    (a, b), sampler = shards(n)
    assert len(a) == len(b) == len(sampler) == -(-n // 2)
    union = a + b
    assert sorted(set(union)) == list(range(n))  # every index, and only padding repeats
    assert len(union) - n == (-n) % 2
    sampler.set_epoch(1)
    assert list(sampler) != a if n > 4 and RANK == 0 else True


def test_sampler_order_drop_last_and_explicit_ranks():
    (a, b), _ = shards(11, shuffle=False, drop_last=True)
    assert a == [0, 2, 4, 6, 8] and b == [1, 3, 5, 7, 9]
    (a, b), _ = shards(5, shuffle=False)
    assert a == [0, 2, 4] and b == [1, 3, 0]
    one, two = DistributedSampler(Indices(9), 3, 1, seed=4), DistributedSampler(Indices(9), 3, 1, seed=4)
    assert list(one) == list(two) and len(one) == 3
    with pytest.raises(ValueError, match="Invalid rank"):
        DistributedSampler(Indices(4), num_replicas=2, rank=2)
