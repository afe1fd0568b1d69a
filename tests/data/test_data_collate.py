"""default_collate / default_convert against torch.utils.data's."""

from collections import namedtuple

import numpy as np
import pytest

import chainrule as torch
from chainrule.data import default_collate, default_convert

Point = namedtuple("Point", "x y")


def _plain(v):
    """Comparable form of a collated batch: tensors -> (dtype name, shape, values)."""
    if hasattr(v, "dtype") and hasattr(v, "tolist") and not isinstance(v, np.ndarray):
        return ("T", str(v.dtype), tuple(v.shape), v.tolist())
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [_plain(x) for x in v]
    return v


BATCHES = [
    lambda T: [(1, 2.0), (3, 4.0)],
    lambda T: [[1, 2], [3, 4]],
    lambda T: [True, False],
    lambda T: [{"a": T.ones(2), "b": True}, {"a": T.zeros(2), "b": False}],
    lambda T: [(T.arange(3), "s"), (T.arange(3) * 2, "t")],
    lambda T: [np.ones(2, dtype=np.int32), np.zeros(2, dtype=np.int32)],
    lambda T: [np.float32(1.5), np.float32(2.5)],
    lambda T: [T.tensor(1.0), T.tensor(2.0)],
    lambda T: [{"x": [1.5, T.ones(1)]}, {"x": [2.5, T.zeros(1)]}],
]


@pytest.mark.parametrize("make", BATCHES)
def test_default_collate_matches_torch(make):
    pt = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    assert _plain(default_collate(make(torch))) == _plain(torch_collate(make(pt)))


def test_default_collate_namedtuple_keeps_type():
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point) and out.x.tolist() == [1, 3] and out.y.dtype == torch.float64


def test_default_collate_errors_like_torch():
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers"):
        default_collate([object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([torch.zeros(2), torch.zeros(3)])


def test_default_convert_like_torch():
    out = default_convert((np.arange(2), "a", {"k": np.float32(2)}))
    assert isinstance(out, list) and out[1] == "a"
    assert out[0].tolist() == [0, 1] and out[0].dtype == torch.int64
    assert out[2]["k"].dtype == torch.float32 and out[2]["k"].item() == 2.0
    assert default_convert(3) == 3
