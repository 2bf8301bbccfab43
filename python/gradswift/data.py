"""Datasets and batch loading (PyDyNet 1.1's ``pydynet.data``, plus PyTorch's ``sampler``
argument and ``len(loader)``).

Shuffling draws from NumPy's global generator, as PyDyNet does, so ``np.random.seed`` makes it
reproducible.
"""
import numpy as np

__all__ = ["Dataset", "Sampler", "SequentialSampler", "RandomSampler", "BatchSampler", "DistributedSampler",
           "DataLoader", "data_loader"]


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


class DistributedSampler(Sampler):
    """PyTorch's DistributedSampler: this rank's share of the indices, a different one on each of
    ``num_replicas`` ranks. The order is a permutation drawn from ``seed + epoch``
    (``set_epoch``) when ``shuffle``, the same on every rank; it is padded with its own first
    indices to a multiple of ``num_replicas`` (or cut to one with ``drop_last``), and rank r takes
    every ``num_replicas``-th index from position r. ``num_replicas`` and ``rank`` default to
    the process group's (``gradswift.distributed``)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        super().__init__(dataset)
        if num_replicas is None or rank is None:
            from . import distributed
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = -(-n // self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        order = (np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle else np.arange(n)).tolist()
        if self.drop_last:
            order = order[:self.total_size]
        elif order:
            padding = self.total_size - len(order)
            order += (order * (padding // len(order) + 1))[:padding]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch whose permutation the next pass uses (call it before each epoch)."""
        self.epoch = epoch


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
