"""torch.device, torch.cuda and device= as PyTorch has them, on a machine without a GPU
(what CI has). The GPU side runs in tests/test_devices.py, on CuPy or its stand-in."""

from __future__ import annotations

import io

import pytest

import chainrule as cr
from chainrule import backend

torch = pytest.importorskip("torch")
needs_no_torch_cuda = pytest.mark.skipif(
    torch.cuda.is_available(), reason="compares with a PyTorch that has no CUDA"
)


def _outcome(f):
    try:
        return "ok", f()
    except Exception as e:
        return type(e).__name__, str(e)


@pytest.mark.parametrize(
    "args",
    [
        ("cpu",),
        ("cuda",),
        ("cuda:1",),
        ("cuda:0",),
        ("cpu:0",),
        ("cuda", 3),
        ("meta",),
        ("mps",),
        ("foo",),
        ("CUDA",),
        (" cpu",),
        ("cuda:x",),
        ("cuda:-1",),
        ("cuda:1", 1),
        ("cuda", -1),
    ],
)
def test_device_parses_prints_and_refuses_as_torch(args):
    ours, theirs = _outcome(lambda: cr.device(*args)), _outcome(lambda: torch.device(*args))
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert repr(ours[1]) == repr(theirs[1])
        assert str(ours[1]) == str(theirs[1])
        assert (ours[1].type, ours[1].index) == (theirs[1].type, theirs[1].index)
    else:
        assert ours[1] == theirs[1]


def test_device_equality_and_hash_as_torch():
    pairs = [("cpu", "cpu"), ("cuda", "cuda:0"), ("cuda:0", "cuda:0"), ("cuda:1", "cuda:0")]
    for a, b in pairs:
        assert (cr.device(a) == cr.device(b)) == (torch.device(a) == torch.device(b))
    # a device never equals its string, as in PyTorch (compare .type instead)
    assert (cr.device("cpu") == "cpu") is (torch.device("cpu") == "cpu") is False
    assert hash(cr.device("cuda:1")) == hash(cr.device("cuda", 1))
    assert len({cr.device("cpu"), cr.device("cpu"), cr.device("cuda")}) == 2
    assert cr.device(cr.device("cuda:2")) == cr.device("cuda:2")


def test_device_pickles_and_copies():
    import copy
    import pickle

    d = cr.device("cuda:1")
    assert pickle.loads(pickle.dumps(d)) == d and copy.deepcopy(d) == d


@needs_no_torch_cuda
def test_an_int_device_needs_an_accelerator_as_in_torch(monkeypatch):
    monkeypatch.setattr(backend, "cuda_count", lambda: 0)
    ours, theirs = _outcome(lambda: cr.device(0)), _outcome(lambda: torch.device(0))
    assert ours == theirs


def test_cpu_tensors_report_their_device_as_torch():
    for make in (
        lambda m: m.zeros(2),
        lambda m: m.tensor(3),
        lambda m: m.ones(2, device="cpu"),
        lambda m: m.ones(2, device="cpu:0"),
        lambda m: m.arange(3, device=m.device("cpu")),
    ):
        ours, theirs = make(cr), make(torch)
        assert repr(ours.device) == repr(theirs.device)
        assert ours.is_cuda is theirs.is_cuda is False
        assert ours.is_cpu is theirs.is_cpu is True
        assert ours.get_device() == theirs.get_device() == -1


@needs_no_torch_cuda
def test_cuda_module_without_a_gpu_matches_torch_where_torch_answers():
    if cr.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert cr.cuda.is_available() is torch.cuda.is_available() is False
    assert cr.cuda.device_count() == torch.cuda.device_count() == 0
    assert cr.cuda.memory_allocated() == torch.cuda.memory_allocated() == 0
    # these do nothing without a GPU, in both
    assert cr.cuda.manual_seed(0) is None and torch.cuda.manual_seed(0) is None
    assert cr.cuda.manual_seed_all(0) is None and torch.cuda.manual_seed_all(0) is None
    assert cr.cuda.empty_cache() is None and torch.cuda.empty_cache() is None
    # these raise the same kind of error, saying what is missing and how to get it
    for name in ("current_device", "get_device_name", "synchronize"):
        with pytest.raises(AssertionError):
            getattr(torch.cuda, name)()
        with pytest.raises(AssertionError, match=r"pip install 'chainrule\[gpu\]'"):
            getattr(cr.cuda, name)()


