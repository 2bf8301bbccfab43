"""gradswift.data against PyDyNet 1.1's data module."""
import numpy as np
import pytest

import gradswift as gs
from gradswift import data as gs_data
from helpers import pdn  # noqa: F401  (imports PyDyNet quietly)

import pydynet.data as pd_data  # noqa: E402


def batches(module, X, y, batch_size, shuffle, seed=3):
    np.random.seed(seed)
    return [(bx.copy(), by.copy()) for bx, by in module.data_loader(X, y, batch_size, shuffle)]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("n,batch_size", [(10, 3), (12, 4), (5, 8), (1, 1)])
def test_data_loader_gives_pydynets_batches(n, batch_size, shuffle):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n) * 10
    ours = batches(gs_data, X, y, batch_size, shuffle)
    theirs = batches(pd_data, X, y, batch_size, shuffle)
    assert len(ours) == len(theirs) == -(-n // batch_size)
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_len_and_fresh_shuffle_each_pass():
    loader = gs_data.data_loader(np.arange(100), np.arange(100), 10, shuffle=True)
    assert len(loader) == 10
    first = np.concatenate([b[0] for b in loader])
    second = np.concatenate([b[0] for b in loader])
    assert sorted(first) == list(range(100)) and not np.array_equal(first, second)


def test_drop_last_and_custom_sampler():
    class Squares(gs_data.Dataset):
        def __getitem__(self, index):
            return [i * i for i in index]

        def __len__(self):
            return 7

    ds = Squares()
    assert list(gs_data.DataLoader(ds, 3, drop_last=True)) == [[0, 1, 4], [9, 16, 25]]

    class Backwards(gs_data.Sampler):
        def __iter__(self):
            return iter(range(len(self.dataset) - 1, -1, -1))

        def __len__(self):
            return len(self.dataset)

    loader = gs_data.DataLoader(ds, 4, sampler=Backwards(ds))
    assert list(loader) == [[36, 25, 16, 9], [4, 1, 0]] and len(loader) == 2
    with pytest.raises(ValueError, match="mutually exclusive"):
        gs_data.DataLoader(ds, 4, shuffle=True, sampler=Backwards(ds))


def test_tensors_are_indexed_too():
    X = gs.Tensor(np.arange(6.).reshape(3, 2))
    (bx, by), = list(gs_data.data_loader(X, gs.Tensor(np.arange(3)), 3))
    assert isinstance(bx, gs.Tensor)
    np.testing.assert_array_equal(bx.numpy(), np.arange(6.).reshape(3, 2))


@pytest.mark.parametrize("batch_size", [0, -2, 1.5, True])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        gs_data.data_loader(np.arange(4), np.arange(4), batch_size)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        gs_data.data_loader(np.arange(4), np.arange(3), 2)


def test_base_classes_raise_until_defined():
    with pytest.raises(NotImplementedError):
        len(gs_data.Dataset())
    with pytest.raises(NotImplementedError):
        gs_data.Dataset()[[0]]
    with pytest.raises(NotImplementedError):
        iter(gs_data.Sampler())
