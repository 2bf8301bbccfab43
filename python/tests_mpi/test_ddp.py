"""DistributedDataParallel in two ranks: 20 training steps equal one process training on the
union of the ranks' batches (float64, to 1e-10), with several buckets and with no_sync gradient
accumulation; rank 0's parameters and buffers reach every rank when the model is wrapped."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.distributed as dist
from gradswift import nn
from gradswift.nn.parallel import DistributedDataParallel

RANK, SIZE = dist.get_rank(), dist.get_world_size()


def mlp(seed):
    gs.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))


def batch(rank, step, micro=0):
    rng = np.random.default_rng(10_000 * step + 100 * micro + rank)
    return rng.standard_normal((5, 4)), rng.standard_normal((5, 3))


def union(step, micro=0):
    """Every rank's batch of ``step`` stacked: what one process trains on."""
    parts = [batch(r, step, micro) for r in range(SIZE)]
    return gs.Tensor(np.concatenate([p[0] for p in parts])), gs.Tensor(np.concatenate([p[1] for p in parts]))


def assert_same_parameters(a, b):
    """The trainable parameters of ``a`` and ``b`` agree to 1e-10."""
    pairs = [(name, p, q) for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()) if p.requires_grad]
    assert pairs
    for name, p, q in pairs:
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("bucket_cap_mb", [25, 0.001])  # one bucket; three
def test_matches_one_process_on_the_union(bucket_cap_mb):
    model = DistributedDataParallel(mlp(seed=RANK), bucket_cap_mb=bucket_cap_mb)  # rank 0's weights win
    reference = mlp(seed=0)
    assert_same_parameters(model.module, reference)
    opt = gs.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = gs.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.MSELoss()
    for step in range(20):
        x, y = batch(RANK, step)
        opt.zero_grad()
        loss_fn(model(gs.Tensor(x)), gs.Tensor(y)).backward()
        opt.step()
        ux, uy = union(step)
        ref_opt.zero_grad()
        loss_fn(reference(ux), uy).backward()
        ref_opt.step()
    assert_same_parameters(model.module, reference)
    assert len(model._buckets) == (1 if bucket_cap_mb == 25 else 3)


def test_no_sync_accumulates_then_averages():
    model = DistributedDataParallel(mlp(seed=3))
    reference = mlp(seed=3)
    opt = gs.optim.Adam(model.parameters(), lr=0.01)
    ref_opt = gs.optim.Adam(reference.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    for step in range(5):
        opt.zero_grad()
        with model.no_sync():
            x, y = batch(RANK, step, 0)
            loss_fn(model(gs.Tensor(x)), gs.Tensor(y)).backward()
        x, y = batch(RANK, step, 1)
        loss_fn(model(gs.Tensor(x)), gs.Tensor(y)).backward()
        opt.step()
        ref_opt.zero_grad()
        for micro in (0, 1):
            ux, uy = union(step, micro)
            loss_fn(reference(ux), uy).backward()
        ref_opt.step()
    assert_same_parameters(model.module, reference)


def test_wrapping_broadcasts_parameters_and_buffers():
    inner = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    inner[1].running_mean.data[...] = RANK + 1.0
    model = DistributedDataParallel(inner)
    np.testing.assert_array_equal(inner[1].running_mean.numpy(), np.ones(4))
    everyone = [gs.zeros(3, 4) for _ in range(SIZE)]
    dist.all_gather(everyone, gs.Tensor(inner[0].weight.numpy()))
    np.testing.assert_array_equal(everyone[0].numpy(), everyone[1].numpy())
    assert list(model.state_dict())[0].startswith("module.")


def test_unused_parameter_and_argument_errors():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.a(x)

    model = DistributedDataParallel(TwoHeads())
    model(gs.ones(1, 2)).sum().backward()
    with pytest.raises(RuntimeError, match="finished reduction"):
        model(gs.ones(1, 2))
    with pytest.raises(TypeError, match="Module"):
        DistributedDataParallel(gs.ones(2))
    with pytest.raises(ValueError, match="find_unused_parameters"):
        DistributedDataParallel(nn.Linear(2, 2), find_unused_parameters=True)


def bn_model(seed):
    gs.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))


def test_batchnorm_buffers_follow_rank_0():
    """BatchNorm in training: each rank normalizes its own batch and rank 0's running statistics
    are broadcast before every forward. One process reproduces that by running every rank's
    batch from the same buffers, accumulating the gradients with the loss divided by the number
    of ranks, and keeping rank 0's buffers: 20 steps equal to 1e-10."""
    model = DistributedDataParallel(bn_model(seed=RANK))
    reference = bn_model(seed=0)
    opt = gs.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    ref_opt = gs.optim.SGD(reference.parameters(), lr=0.05, momentum=0.5)
    loss_fn = nn.MSELoss()
    bn = reference[1]
    for step in range(20):
        x, y = batch(RANK, step)
        opt.zero_grad()
        loss_fn(model(gs.Tensor(x)), gs.Tensor(y)).backward()
        opt.step()
        ref_opt.zero_grad()
        start = (bn.running_mean.numpy().copy(), bn.running_var.numpy().copy())
        for r in reversed(range(SIZE)):  # rank 0 last: its buffers are the ones kept
            bn.running_mean.data[...], bn.running_var.data[...] = start
            rx, ry = batch(r, step)
            (loss_fn(reference(gs.Tensor(rx)), gs.Tensor(ry)) * (1.0 / SIZE)).backward()
        ref_opt.step()
    assert_same_parameters(model.module, reference)
    if RANK == 0:  # the other ranks' buffers have seen their own last batch; the next forward resets them
        np.testing.assert_allclose(model.module[1].running_mean.numpy(), bn.running_mean.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(model.module[1].running_var.numpy(), bn.running_var.numpy(), rtol=1e-10)


def test_checkpoint_saved_by_rank_0_loads_everywhere(tmp_path_factory):
    from mpi4py import MPI
    model = DistributedDataParallel(mlp(seed=5))
    path = MPI.COMM_WORLD.bcast(str(tmp_path_factory.mktemp("ddp") / "checkpoint.npz") if RANK == 0 else None, root=0)
    if RANK == 0:
        gs.save(model.state_dict(), path)
    dist.barrier()
    other = DistributedDataParallel(mlp(seed=9))
    other.load_state_dict(gs.load(path))
    assert_same_parameters(other, model)


def test_training_leaves_no_handles():
    import gc
    from gradswift import dlpack
    from gradswift._lib import lib
    from gradswift._release import release_pending
    import ctypes

    def live():
        gc.collect()
        release_pending()
        out = ctypes.c_int64()
        lib.gs_live_handles(ctypes.byref(out))
        return out.value

    model = DistributedDataParallel(mlp(seed=1), bucket_cap_mb=0.001)
    opt = gs.optim.Adam(model.parameters(), lr=0.01)
    x, y = (gs.Tensor(a) for a in batch(RANK, 0))
    counts = []
    for _ in range(10):
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()
        counts.append(live())
    assert counts[-1] == counts[2]
    assert not dlpack._borrowed  # every bucket slot lent to the engine was given back
