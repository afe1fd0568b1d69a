"""chainrule.save / chainrule.load: round trips, sharing, file kinds, and safety."""

import io
import json
import math
import pickle
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as torch

DTYPES = [
    torch.float16,
    torch.float32,
    torch.float64,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.uint8,
    torch.bool,
]


def _roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf)


def _same_tensor(a, b):
    assert type(b) is type(a)
    assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
    assert b.is_leaf
    assert np.array_equal(a.detach().numpy(), b.detach().numpy(), equal_nan=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 4)], ids=str)
def test_tensor_roundtrip_every_dtype_and_shape(dtype, shape):
    x = (torch.arange(math.prod(shape)) % 5).reshape(shape).to(dtype)
    _same_tensor(x, _roundtrip(x))


def test_float_specials_and_requires_grad():
    x = torch.tensor([float("nan"), float("inf"), -0.0, 1e-8], requires_grad=True)
    y = _roundtrip(x)
    _same_tensor(x, y)
    assert y.grad is None and math.copysign(1, y[2].item()) == -1
    h = torch.tensor([65504.0, 6e-8], dtype=torch.float16)  # float16's extremes stay exact
    assert _roundtrip(h).tolist() == h.tolist()


def test_non_leaf_comes_back_as_leaf_requiring_grad_like_torch():
    x = torch.arange(3.0, requires_grad=True)
    y = _roundtrip(x * 2)
    assert y.is_leaf and y.requires_grad and y.tolist() == [0.0, 2.0, 4.0]


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a.T,
        lambda a: a[:, ::2],
        lambda a: a[1:, 1:3],
        lambda a: a.flip(0),
        lambda a: a[0],
        lambda a: a[:1].expand(3, 4),
        lambda a: a.permute(1, 0)[::3],
    ],
)
def test_non_contiguous_views_alone_and_with_their_base(view):
    a = torch.arange(12.0).reshape(3, 4)
    v = view(a)
    _same_tensor(v, _roundtrip(v))
    b2, v2 = _roundtrip([a, v])
    _same_tensor(a, b2)
    _same_tensor(v, v2)


def test_views_of_one_array_keep_sharing_memory():
    a = torch.arange(12.0).reshape(3, 4)
    out = _roundtrip({"a": a, "row": a[1], "t": a.T, "again": a})
    assert out["again"] is out["a"]  # one tensor saved twice: one tensor loaded
    out["row"][0] = 100.0  # a write through one view shows in the others, as in torch
    assert out["a"][1, 0].item() == 100.0 and out["t"][0, 1].item() == 100.0
    pt = pytest.importorskip("torch")
    ta = pt.arange(12.0).reshape(3, 4)
    buf = io.BytesIO()
    pt.save({"a": ta, "row": ta[1]}, buf)
    buf.seek(0)
    tout = pt.load(buf)
    tout["row"][0] = 100.0
    assert tout["a"][1, 0].item() == 100.0


def test_a_small_slice_does_not_store_its_whole_base():
    big = torch.zeros(100_000)
    buf = io.BytesIO()
    torch.save(big[:10], buf)
    assert len(buf.getvalue()) < 5_000
    buf = io.BytesIO()
    torch.save([big[:10], big[20:30]], buf)  # shared: stores only the span 0..29
    assert len(buf.getvalue()) < 5_000
    a, b = _roundtrip([big[:10], big[20:30]])
    assert a.tolist() == [0.0] * 10 and b.shape == (10,)


