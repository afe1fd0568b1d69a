"""Dataset, TensorDataset, Subset, ConcatDataset, random_split (torch.utils.data's rules)."""

import warnings

import pytest

import chainrule as torch
from chainrule.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_indexes_every_tensor_along_dim0():
    X, y = torch.arange(6.0).reshape(3, 2), torch.tensor([7, 8, 9])
    ds = TensorDataset(X, y)
    assert len(ds) == 3
    xi, yi = ds[1]
    assert xi.tolist() == [2.0, 3.0] and yi.item() == 8 and yi.dtype == torch.int64
    xs, ys = ds[1:]
    assert xs.shape == (2, 2) and ys.tolist() == [8, 9]


def test_tensor_dataset_size_mismatch_is_torchs_error():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(torch.zeros(3), torch.zeros(4))


def test_subset_and_concat():
    s = Subset(list("abcde"), [4, 0, 2])
    assert len(s) == 3 and s[0] == "e" and s[[1, 2]] == ["a", "c"]
    c = ConcatDataset([[1, 2], [3], [4, 5]])
    assert len(c) == 5 and [c[i] for i in range(5)] == [1, 2, 3, 4, 5] and c[-1] == 5
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        c[-6]


def test_dataset_add_concatenates():
    class Squares(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i * i

    both = Squares() + Squares()
    assert isinstance(both, ConcatDataset) and len(both) == 6 and both[4] == 1
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def _parts(splits):
    return [list(s) for s in splits]


def test_random_split_counts_partition_and_seed_repeats():
    g = torch.Generator().manual_seed(3)
    a = _parts(random_split(range(10), [3, 7], generator=g))
    b = _parts(random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(3)))
    assert a == b
    assert [len(p) for p in a] == [3, 7] and sorted(a[0] + a[1]) == list(range(10))
    other = _parts(random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(4)))
    assert other != a


def test_random_split_uses_default_generator_when_none_given():
    torch.manual_seed(0)
    a = _parts(random_split(range(20), [10, 10]))
    torch.manual_seed(0)
    assert _parts(random_split(range(20), [10, 10])) == a


@pytest.mark.parametrize(
    "n, fractions", [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]), (3, [1.0])]
)
def test_random_split_fractions_match_torch_lengths(n, fractions):
    tu = pytest.importorskip("torch.utils.data")
    got = [len(s) for s in random_split(range(n), fractions)]
    assert got == [len(s) for s in tu.random_split(range(n), fractions)]


def test_random_split_zero_length_warns_like_torch():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lengths = [len(s) for s in random_split(range(2), [0.9, 0.05, 0.05])]
    assert lengths == [2, 0, 0]
    assert [str(x.message) for x in w] == [
        f"Length of split at index {i} is 0. This might result in an empty dataset." for i in (1, 2)
    ]


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [-0.5, 1.5])