@pytest.mark.parametrize(
    "make",
    [
        lambda d: cr.zeros(2, device=d),
        lambda d: cr.ones(2, device=d),
        lambda d: cr.empty(2, device=d),
        lambda d: cr.full((2,), 1.0, device=d),
        lambda d: cr.eye(2, device=d),
        lambda d: cr.tensor([1.0], device=d),
        lambda d: cr.as_tensor([1.0], device=d),
        lambda d: cr.arange(3, device=d),
        lambda d: cr.linspace(0, 1, 3, device=d),
        lambda d: cr.logspace(0, 1, 3, device=d),
        lambda d: cr.rand(2, device=d),
        lambda d: cr.randn(2, device=d),
        lambda d: cr.randint(0, 3, (2,), device=d),
        lambda d: cr.randperm(3, device=d),
        lambda d: cr.normal(0.0, 1.0, (2,), device=d),
        lambda d: cr.zeros_like(cr.zeros(2), device=d),
        lambda d: cr.ones_like(cr.zeros(2), device=d),
        lambda d: cr.full_like(cr.zeros(2), 2.0, device=d),
        lambda d: cr.empty_like(cr.zeros(2), device=d),
        lambda d: cr.rand_like(cr.zeros(2), device=d),
        lambda d: cr.randn_like(cr.zeros(2), device=d),
        lambda d: cr.randint_like(cr.zeros(2), 3, device=d),
        lambda d: cr.zeros(2).to(d),
        lambda d: cr.zeros(2).cuda() if d == "cuda" else cr.zeros(2).cpu(),
        lambda d: cr.nn.Linear(2, 1).to(d),
        lambda d: cr.nn.Linear(2, 1).cuda() if d == "cuda" else cr.nn.Linear(2, 1).cpu(),
    ],
)
def test_asking_for_a_gpu_without_one_names_the_extra(make):
    if cr.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(AssertionError, match=r"CuPy .*pip install 'chainrule\[gpu\]'"):
        make("cuda")
    assert make("cpu") is not None


def test_a_missing_gpu_is_told_apart_from_missing_cupy(monkeypatch):
    class NoDevice:
        class cuda:
            class runtime:
                @staticmethod
                def getDeviceCount():
                    return 0

    monkeypatch.setattr(backend, "load", lambda name: NoDevice)
    with pytest.raises(AssertionError, match="CuPy is installed but found no CUDA device"):
        cr.zeros(1, device="cuda")
    assert cr.cuda.is_available() is False and cr.cuda.device_count() == 0


def test_devices_that_have_no_backend_are_refused_clearly():
    with pytest.raises(RuntimeError, match="device type 'meta' has no backend"):
        cr.zeros(1, device="meta")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        cr.zeros(1, device="gpu")


def test_to_accepts_torchs_argument_forms_on_the_cpu():
    x = cr.tensor([1.5, 2.5])
    assert x.to("cpu") is x and x.cpu() is x and x.to(cr.device("cpu")) is x
    for args, kwargs in [
        (("cpu", cr.float64), {}),
        ((cr.device("cpu"), cr.float64), {}),
        ((), {"device": "cpu", "dtype": cr.float64}),
        ((cr.zeros(1, dtype=cr.float64),), {}),
        ((cr.float64, False, True), {}),
    ]:
        y = x.to(*args, **kwargs)
        assert y.dtype == cr.float64 and y.device == cr.device("cpu")
        assert y.tolist() == [1.5, 2.5]
    # the same forms are valid in PyTorch
    t = torch.tensor([1.5, 2.5])
    for y in (t.to("cpu", torch.float64), t.to(device="cpu", dtype=torch.float64)):
        assert y.dtype == torch.float64
    z = x.to("cpu", copy=True)
    assert z is not x and z.data_ptr() != x.data_ptr()
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        x.to(cr.float64, "cpu")


def test_save_records_no_device_for_cpu_tensors_and_map_location_forms_load_on_the_cpu():
    buf = io.BytesIO()
    cr.save({"w": cr.ones(2)}, buf)
    for loc in (None, "cpu", cr.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        out = cr.load(io.BytesIO(buf.getvalue()), map_location=loc)
        assert out["w"].device == cr.device("cpu") and out["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="Expected one of"):
        cr.load(io.BytesIO(buf.getvalue()), map_location="gpu")


def test_module_to_on_the_cpu_keeps_its_parameters_and_checks_dtype():
    m = cr.nn.Linear(2, 1)
    w = m.weight
    assert m.to("cpu") is m and m.cpu() is m and m.weight is w
    assert m.to("cpu", cr.float64).weight is w and w.dtype == cr.float64
    with pytest.raises(TypeError, match="floating point or complex dtypes"):
        m.to(cr.int64)
    with pytest.raises(RuntimeError, match="Expected one of"):
        m.to("gpu")
    assert w.dtype == cr.float64  # a refused call changed nothing


def test_printing_a_cpu_tensor_shows_no_device():
    assert repr(cr.ones(2, device="cpu")) == repr(torch.ones(2, device="cpu"))


def test_default_device_is_the_cpu_and_can_be_set_back():
    assert repr(cr.get_default_device()) == repr(torch.get_default_device())
    cr.set_default_device("cpu")
    try:
        assert cr.zeros(1).device == cr.device("cpu")
    finally:
        cr.set_default_device(None)
    if not cr.cuda.is_available():
        cr.set_default_device("cuda")  # as PyTorch: the error comes at creation
        try:
            with pytest.raises(AssertionError, match="pip install"):
                cr.zeros(1)
        finally:
            cr.set_default_device(None)