def test_nested_structures_roundtrip():
    w = torch.randn(2, 3, requires_grad=True)
    obj = {
        "state": OrderedDict([("weight", w), ("bias", torch.zeros(2))]),
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": torch.ones(2)}},
            "param_groups": [
                {
                    "lr": 0.1,
                    "betas": (0.9, 0.999),
                    "params": [0, 1],
                    "nesterov": False,
                    "maximize": None,
                    "name": "group",
                }
            ],
        },
        "floats": [float("nan"), float("inf"), -float("inf"), 1e300, -0.5],
        "ints": [0, -1, 2**70],
        "empty": [[], (), {}],
        "meta": (torch.float16, torch.Size([2, 3]), "é ✓ \u0000"),
        ("tuple", 1): None,
        1.5: True,
        None: "none key",
        "numpy": [np.arange(3, dtype=np.int16), np.float32(2.5), np.bool_(True)],
    }
    got = _roundtrip(obj)
    assert type(got["state"]) is OrderedDict and list(got["state"]) == ["weight", "bias"]
    _same_tensor(w, got["state"]["weight"])
    assert got["optimizer"]["state"][0]["step"] == 3
    assert got["optimizer"]["param_groups"] == obj["optimizer"]["param_groups"]
    assert math.isnan(got["floats"][0]) and got["floats"][1:] == obj["floats"][1:]
    assert got["ints"] == [0, -1, 2**70] and got["empty"] == [[], (), {}]
    assert got["meta"][0] is torch.float16 and type(got["meta"][1]) is torch.Size
    assert got["meta"] == obj["meta"] and got[("tuple", 1)] is None
    assert got[1.5] is True and got[None] == "none key"
    arr, scalar, flag = got["numpy"]
    assert arr.dtype == np.int16 and arr.tolist() == [0, 1, 2]
    assert type(scalar) is np.float32 and scalar == 2.5 and type(flag) is np.bool_
    assert set(got) == set(obj)


def test_paths_and_file_objects(tmp_path):
    x = {"x": torch.arange(5)}
    torch.save(x, str(tmp_path / "a.pt"))
    torch.save(x, tmp_path / "b.pt")  # pathlib.Path
    with open(tmp_path / "c.pt", "wb") as f:
        torch.save(x, f)
    for name in ("a.pt", "b.pt", "c.pt"):
        assert torch.load(tmp_path / name)["x"].tolist() == [0, 1, 2, 3, 4]
        with open(tmp_path / name, "rb") as f:
            assert torch.load(f)["x"].tolist() == [0, 1, 2, 3, 4]
    assert (
        torch.load(str(tmp_path / "a.pt"), map_location="cpu", weights_only=True)["x"].sum() == 10
    )


class _Unseekable(io.RawIOBase):
    """A pipe-like stream: read or write, never seek."""

    def __init__(self, data=b""):
        self._buf, self.written = io.BytesIO(data), bytearray()

    def readable(self):
        return True

    def writable(self):
        return True

    def seekable(self):
        return False

    def readinto(self, b):
        chunk = self._buf.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)

    def write(self, b):
        self.written += bytes(b)
        return len(b)


def test_unseekable_streams():
    out = _Unseekable()
    torch.save([torch.ones(3), "x"], out)
    t, s = torch.load(_Unseekable(bytes(out.written)))
    assert t.tolist() == [1.0, 1.0, 1.0] and s == "x"


def test_d2l_file_io_section(tmp_path):
    x = torch.arange(4)
    torch.save(x, tmp_path / "x-file")
    assert torch.equal(torch.load(tmp_path / "x-file"), x)
    y = torch.zeros(4)
    torch.save([x, y], tmp_path / "x-files")
    x2, y2 = torch.load(tmp_path / "x-files")
    assert torch.equal(x2, x) and torch.equal(y2, y)
    mydict = {"x": x, "y": y}
    torch.save(mydict, tmp_path / "mydict")
    assert set(torch.load(tmp_path / "mydict")) == {"x", "y"}


dtype_st = st.sampled_from(DTYPES)
shape_st = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


@given(dtype_st, shape_st, st.data())
def test_roundtrip_random_views(dtype, shape, data):
    base = torch.arange(math.prod(shape)).reshape(shape).to(dtype)
    idx = tuple(
        slice(data.draw(st.integers(0, n)), None, data.draw(st.integers(1, 3))) for n in shape
    )
    view = base[idx]
    if view.dim() >= 2 and data.draw(st.booleans()):
        view = view.transpose(0, 1)
    a, v = _roundtrip([base, view])
    _same_tensor(base, a)
    _same_tensor(view, v)
    _same_tensor(view, _roundtrip(view))


