"""DataLoader: minibatches from a dataset, in order or shuffled, one epoch per ``for`` loop.

Samples are loaded in the main process (``num_workers`` is accepted for PyTorch-compatible
code such as d2l's and ignored). A ``TensorDataset`` (or a ``Subset`` of one) is batched with
one indexing per tensor instead of one per sample; the batches are the same.

>>> import chainrule as torch
>>> from chainrule.data import DataLoader, TensorDataset
>>> X, y = torch.arange(10.0).reshape(5, 2), torch.arange(5)
>>> loader = DataLoader(TensorDataset(X, y), batch_size=2)
>>> len(loader), [yb.tolist() for _, yb in loader]
(3, [[0, 1], [2, 3], [4]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .. import random as _random
from ..creation import as_tensor
from ..dtypes import int64
from .collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` (the last one shorter unless
    ``drop_last``). ``shuffle=True`` draws a new order each epoch from ``generator`` (the
    default generator if None: ``chainrule.manual_seed`` makes it repeatable). ``sampler``
    (an iterable of indices) or ``batch_sampler`` (of index lists) replace the built-in order;
    ``collate_fn`` replaces ``default_collate``; ``batch_size=None`` yields single samples.

    >>> import chainrule as torch
    >>> from chainrule.data import DataLoader
    >>> g = torch.Generator().manual_seed(0)
    >>> batches = list(DataLoader(range(6), batch_size=4, shuffle=True, generator=g))
    >>> [len(b) for b in batches], sorted(torch.cat(batches).tolist())
    ([4, 2], [0, 1, 2, 3, 4, 5])
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable | None = None,
        batch_sampler: Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None or batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler and "
                    "batch_sampler options"
                )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )
        if sampler is None and not self._iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None and self._iterable:
            BatchSampler([], batch_size, drop_last)  # the same argument checks
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.generator = generator
        self._auto_collation = batch_sampler is not None or (
            self._iterable and batch_size is not None
        )
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self) -> Iterator:
        # As PyTorch's loader iterator: a base seed for workers is drawn from ``generator``
        # (or the default one) on each pass, before the sampler draws its order, so the
        # random stream after a loop over the data is PyTorch's.
        _random.random_int64(_random.rng(self.generator))
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self) -> Iterator:
        ds, tensors = self.dataset, self._whole_batch_tensors()
        for idx in self.batch_sampler:
            if tensors is not None:  # one gather per tensor: what stacking the samples gives
                if type(ds) is Subset:
                    idx = [ds.indices[i] for i in idx]
                rows = as_tensor(idx, dtype=int64)
                yield [t[rows] for t in tensors]
            else:
                yield self.collate_fn([ds[i] for i in idx])

    def _whole_batch_tensors(self):
        """The tensors of a TensorDataset (or of a Subset of one, as random_split makes)
        when a batch can be taken with one indexing each; None otherwise."""
        ds = self.dataset
        base = ds.dataset if type(ds) is Subset else ds
        if type(base) is not TensorDataset or self.collate_fn is not default_collate:
            return None
        if any(t.requires_grad for t in base.tensors):
            return None  # keep per-sample indexing so autograd sees what PyTorch's does
        return base.tensors

    def _iter_stream(self) -> Iterator:
        if self.batch_size is None:
            yield from (self.collate_fn(x) for x in self.dataset)
            return
        batch = []
        for x in self.dataset:
            batch.append(x)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)
