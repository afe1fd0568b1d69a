"""Tensors on the 'dask' device: from_dask, compute, persist, numpy, and printing (a large
one prints as Dask describes it, computing nothing; a small one as PyTorch prints it)."""

import numpy as np
import pytest

import chainrule as torch

da = pytest.importorskip("dask.array")
from dask.callbacks import Callback  # noqa: E402


class CountComputes(Callback):
    """Counts the graphs Dask's local schedulers run."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _start(self, dsk):
        self.n += 1


def test_from_dask_wraps_without_copy_or_compute():
    arr = da.arange(12, chunks=5, dtype="float32").reshape(3, 4)
    with CountComputes() as c:
        x = torch.from_dask(arr)
        y = (x * 2).sum(0)
    assert c.n == 0
    assert x._data is arr and x.device == torch.device("dask") and x.dtype == torch.float32
    assert x.shape == (3, 4) and not x.requires_grad and x.is_leaf
    np.testing.assert_array_equal(y.numpy(), np.arange(12.0).reshape(3, 4).sum(0) * 2)
    assert torch.from_dask(arr, requires_grad=True).requires_grad


def test_from_dask_refuses_other_arrays():
    with pytest.raises(TypeError, match="dask.array.Array"):
        torch.from_dask(np.zeros(3))


def test_compute_gives_a_cpu_tensor_and_the_gradient_goes_back():
    w = torch.arange(4.0, requires_grad=True)
    x = w.to("dask", chunks=2)
    c = (x * x).compute()
    assert c.device == torch.device("cpu") and c.grad_fn is not None
    c.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2 * np.arange(4.0))
    t = torch.ones(2)
    assert t.compute() is t


def test_numpy_and_item_compute():
    x = torch.arange(6.0).to("dask", chunks=4)
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0))
    assert x.sum().item() == 15.0


def test_persist_keeps_a_leaf_a_leaf():
    w = torch.from_dask((da.arange(6, chunks=3) * 1.0).astype("float32"), requires_grad=True)
    graph_before = len(w._data.dask)
    with CountComputes() as c:
        out = w.persist()
    assert c.n == 1 and out is w
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert len(w._data.dask) == w._data.npartitions < graph_before
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2 * np.arange(6.0))


def test_persist_of_a_result_keeps_its_history():
    w = torch.arange(4.0, requires_grad=True)
    y = (w.to("dask", chunks=2) * 3).persist()
    assert y.grad_fn is not None and len(y._data.dask) == 2
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0, 3.0, 3.0])
    t = torch.ones(2)
    assert t.persist() is t


def test_a_small_dask_tensor_prints_as_pytorch_with_its_device():
    x = torch.arange(4.0).to("dask", chunks=2)
    assert repr(x) == "tensor([0., 1., 2., 3.], device='dask')"
    w = torch.ones(2, device="dask", requires_grad=True)
    assert repr(w) == "tensor([1., 1.], device='dask', requires_grad=True)"
    assert repr(w * 2) == "tensor([2., 2.], device='dask', grad_fn=<MulBackward0>)"
    big = torch.zeros(1000, device="dask")  # (1000 elements: PyTorch's threshold, in full)
    assert "dask.array<" not in repr(big) and "..." not in repr(big)


def test_a_large_dask_tensor_prints_without_computing():
    arr = da.random.random((1_000_000, 32), chunks=(100_000, 32)).astype("float32")
    x = torch.from_dask(arr)
    with CountComputes() as c:
        text = repr(x)
        grad_text = repr(torch.from_dask(arr, requires_grad=True) * 2)
        small_dim = repr(torch.from_dask(da.zeros(1001, chunks=500)))
    assert c.n == 0
    assert text == (
        "tensor(dask.array<shape=(1000000, 32), dtype=float32, chunksize=(100000, 32)>,\n"
        "       device='dask')"
    )
    assert grad_text.endswith("device='dask', grad_fn=<MulBackward0>)")
    assert small_dim == (
        "tensor(dask.array<shape=(1001,), dtype=float64, chunksize=(500,)>,\n       device='dask')"
    )


def test_a_dask_tensor_of_unknown_size_prints_without_computing():
    arr = da.arange(10, chunks=5)
    arr = arr[arr > 3]  # (sizes unknown until computed)
    with CountComputes() as c:
        text = repr(torch.from_dask(arr))
    assert c.n == 0 and "dask.array<shape=(nan,)" in text


def test_module_to_dask_makes_one_chunk_leaves():
    lin = torch.nn.Linear(3, 2).to("dask")
    for p in lin.parameters():
        assert p.device == torch.device("dask") and p.is_leaf and p.requires_grad
        assert all(len(c) == 1 for c in p._data.chunks)
    lin2 = torch.nn.Linear(4, 2).to("dask", chunks=2)
    assert lin2.weight._data.chunks == ((2,), (2, 2))
    back = lin.to("cpu")
    assert back.weight.device == torch.device("cpu")