def test_parameter_flag_roundtrip_with_a_stand_in_nn(monkeypatch):
    class Parameter(torch.Tensor):
        def __new__(cls, data, requires_grad=True):
            p = torch.Tensor.__new__(cls)._init(data._data)
            p.requires_grad = requires_grad
            return p

        def __init__(self, *args, **kwargs):
            pass

    fake = types.ModuleType("chainrule.nn")
    fake.Parameter = Parameter
    monkeypatch.setitem(sys.modules, "chainrule.nn", fake)
    p = Parameter(torch.ones(2))
    frozen = Parameter(torch.zeros(1), requires_grad=False)
    got = _roundtrip({"p": p, "frozen": frozen, "plain": torch.ones(1)})
    assert type(got["p"]) is Parameter and got["p"].requires_grad
    assert type(got["frozen"]) is Parameter and not got["frozen"].requires_grad
    assert type(got["plain"]) is torch.Tensor
    buf = io.BytesIO()
    torch.save(p, buf)
    monkeypatch.setitem(sys.modules, "chainrule.nn", None)  # no nn: a tensor with the flag
    loaded = torch.load(io.BytesIO(buf.getvalue()))
    assert type(loaded) is torch.Tensor and loaded.requires_grad


def test_state_dict_roundtrip_with_real_nn(tmp_path):
    nn = pytest.importorskip("chainrule.nn")
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    torch.save(net.state_dict(), tmp_path / "mlp.params")
    clone = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    clone.load_state_dict(torch.load(tmp_path / "mlp.params"))
    x = torch.randn(5, 4)
    assert torch.equal(clone(x), net(x))
    p = _roundtrip(nn.Parameter(torch.ones(2)))
    assert isinstance(p, nn.Parameter) and p.requires_grad


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "obj, name",
    [
        (object(), "builtins.object"),
        ({1, 2}, "builtins.set"),
        (lambda: 0, "function"),
        ({"net": types.SimpleNamespace()}, "types.SimpleNamespace"),
        ([1j], "builtins.complex"),
        (np.array(["a"]), "dtype <U1"),
        (np.array([object()]), "dtype object"),
    ],
)
def test_unsupported_objects_raise_type_error_naming_the_type(obj, name):
    with pytest.raises(TypeError, match=name):
        torch.save(obj, io.BytesIO())


def test_bad_keys_and_cycles():
    with pytest.raises(TypeError, match="dict key of type frozenset"):
        torch.save({frozenset(): 1}, io.BytesIO())
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        torch.save(loop, io.BytesIO())
    shared = [1]
    assert _roundtrip([shared, shared]) == [[1], [1]]  # repeated but not cyclic is fine


def _zip(files: dict) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    buf.seek(0)
    return buf


def _meta(root, tensors=(), arrays=(), version=1):
    return json.dumps(
        {
            "format": "chainrule",
            "version": version,
            "root": root,
            "tensors": list(tensors),
            "arrays": list(arrays),
        }
    )


