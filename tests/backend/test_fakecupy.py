"""The fake CuPy of tests/_fakecupy.py behaves like CuPy where chainrule can trip over it."""

import copy
import importlib
import pickle
import threading

import _fakecupy
import numpy as np
import pytest


@pytest.fixture
def cp(monkeypatch):
    return _fakecupy.install(monkeypatch)


def test_installed_and_found_by_module_name(cp):
    assert importlib.import_module("cupy") is cp and cp.FAKE
    assert importlib.import_module("cupy.cuda.runtime") is cp.cuda.runtime
    assert importlib.util.find_spec("cupy") is not None
    x = cp.arange(3.0)
    assert type(x) is cp.ndarray and not isinstance(x, np.ndarray)
    assert type(x).__module__.partition(".")[0] == "cupy"
    assert cp.float32 is np.float32 and cp.inf == np.inf and cp.newaxis is None


def test_arithmetic_stays_wrapped_and_on_device(cp):
    with cp.cuda.Device(1):
        x = cp.arange(4.0)
        y = (2 * x + 1) ** 2 @ x.reshape(4, 1)
        x += 1
        for r in (y, -x, abs(x), x < 2, x.T, x[1:], x.sum(), x.astype(cp.float32)):
            assert type(r) is cp.ndarray and r.device.id == 1
    assert x.device == cp.cuda.Device(1) and repr(x) == "array([1., 2., 3., 4.])"
    assert float(x[0]) == 1.0 and x.tolist() == [1.0, 2.0, 3.0, 4.0] and len(list(x)) == 4


def test_numpy_array_operand_raises(cp):
    x = cp.ones(3)
    for bad in (lambda: x + np.ones(3), lambda: np.ones(3) * x, lambda: cp.exp(np.ones(3))):
        with pytest.raises(TypeError, match=r"Unsupported type <class 'numpy.ndarray'>"):
            bad()
    assert type(x + np.float32(2)) is cp.ndarray  # NumPy scalars are fine
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray"):
        x[:] = np.zeros(3)
    x[np.array([0, 2])] = 5.0  # CuPy converts NumPy index arrays
    assert x.get().tolist() == [5.0, 1.0, 5.0]


def test_numpy_functions_on_fake_arrays_raise(cp):
    x = cp.ones(3)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(x)
    for bad in (lambda: np.sum(x), lambda: np.exp(x), lambda: np.concatenate([x, x])):
        with pytest.raises(TypeError):
            bad()


def test_add_at_accumulates_repeated_indices_and_refuses_cupy_dtypes(cp):
    z = cp.zeros(3)
    cp.add.at(z, cp.asarray([0, 0, 2]), cp.ones(3))
    assert z.get().tolist() == [2.0, 0.0, 1.0]
    with pytest.raises(TypeError, match="scatter_add only supports"):
        cp.add.at(cp.zeros(3, dtype=cp.int64), cp.asarray([0, 0]), 1)
    with pytest.raises(NotImplementedError):
        cp.subtract.at(z, cp.asarray([0]), 1.0)
    assert cp.add.reduce(z).ndim == 0
    with pytest.raises(NotImplementedError):
        cp.maximum.reduce(z)


def test_device_mismatch_raises(cp):
    a = cp.ones(2)
    with cp.cuda.Device(1):
        b = cp.ones(2)
        with pytest.raises(ValueError, match=r"resides \(0\) is different from the current"):
            a + b
        assert b.reshape(2, 1).device.id == 1 and a[0].device.id == 0  # views do not check
        assert cp.asarray(a).device.id == 1  # an explicit transfer
    with pytest.raises(ValueError):
        cp.maximum(a, b)


def test_peer_access_warns_and_computes_on_current_device(monkeypatch):
    cp = _fakecupy.install(monkeypatch, peer_access=True)
    a = cp.ones(2)
    with cp.cuda.Device(1), pytest.warns(_fakecupy.PerformanceWarning):
        assert (a * 2).device.id == 1


def test_reductions_give_0d_wrapped_arrays(cp):
    x = cp.arange(6.0).reshape(2, 3)
    for r in (x.sum(), cp.max(x), x.mean(), cp.linalg.norm(x), cp.allclose(x, x), x[1, 2]):
        assert type(r) is cp.ndarray and r.shape == ()
    assert type(x.sum().item()) is float and bool(cp.array_equal(x, x))
    w, v = cp.linalg.eigh(cp.eye(2))
    assert type(w) is cp.ndarray and type(v) is cp.ndarray


def test_asnumpy_round_trip_copies(cp):
    host = np.arange(4.0)
    dev = cp.asarray(host)
    back = cp.asnumpy(dev)
    assert type(back) is np.ndarray and back.tolist() == host.tolist()
    back[0] = 9.0
    host[1] = 9.0
    assert dev.get().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert cp.asarray(dev) is dev and cp.asarray(dev, dtype=cp.float32) is not dev
    assert pickle.loads(pickle.dumps(dev)).get().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert copy.deepcopy(dev) is not dev


def test_device_context_makes_new_arrays_there_per_thread(cp):
    seen = []
    with cp.cuda.Device(1):
        assert cp.zeros(2).device.id == 1 and cp.cuda.runtime.getDevice() == 1
        t = threading.Thread(target=lambda: seen.append(cp.zeros(1).device.id))
        t.start()
        t.join()
    assert cp.zeros(2).device.id == 0 and seen == [0]
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="invalid device ordinal"):
        cp.cuda.Device(2).use()


def test_runtime_queries_and_memory_pool(cp):
    assert cp.cuda.runtime.getDeviceCount() == 2 and cp.cuda.is_available()
    assert cp.cuda.runtime.getDeviceProperties(0)["name"] == b"Fake GPU"
    pool = cp.get_default_memory_pool()
    before = pool.used_bytes()
    x = cp.zeros(1000)
    assert pool.used_bytes() - before == 8000
    del x
    assert pool.used_bytes() == before
    cp.random.seed(0)
    r1 = cp.random.rand(3, dtype=cp.float32)
    cp.random.seed(0)
    assert r1.dtype == cp.float32 and bool((r1 == cp.random.rand(3, dtype=cp.float32)).all())
    cp.cuda.get_current_stream().synchronize()
    cp.cuda.Stream.null.synchronize()


def test_no_devices_raise_cuda_runtime_error(monkeypatch):
    cp = _fakecupy.install(monkeypatch, n_devices=0)
    assert not cp.cuda.is_available()
    for bad in (cp.cuda.runtime.getDeviceCount, cp.cuda.Device(0).use, lambda: cp.zeros(2)):
        with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="cudaErrorNoDevice"):
            bad()


def test_names_real_cupy_lacks_are_absent():
    cp = _fakecupy.make()
    for name in ("errstate", "seterr", "testing", "_private"):
        assert not hasattr(cp, name)
    assert not hasattr(cp.ones(1), "__array_interface__")
