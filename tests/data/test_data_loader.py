"""DataLoader: batching, shuffling with seeds, drop_last, len, restartable epochs, errors."""

import pytest

import chainrule as torch
from chainrule.data import (
    BatchSampler,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)


def _ds(n=10):
    return TensorDataset(torch.arange(2.0 * n).reshape(n, 2), torch.arange(n))


def _labels(loader):
    return [yb.tolist() for _, yb in loader]


@pytest.mark.parametrize(
    "n, bs, drop_last",
    [(10, 3, False), (10, 3, True), (9, 3, False), (2, 5, False), (2, 5, True), (1, 1, False)],
)
def test_batches_and_len(n, bs, drop_last):
    loader = DataLoader(_ds(n), batch_size=bs, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(batches) == (n // bs if drop_last else -(-n // bs))
    flat = [i for b in _labels(loader) for i in b]
    assert flat == list(range(len(flat)))
    assert len(flat) == (n // bs * bs if drop_last else n)
    for Xb, yb in batches:  # rows stay paired with their labels
        assert Xb.tolist() == [[2.0 * i, 2.0 * i + 1] for i in yb.tolist()]
        assert Xb.dtype == torch.float32 and yb.dtype == torch.int64


def test_matches_torch_unshuffled():
    pt = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TDL
    from torch.utils.data import TensorDataset as TDS

    ours = DataLoader(_ds(7), batch_size=3)
    theirs = TDL(TDS(pt.arange(14.0).reshape(7, 2), pt.arange(7)), batch_size=3)
    for (a, b), (c, d) in zip(ours, theirs, strict=True):
        assert a.tolist() == c.tolist() and b.tolist() == d.tolist()
        assert str(a.dtype) == str(c.dtype) and str(b.dtype) == str(d.dtype)


def test_shuffle_is_a_permutation_each_epoch_and_seeded():
    loader = DataLoader(
        _ds(20), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(1)
    )
    e1, e2 = _labels(loader), _labels(loader)  # iteration restarts each epoch
    for e in (e1, e2):
        assert sorted(i for b in e for i in b) == list(range(20))
    assert e1 != e2  # a new order each epoch
    again = DataLoader(
        _ds(20), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(1)
    )
    assert _labels(again) == e1 and _labels(again) == e2
    assert e1 != [list(range(i, i + 4)) for i in range(0, 20, 4)]


def test_shuffle_without_generator_follows_manual_seed():
    torch.manual_seed(5)
    a = _labels(DataLoader(_ds(12), batch_size=5, shuffle=True))
    torch.manual_seed(5)
    assert _labels(DataLoader(_ds(12), batch_size=5, shuffle=True)) == a


def test_fast_tensor_path_equals_per_sample_collation():
    ds = _ds(11)
    fast = list(
        DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(2))
    )
    slow = list(
        DataLoader(
            ds,
            batch_size=4,
            shuffle=True,
            generator=torch.Generator().manual_seed(2),
            collate_fn=lambda b: torch.data.default_collate(b),
        )
    )
    for (a, b), (c, d) in zip(fast, slow, strict=True):
        assert torch.equal(a, c) and torch.equal(b, d) and a.dtype == c.dtype


def test_fast_path_through_a_random_split_subset():
    train, _ = torch.data.random_split(
        _ds(10), [0.7, 0.3], generator=torch.Generator().manual_seed(0)
    )
    fast = list(DataLoader(train, batch_size=3))
    slow = list(DataLoader(train, batch_size=3, collate_fn=torch.data.default_collate.__call__))
    assert [b.tolist() for _, b in fast] == [b.tolist() for _, b in slow]
    assert [i for _, b in fast for i in b.tolist()] == list(train.indices)


def test_requires_grad_dataset_keeps_autograd_through_batches():
    w = torch.ones(4, 2, requires_grad=True)
    loader = DataLoader(TensorDataset(w * 3), batch_size=2)
    (xb,) = next(iter(loader))
    xb.sum().backward()
    assert w.grad.tolist() == [[3.0, 3.0], [3.0, 3.0], [0.0, 0.0], [0.0, 0.0]]


def test_generic_dataset_collate_and_batch_size_none():
    data = [{"x": float(i), "y": i} for i in range(5)]
    (first, *_) = DataLoader(data, batch_size=2)
    assert first["x"].dtype == torch.float64 and first["y"].tolist() == [0, 1]
    assert list(DataLoader(range(3), batch_size=None)) == [0, 1, 2]
    assert len(DataLoader(range(3), batch_size=None)) == 3
    assert [b for b in DataLoader(list("abc"), batch_size=2)] == [["a", "b"], ["c"]]


def test_custom_collate_sampler_and_batch_sampler():
    loader = DataLoader(range(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0], collate_fn=list)
    assert list(loader) == [[5, 4], [3, 2], [1, 0]] and len(loader) == 3
    bs = BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False)
    loader = DataLoader(range(10, 15), batch_sampler=bs)
    assert [b.tolist() for b in loader] == [[10, 11], [12, 13], [14]] and len(loader) == 3


def test_iterable_dataset_batches():
    class Count(IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 5

    assert [b.tolist() for b in DataLoader(Count(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Count(), batch_size=2, drop_last=True)] == [
        [0, 1],
        [2, 3],
    ]
    assert len(DataLoader(Count(), batch_size=2)) == 3
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Count(), shuffle=True)


def test_num_workers_accepted_for_d2l_code():
    loader = DataLoader(_ds(4), batch_size=2, shuffle=False, num_workers=4)
    assert _labels(loader) == [[0, 1], [2, 3]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"shuffle": True, "sampler": [0, 1]}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_size": 0}, "batch_size should be a positive integer value, but got batch_size=0"),
        ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"num_workers": -1}, "num_workers option should be non-negative"),
    ],
)
def test_bad_arguments_raise_torchs_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(range(3), **kwargs)
    tu = pytest.importorskip("torch.utils.data")
    with pytest.raises(ValueError, match=match):
        tu.DataLoader(range(3), **kwargs)


def test_random_sampler_replacement_and_num_samples():
    g = torch.Generator().manual_seed(0)
    draws = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(draws) == 50 and set(draws) <= {0, 1, 2}
    longer = list(RandomSampler(range(3), num_samples=7, generator=g))
    assert len(longer) == 7 and sorted(longer[:3]) == [0, 1, 2]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