def _npy(arr, allow_pickle=False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def test_files_that_are_not_chainrule_files(tmp_path):
    (tmp_path / "text").write_text("hello")
    with pytest.raises(ValueError, match="is not a chainrule file"):
        torch.load(tmp_path / "text")
    with pytest.raises(ValueError, match="no chainrule.json"):
        torch.load(_zip({"other.txt": "x"}))
    with pytest.raises(ValueError, match="not valid JSON"):
        torch.load(_zip({"chainrule.json": "{nope"}))
    with pytest.raises(ValueError, match="format tag"):
        torch.load(_zip({"chainrule.json": "[1, 2]"}))
    with pytest.raises(ValueError, match="upgrade chainrule"):
        torch.load(_zip({"chainrule.json": _meta(None, version=99)}))
    with pytest.raises(ValueError, match="is not a chainrule file"):
        torch.load(io.BytesIO(pickle.dumps({"x": 1})))


def test_pytorch_files_are_refused_with_a_hint():
    pt = pytest.importorskip("torch")
    buf = io.BytesIO()
    pt.save({"w": pt.ones(2)}, buf)
    buf.seek(0)
    with pytest.raises(ValueError, match="PyTorch .pickle. file; chainrule.load never unpickles"):
        torch.load(buf)


class _Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_npy_inside_cannot_run_code(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.array([_Payload(marker)], dtype=object)
    npy = _npy(evil, allow_pickle=True)
    np.load(io.BytesIO(npy), allow_pickle=True)  # the payload is live: unpickling runs it
    assert marker.exists()
    marker.unlink()
    tensors = [{"array": 0, "offset": 0, "strides": None, "dtype": "float32", "shape": [1]}]
    for spec, match in [("|O", "bad dtype '|O'"), ("<f4", "does not match its description")]:
        arrays = [{"dtype": spec, "shape": [1]}]
        for root in ({"$": "tensor", "ref": 0}, {"$": "ndarray", "array": 0}):
            crafted = _zip({"chainrule.json": _meta(root, tensors, arrays), "data/0.npy": npy})
            with pytest.raises(ValueError, match=match):
                torch.load(crafted)
            assert not marker.exists()
    # a pickle lying next to a valid file is never touched
    fine = _zip(
        {
            "chainrule.json": _meta({"$": "list", "items": [1]}),
            "data.pkl": pickle.dumps(_Payload(marker)),
            "data/0.npy": npy,
        }
    )
    assert torch.load(fine) == [1]
    assert not marker.exists()


@pytest.mark.parametrize(
    "root",
    [
        {"$": "os.system", "args": ["touch pwned"]},
        {"$": "builtins.eval", "items": ["print(1)"]},
        {"__class__": "subprocess.Popen"},
        {"$": "dtype", "name": "object"},
        {"$": "dict", "items": [[{"$": "list", "items": []}, 1]]},
        {"$": "float", "value": "__import__('os')"},
        {"$": "tensor", "ref": 5},
        {"$": "tensor", "ref": True},
        {"$": "size", "items": [-1]},
    ],
)
def test_json_naming_classes_or_bad_entries_is_refused(root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="not a valid chainrule file"):
        torch.load(_zip({"chainrule.json": _meta(root)}))
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "entry, match",
    [
        ({"dtype": "object"}, "unknown dtype"),
        ({"dtype": "float64"}, "stored dtype float32 is not torch.float64"),
        ({"strides": [1], "offset": 0, "shape": [1000]}, "outside its stored array"),
        ({"strides": [-1], "offset": 2, "shape": [4]}, "outside its stored array"),
        ({"strides": [1], "offset": -1, "shape": [2]}, "outside its stored array"),
        ({"strides": [1, 1], "offset": 0, "shape": [2]}, "bad strides"),
        ({"strides": None, "shape": [5]}, "shape mismatch"),
        ({"shape": ["4"]}, "bad shape"),
        ({"array": 3}, "array index 3 is bad"),
        ({"requires_grad": "yes"}, "requires_grad must be a bool"),
    ],
)
def test_crafted_tensor_entries_cannot_read_out_of_bounds(entry, match):
    npy = _npy(np.arange(4, dtype=np.float32))
    tensor = {"array": 0, "offset": 0, "strides": None, "dtype": "float32", "shape": [4]}
    tensor.update(entry)
    meta = _meta({"$": "tensor", "ref": 0}, [tensor], [{"dtype": "<f4", "shape": [4]}])
    with pytest.raises(ValueError, match=match):
        torch.load(_zip({"chainrule.json": meta, "data/0.npy": npy}))


def test_npy_header_claiming_a_huge_array_is_refused_before_allocating():
    buf = io.BytesIO()  # a header that claims 10**13 floats, followed by 4 of them
    header = {"descr": "<f4", "fortran_order": False, "shape": (10**13,)}
    np.lib.format.write_array_header_1_0(buf, header)
    npy = buf.getvalue() + np.arange(4, dtype=np.float32).tobytes()
    with pytest.raises((ValueError, MemoryError)):  # np.load would try to allocate 40 TB
        np.load(io.BytesIO(npy), allow_pickle=False)
    for shape in ([4], [10**13]):
        meta = _meta({"$": "ndarray", "array": 0}, [], [{"dtype": "<f4", "shape": shape}])
        with pytest.raises(ValueError, match="does not match|smaller than its description"):
            torch.load(_zip({"chainrule.json": meta, "data/0.npy": npy}))
    meta = _meta({"$": "ndarray", "array": 0}, [], [{"dtype": "<f4", "shape": [4]}])
    short = _npy(np.arange(4, dtype=np.float32))[:-4]
    with pytest.raises(ValueError, match="smaller than its description|truncated"):
        torch.load(_zip({"chainrule.json": meta, "data/0.npy": short}))


def test_crafted_array_description_must_match_the_npy():
    npy = _npy(np.arange(4, dtype=np.float32))
    meta = _meta({"$": "ndarray", "array": 0}, [], [{"dtype": "<f8", "shape": [4]}])
    with pytest.raises(ValueError, match="does not match its description"):
        torch.load(_zip({"chainrule.json": meta, "data/0.npy": npy}))
    meta = _meta({"$": "ndarray", "array": 0}, [], [{"dtype": "<f4", "shape": [4]}])
    with pytest.raises(ValueError, match="data/0.npy is missing"):
        torch.load(_zip({"chainrule.json": meta}))


def _rewrite(buf, meta_edit=None, compress=False):
    """A copy of a saved archive with its JSON edited and/or its members deflated."""
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", compression=mode) as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".json") and meta_edit is not None:
                meta = json.loads(data)
                meta_edit(meta)
                data = json.dumps(meta).encode()
            zf.writestr(info.filename, data)
    out.seek(0)
    return out


def test_compressed_members_are_refused():
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(1000)}, buf)
    with pytest.raises(ValueError, match="compressed"):
        torch.load(_rewrite(buf, compress=True))


