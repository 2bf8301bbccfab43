"""Datasets and batch loading (PyDyNet 1.1's ``pydynet.data``, plus PyTorch's ``sampler``
argument and ``len(loader)``).

Shuffling draws from NumPy's global generator, as PyDyNet does, so ``np.random.seed`` makes it
reproducible.
"""
import numpy as np

__all__ = ["Dataset", "Sampler", "SequentialSampler", "RandomSampler", "BatchSampler", "DataLoader",
           "data_loader"]


class Dataset:
    """Base class: define ``__getitem__`` (which receives a list of indices from DataLoader)
    and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")


class Sampler:
    """Base class of index orders: iterate to get indices."""

    def __init__(self, dataset=None):
        self.dataset = dataset

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(dataset) - 1."""

    def __iter__(self):
        return iter(range(len(self.dataset)))

    def __len__(self):
        return len(self.dataset)


class RandomSampler(Sampler):
    """A fresh random permutation of the indices at every pass."""

    def __iter__(self):
        return iter(np.random.permutation(len(self.dataset)).tolist())

    def __len__(self):
        return len(self.dataset)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter list
    is dropped when ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class DataLoader:
    """Iterates over ``dataset`` in batches: each batch is ``dataset[list_of_indices]``.

    ``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, sampler=None)``;
    ``sampler`` (PyTorch's argument) replaces the default order and excludes ``shuffle``.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, sampler=None):
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive")
        self.dataset = dataset
        self.shuffle = shuffle
        if sampler is None:
            sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        self.batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = self.batch_sampler.batch_size
        self.drop_last = self.batch_sampler.drop_last

    def __iter__(self):
        for indices in self.batch_sampler:
            yield self.dataset[indices]

    def __len__(self):
        return len(self.batch_sampler)


class _ArrayPairDataset(Dataset):
    """Pairs (X[i], y[i]) of two indexable sequences of equal length."""

    def __init__(self, X, y):
        if len(X) != len(y):
            raise ValueError(f"data_loader: X has {len(X)} samples but y has {len(y)}")
        self.data = X
        self.target = y

    def __getitem__(self, index):
        return self.data[index], self.target[index]

    def __len__(self):
        return len(self.data)


def data_loader(X, y, batch_size, shuffle=False):
    """A DataLoader over the pairs ``(X[i], y[i])``: each batch is ``(X[indices], y[indices])``."""
    return DataLoader(_ArrayPairDataset(X, y), batch_size, shuffle)