def test_one_stored_array_named_many_times_is_copied_once():
    buf = io.BytesIO()
    torch.save([np.zeros(1000)], buf)

    def repeat(meta):
        meta["root"]["items"] = meta["root"]["items"] * 200

    out = torch.load(_rewrite(buf, repeat))
    assert len(out) == 200 and all(a is out[0] for a in out)


def test_expanded_tensors_round_trip_and_overlapping_strides_are_refused():
    base = torch.arange(3.0)
    buf = io.BytesIO()
    torch.save([base, base.expand(4, 3)], buf)
    a, b = torch.load(io.BytesIO(buf.getvalue()))
    assert b.tolist() == [[0.0, 1.0, 2.0]] * 4
    b.add_(1)  # a copy of its own, not an overlapping view of a
    assert a.tolist() == [0.0, 1.0, 2.0]

    def overlap(meta):
        for t in meta["tensors"]:
            if t.get("strides") is not None or len(t["shape"]) == 1:
                t["shape"], t["strides"], t["offset"] = [10**6, 10**6], [0, 0], 0

    with pytest.raises(ValueError, match="overlapping strides"):
        torch.load(_rewrite(buf, overlap))


def test_a_lazy_modules_state_dict_round_trips_uninitialized():
    """As torch.save / torch.load: the uninitialized parameters and buffers of a lazy
    module come back uninitialized (with their dtype and requires_grad), and the state
    dict loads into a fresh lazy module; once trained, the values round trip."""
    nn = torch.nn
    net = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d()).double()
    net[0].bias.requires_grad = False
    buf = io.BytesIO()
    sd = net.state_dict()
    torch.save({"model": sd, "again": sd["0.weight"]}, buf)
    back = torch.load(io.BytesIO(buf.getvalue()))
    assert [repr(v) for v in back["model"].values()] == [repr(v) for v in sd.values()]
    w = back["model"]["0.weight"]
    assert back["again"] is w and type(w) is nn.UninitializedParameter
    assert w.dtype == torch.float64 and w.requires_grad
    assert not back["model"]["0.bias"].requires_grad
    mean = back["model"]["1.running_mean"]
    assert type(mean) is nn.UninitializedBuffer and not mean.requires_grad and mean.persistent
    fresh = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    assert repr(fresh.load_state_dict(back["model"])) == "<All keys matched successfully>"
    assert fresh[0].has_uninitialized_params()

    net(torch.ones(4, 2, dtype=torch.float64))
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    fresh.load_state_dict(torch.load(io.BytesIO(buf.getvalue())))
    # materialized in fresh's own dtype (float32), the values copied into it
    assert fresh[0].weight.shape == (3, 2) and fresh[0].weight.dtype == torch.float32
    assert bool((fresh[0].weight == net[0].weight.float()).all())


@pytest.mark.parametrize(
    "entry, match",
    [
        ({"kind": "Parameter"}, "bad kind"),
        ({"dtype": "object"}, "unknown dtype"),
        ({"id": "0"}, "without its id"),
        ({"requires_grad": 1}, "requires_grad must be a bool"),
        ({"device": "tpu"}, "bad device"),
    ],
)
def test_crafted_uninitialized_entries_are_refused(entry, match):
    node = {"$": "uninitialized", "id": 0, "kind": "UninitializedParameter", "dtype": "float32"}
    node.update(entry)
    with pytest.raises(ValueError, match=match):
        torch.load(_zip({"chainrule.json": _meta(node)}))
