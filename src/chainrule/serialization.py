"""chainrule.save / chainrule.load: tensors and state_dicts in a safe file format.

A file is a zip archive holding ``chainrule.json`` (the structure: dicts, lists, tuples,
numbers, strings, None, and for each tensor its dtype, shape and requires_grad) and one
``.npy`` array per storage. Loading parses the JSON, checks every ``.npy`` header against
it (plain bool/int/float dtypes only) and then reads raw bytes: there is no ``pickle`` and
no ``np.load`` anywhere on the path, nothing in a file can name a class to build or code to
run, so loading a file from a stranger is as safe as reading a CSV. (PyTorch's files are pickles;
``chainrule.load`` refuses them.)

Sharing: one tensor saved twice comes back as one tensor; tensors that view one array
(slices, transposes, ``view``) come back as views of one array, so a write through one
shows in the others, as with ``torch.load``. Only the span of memory the saved tensors
cover is stored. ``.grad`` and autograd history are not saved: a tensor comes back as a
leaf with its ``requires_grad``; an ``nn.Parameter`` comes back as a Parameter, and a lazy
module's ``UninitializedParameter``/``UninitializedBuffer`` as one (no data, its dtype).

>>> import io, chainrule as torch
>>> buf = io.BytesIO()
>>> torch.save({"w": torch.ones(2, requires_grad=True), "step": 3}, buf)
>>> _ = buf.seek(0); torch.load(buf)
{'w': tensor([1., 1.], requires_grad=True), 'step': 3}
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import zipfile
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from . import backend as _backend
from . import dtypes as _dt
from .device import device as _device_cls
from .device import place as _place
from .tensor import Size, Tensor, make

__all__ = ["save", "load"]

_META = "chainrule.json"
_FORMAT = "chainrule"
_VERSION = 1
_ARRAY_KINDS = "biuf"  # NumPy kinds an array may have in a file: never object ("O")
_KEY_TYPES = (str, int, float, bool, type(None))


# ----------------------------------------------------------------------------- save
def save(obj: Any, f, pickle_module=None, pickle_protocol=None, **_ignored) -> None:
    """Write ``obj`` (a tensor, a state_dict (also a lazy module's), or dicts/lists/tuples of
    tensors, numbers, strings, None, bools, dtypes, sizes and NumPy arrays) to ``f``, a path
    or a binary file.

    ``pickle_module``/``pickle_protocol`` are accepted for PyTorch-compatible calls and
    ignored: nothing is pickled.

    >>> import chainrule as torch, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x-file")
    >>> torch.save([torch.arange(4), torch.zeros(2)], path)
    >>> torch.load(path)
    [tensor([0, 1, 2, 3]), tensor([0., 0.])]
    """
    enc = _Encoder()
    root = enc.encode(obj)
    meta = {
        "format": _FORMAT,
        "version": _VERSION,
        "root": root,
        "tensors": enc.finish_tensors(),
        "arrays": enc.array_nodes,
    }
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fp:
            _write_zip(fp, meta, enc.arrays)
    else:
        _write_zip(f, meta, enc.arrays)


def _write_zip(fp: IO[bytes], meta: dict, arrays: list[np.ndarray]) -> None:
    with zipfile.ZipFile(fp, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(_META, json.dumps(meta, allow_nan=False))
        for i, arr in enumerate(arrays):
            with zf.open(_array_name(i), "w", force_zip64=True) as out:
                np.lib.format.write_array(out, arr, allow_pickle=False)


def _array_name(i: int) -> str:
    return f"data/{i}.npy"


def _host(t: Tensor) -> np.ndarray:
    """The tensor's data as a NumPy array (a view of it where it already is one)."""
    d = t._data
    if isinstance(d, np.ndarray):
        return d
    if hasattr(d, "get"):  # a CuPy array: copy to host
        return np.asarray(d.get())
    return np.asarray(d)


def _c_order(a: np.ndarray) -> np.ndarray:
    # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
    return a if a.flags.c_contiguous else a.copy(order="C")


def _span(offset: int, shape, strides) -> tuple[int, int]:
    """First and last element index that a strided view touches (shape has no 0)."""
    lo = offset + sum(min(0, (n - 1) * s) for n, s in zip(shape, strides, strict=True))
    hi = offset + sum(max(0, (n - 1) * s) for n, s in zip(shape, strides, strict=True))
    return lo, hi


def _overlaps(shape, strides) -> bool:
    """Whether a strided layout maps two elements to one memory location. Taken by
    increasing stride, each axis must step past all that the axes before it reach (axes of
    length 1 take no step): slicing, transposing and reshaping views of one array are laid
    out so, and ``save`` stores any other tensor on its own, so ``load`` may refuse the rest.

    >>> _overlaps([3, 4], [4, 1]), _overlaps([3, 4], [1, 3]), _overlaps([4, 4], [1, 1])
    (False, False, True)
    """
    reach = 0  # the furthest element the axes taken so far reach from the first one
    for s, n in sorted((abs(s), n) for n, s in zip(shape, strides, strict=True) if n > 1):
        if s <= reach:
            return True
        reach += (n - 1) * s
    return False


def _root(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory, through views and through the stand-in object
    that ``np.lib.stride_tricks.as_strided`` (diagonals, expands) puts between a view and
    its base."""
    while True:
        b = a.base
        if not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)  # as_strided's stand-in keeps the array as .base
            if not isinstance(b, np.ndarray):
                return a
        a = b


def _is_parameter(t: Tensor) -> bool:
    nn = sys.modules.get("chainrule.nn")  # never import nn just to ask
    param = getattr(nn, "Parameter", None)
    return isinstance(param, type) and isinstance(t, param)


def _is_lazy(t: Tensor) -> bool:
    """Whether ``t`` is an nn.UninitializedParameter or UninitializedBuffer."""
    parameter = sys.modules.get("chainrule.nn.parameter")  # never import nn just to ask
    is_lazy = getattr(parameter, "is_lazy", None)
    return is_lazy is not None and is_lazy(t)


class _Encoder:
    """Walks the object to save: builds its JSON node and collects arrays to write."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.array_nodes: list[dict] = []
        self._tensors: list[Tensor] = []
        self._tensor_index: dict[int, int] = {}
        self._lazy_index: dict[int, int] = {}
        self._path: set[int] = set()  # containers being walked, to refuse cycles

    def _add_array(self, arr: np.ndarray) -> int:
        self.arrays.append(arr)
        self.array_nodes.append({"dtype": arr.dtype.str, "shape": list(arr.shape)})
        return len(self.arrays) - 1

    def encode(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if type(obj) is int:
            return obj
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"$": "float", "value": repr(obj)}
        if isinstance(obj, Tensor) and _is_lazy(obj):
            return self._uninitialized(obj)
        if isinstance(obj, Tensor):
            k = self._tensor_index.get(id(obj))
            if k is None:
                k = self._tensor_index[id(obj)] = len(self._tensors)
                self._tensors.append(obj)
            return {"$": "tensor", "ref": k}
        if isinstance(obj, _dt.dtype):
            return {"$": "dtype", "name": obj.name}
        if isinstance(obj, (np.ndarray, np.generic)):
            if obj.dtype.kind not in _ARRAY_KINDS:
                raise TypeError(
                    f"chainrule.save cannot store a NumPy array of dtype {obj.dtype} "
                    "(only booleans, integers and floats)"
                )
            tag = "ndarray" if isinstance(obj, np.ndarray) else "numpy_scalar"
            return {"$": tag, "array": self._add_array(_c_order(np.asarray(obj)))}
        if type(obj) in (dict, OrderedDict, list, tuple, Size):
            return self._container(obj)
        raise TypeError(
            f"chainrule.save cannot store an object of type {type(obj).__module__}."
            f"{type(obj).__qualname__}: it stores tensors, numbers, strings, None, dtypes "
            "and dicts/lists/tuples of them (save a module's state_dict(), not the module)"
        )

    def _uninitialized(self, t) -> dict:
        """A lazy module's uninitialized parameter or buffer: no data, only what
        ``materialize`` will use (and ``id``, so one saved twice loads as one)."""
        k = self._lazy_index.setdefault(id(t), len(self._lazy_index))
        node = {"$": "uninitialized", "id": k, "kind": type(t).__name__}
        node.update(dtype=t.dtype.name, requires_grad=bool(t.requires_grad))
        if node["kind"] == "UninitializedBuffer":
            node["persistent"] = bool(t.persistent)
        if t.device.type != "cpu":
            node["device"] = str(t.device)
        return node

    def _container(self, obj) -> dict:
        if id(obj) in self._path:
            raise ValueError("chainrule.save cannot store a structure that contains itself")
        self._path.add(id(obj))
        try:
            if isinstance(obj, dict):
                tag = "odict" if type(obj) is OrderedDict else "dict"
                return {"$": tag, "items": [[self._key(k), self.encode(v)] for k, v in obj.items()]}
            tag = {list: "list", tuple: "tuple", Size: "size"}[type(obj)]
            return {"$": tag, "items": [self.encode(v) for v in obj]}
        finally:
            self._path.discard(id(obj))

    def _key(self, k) -> Any:
        if type(k) is tuple:
            return {"$": "tuple", "items": [self._key(e) for e in k]}
        if isinstance(k, _KEY_TYPES):
            return self.encode(k)
        raise TypeError(
            f"chainrule.save cannot store a dict key of type {type(k).__qualname__}: keys "
            "must be strings, numbers, bools, None or tuples of them"
        )

    def finish_tensors(self) -> list[dict]:
        """One entry per distinct tensor. Tensors viewing one NumPy array share one stored
        array (the span they cover) and record offset and strides into it."""
        datas = [_host(t) for t in self._tensors]
        groups: dict[int, list[int]] = {}
        for i, a in enumerate(datas):
            if a.size:
                groups.setdefault(id(_root(a)), []).append(i)
        placed: dict[int, dict] = {}
        for members in groups.values():
            if len(members) > 1:
                placed.update(self._shared(members, datas))
        out = []
        for i, (t, a) in enumerate(zip(self._tensors, datas, strict=True)):
            entry = placed.get(i)
            if entry is None:
                entry = {"array": self._add_array(_c_order(a)), "offset": 0}
                entry["strides"] = None
            entry.update(
                dtype=t.dtype.name,
                shape=list(a.shape),
                requires_grad=bool(t.requires_grad),
                parameter=_is_parameter(t),
            )
            if t.device.type != "cpu":  # restored there unless load's map_location says
                entry["device"] = str(t.device)
            out.append(entry)
        return out

    def _shared(self, members: list[int], datas: list[np.ndarray]) -> dict[int, dict]:
        """Where each member goes in one stored array (the span they cover), as an offset
        and strides. A member that cannot be a view load accepts (one that reinterprets
        the bytes, or whose elements overlap) is left out: it is stored on its own."""
        base = _root(datas[members[0]])
        if not (base.flags.c_contiguous or base.flags.f_contiguous):
            return {}
        item = base.itemsize
        layout = {}
        for i in members:
            a = datas[i]
            off = a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
            if a.dtype != base.dtype or off % item or any(s % item for s in a.strides):
                continue  # a reinterpreting view
            strides = [s // item for s in a.strides]
            if _overlaps(a.shape, strides):
                continue  # an expanded view (elements overlap): copied
            lo, hi = _span(off // item, a.shape, strides)
            if lo < 0 or hi >= base.size:
                continue  # (an as_strided view reaching past its base)
            layout[i] = (off // item, strides, lo, hi)
        if not layout:
            return {}
        flat = base.ravel(order="K")  # memory order, a view
        start = min(v[2] for v in layout.values())
        stop = max(v[3] for v in layout.values()) + 1
        k = self._add_array(flat[start:stop].copy())
        return {
            i: {"array": k, "offset": off - start, "strides": strides}
            for i, (off, strides, _, _) in layout.items()
        }


# ----------------------------------------------------------------------------- load
class _NotChainrule(ValueError):
    pass


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **_ignored):
    """Read what :func:`save` wrote, from a path or a binary file. Never unpickles: a file
    that is not a chainrule file (a PyTorch pickle, a crafted archive) raises ValueError.

    Tensors saved on a GPU load on it unless ``map_location`` says otherwise, as in
    PyTorch: a device (or its string) for all tensors, a dict from saved locations to
    devices (``{'cuda:0': 'cpu'}``), or a function ``(tensor, location)`` returning the
    tensor to use (``lambda storage, loc: storage`` keeps everything on the CPU). Tensors
    that shared memory when saved share it after loading on the CPU; moved to a GPU, each
    is its own copy. ``weights_only`` and ``mmap`` are accepted for PyTorch-compatible
    calls: loading is always weights-only-safe.

    >>> import io, chainrule as torch
    >>> buf = io.BytesIO(); torch.save(torch.tensor([1.5, 2.0]), buf)
    >>> torch.load(io.BytesIO(buf.getvalue()))
    tensor([1.5000, 2.0000])
    """
    place = _placer(map_location)
    if isinstance(f, (str, os.PathLike)):
        name = repr(os.fspath(f))
        with open(f, "rb") as fp:
            return _load_from(fp, name, place)
    name = repr(f.name) if isinstance(getattr(f, "name", None), str) else "the file"
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_from(f, name, place)


def _placer(map_location):
    """A function (tensor on the CPU, saved location) -> the tensor where it belongs."""
    if map_location is None:
        return _restore
    if callable(map_location) and not isinstance(map_location, (_device_cls, str)):

        def call(t: Tensor, location: str) -> Tensor:
            r = map_location(t, location)
            return r if isinstance(r, Tensor) else _restore(t, location)

        return call
    if isinstance(map_location, dict):
        table = {str(k): v for k, v in map_location.items()}
        return lambda t, location: _restore(t, str(table.get(location, location)))
    target = _device_cls(map_location)  # a bad device raises before reading
    return lambda t, location: _restore(t, str(target))


def _restore(t: Tensor, location: str) -> Tensor:
    """``t`` (on the CPU) moved to ``location``, as PyTorch's default restore."""
    d = _device_cls(location)
    if d.type == "cuda" and not _backend.cuda_count():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use torch.load with "
            "map_location=torch.device('cpu') to map your storages to the CPU."
        )
    return t if d.type == "cpu" else make(_place(t._data, d))


def _load_from(fp: IO[bytes], name, place=None) -> Any:
    try:
        zf = zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(
            f"{name} is not a chainrule file: chainrule.load reads the zip archives that "
            "chainrule.save writes"
        ) from e
    with zf:
        names = set(zf.namelist())
        if _META not in names:
            hint = (
                " It looks like a PyTorch (pickle) file; chainrule.load never unpickles. In "
                "PyTorch, save plain tensors instead, e.g. np.savez(path, **{k: v.numpy() ...})."
                if any(n.endswith("data.pkl") for n in names)
                else ""
            )
            raise ValueError(f"{name} is not a chainrule file (no {_META} inside).{hint}")
        if any(i.compress_type != zipfile.ZIP_STORED for i in zf.infolist()):
            # save stores every member uncompressed: a compressed member could be a zip
            # bomb (a few bytes that inflate to gigabytes)
            raise ValueError(f"{name} is not a chainrule file: it has compressed members")
        try:
            meta = json.loads(zf.read(_META).decode("utf-8"))
        except (ValueError, RecursionError) as e:
            raise ValueError(f"{name}: {_META} is not valid JSON ({e})") from e
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(f"{name} is not a chainrule file ({_META} lacks its format tag)")
        version = meta.get("version")
        if type(version) is not int or version > _VERSION:
            raise ValueError(
                f"{name} has format version {version!r}; this chainrule reads up to "
                f"{_VERSION}: upgrade chainrule"
            )
        try:
            return _Decoder(zf, meta, names, place or _restore).decode(meta.get("root"), "")
        except _NotChainrule as e:
            raise ValueError(f"{name} is not a valid chainrule file: {e}") from None
        except RecursionError:
            raise ValueError(f"{name} is not a valid chainrule file: nested too deeply") from None


def _valid_device(text: str) -> bool:
    try:
        return _device_cls(text).type in ("cpu", "cuda")
    except RuntimeError:
        return False


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise _NotChainrule(what)


def _is_int(v) -> bool:
    return type(v) is int


def _read_npy(zf: zipfile.ZipFile, name: str, dtype: np.dtype, shape: list[int], nbytes: int):
    """Read a .npy member whose header must say exactly ``dtype`` and ``shape``.

    Stricter than ``np.load(allow_pickle=False)``: the header is checked against the JSON
    description before any data is read, so an object (pickle) array or a header that
    claims a huge shape is refused without unpickling or allocating anything."""
    with zf.open(name) as fp:
        try:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                header = np.lib.format.read_array_header_2_0(fp)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except ValueError as e:
            raise _NotChainrule(f"{name} is not a plain .npy array ({e})") from None
        h_shape, fortran_order, h_dtype = header
        _need(
            h_dtype == dtype and list(h_shape) == shape,
            f"{name} ({h_dtype}, {list(h_shape)}) does not match its description",
        )
        data = fp.read(nbytes)
    _need(len(data) == nbytes, f"{name} is truncated")
    flat = np.frombuffer(data, dtype=dtype).copy()  # a writable array of its own
    return flat.reshape(shape, order="F" if fortran_order else "C")


def _plain_dtype(text: Any, where: str) -> np.dtype:
    """A NumPy dtype from its string, only if it is a plain bool/int/float type."""
    bad = _NotChainrule(f"{where}: bad dtype {text!r:.40}")
    if not isinstance(text, str):
        raise bad
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError):
        raise bad from None
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise bad
    return dtype


class _Decoder:
    """Rebuilds the saved object from JSON nodes, checking every field it reads."""

    def __init__(self, zf: zipfile.ZipFile, meta: dict, names: set[str], place) -> None:
        self.zf, self.names, self.place = zf, names, place
        self.array_nodes = meta.get("arrays", [])
        self.tensor_nodes = meta.get("tensors", [])
        _need(isinstance(self.array_nodes, list), "'arrays' must be a list")
        _need(isinstance(self.tensor_nodes, list), "'tensors' must be a list")
        self._arrays: dict[int, np.ndarray] = {}
        self._tensors: dict[int, Tensor] = {}
        self._lazy: dict[int, Tensor] = {}  # uninitialized parameters and buffers, by id

    def decode(self, node: Any, where: str) -> Any:
        """The object a JSON node describes; ``where`` is its place in the saved object
        (``['fc.weight']``, ``[0][2]``; empty for the whole), to name a bad tensor by."""
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        _need(isinstance(node, dict) and isinstance(node.get("$"), str), f"bad entry {node!r:.80}")
        tag = node["$"]
        if tag == "tensor":
            return self._tensor(node.get("ref"), where)
        if tag == "uninitialized":
            return self._uninitialized(node)
        if tag in ("list", "tuple", "size"):
            items = node.get("items")
            _need(isinstance(items, list), f"{tag} without items")
            values = [self.decode(v, f"{where}[{i}]") for i, v in enumerate(items)]
            if tag == "size":
                _need(all(_is_int(v) and v >= 0 for v in values), "a size holds non-negative ints")
                return Size(values)
            return values if tag == "list" else tuple(values)
        if tag in ("dict", "odict"):
            items = node.get("items")
            _need(isinstance(items, list), f"{tag} without items")
            out = {} if tag == "dict" else OrderedDict()
            for pair in items:
                _need(isinstance(pair, list) and len(pair) == 2, "a dict item is a [key, value]")
                key = self._key(pair[0])
                out[key] = self.decode(pair[1], f"{where}[{key!r:.60}]")
            return out
        if tag == "float":
            _need(node.get("value") in ("nan", "inf", "-inf"), "float entry is not nan/inf")
            return float(node["value"])
        if tag == "dtype":
            name = node.get("name")
            _need(name in _dt._NAMES, f"unknown dtype {name!r:.40}")
            return _dt._NAMES[name]
        if tag in ("ndarray", "numpy_scalar"):
            arr = self._array(node.get("array"))
            if tag == "numpy_scalar":
                _need(arr.ndim == 0, "a NumPy scalar is stored as a 0-d array")
                return arr[()]
            # a copy: the stored array may also back a tensor; one copy per stored array, so
            # a small file that names one array many times cannot make many copies
            key = ("copy", node.get("array"))
            if key not in self._arrays:
                self._arrays[key] = arr.copy()
            return self._arrays[key]
        raise _NotChainrule(f"unknown entry type {tag!r:.40}")

    def _uninitialized(self, node: dict) -> Tensor:
        k = node.get("id")
        _need(_is_int(k), "an uninitialized tensor without its id")
        if k in self._lazy:
            return self._lazy[k]
        kind, dtype = node.get("kind"), _dt._NAMES.get(str(node.get("dtype")))
        _need(kind in ("UninitializedParameter", "UninitializedBuffer"), f"bad kind {kind!r:.40}")
        _need(dtype is not None, f"uninitialized tensor: unknown dtype {node.get('dtype')!r:.40}")
        requires_grad = node.get("requires_grad", kind == "UninitializedParameter")
        _need(isinstance(requires_grad, bool), "requires_grad must be a bool")
        location = node.get("device", "cpu")
        _need(isinstance(location, str) and _valid_device(location), "bad device")
        from .nn import parameter

        if kind == "UninitializedBuffer":
            persistent = node.get("persistent", True)
            _need(isinstance(persistent, bool), "persistent must be a bool")
            t = parameter.UninitializedBuffer(requires_grad, dtype=dtype, persistent=persistent)
        else:
            t = parameter.UninitializedParameter(requires_grad, dtype=dtype)
        t.data = self.place(t.data, location)  # (the placeholder: where it materializes)
        self._lazy[k] = t
        return t

    def _key(self, node: Any) -> Any:
        if isinstance(node, dict) and node.get("$") == "tuple":
            items = node.get("items")
            _need(isinstance(items, list), "tuple without items")
            return tuple(self._key(v) for v in items)
        if isinstance(node, dict) and node.get("$") == "float":
            return self.decode(node, "")
        _need(isinstance(node, _KEY_TYPES), f"a dict key of unsupported form {node!r:.80}")
        return node

    def _array(self, k: Any) -> np.ndarray:
        _need(_is_int(k) and 0 <= k < len(self.array_nodes), f"array index {k!r:.20} is bad")
        if k in self._arrays:
            return self._arrays[k]
        spec, name = self.array_nodes[k], _array_name(k)
        _need(isinstance(spec, dict), "array entry must be an object")
        _need(name in self.names, f"{name} is missing")
        shape = spec.get("shape")
        _need(
            isinstance(shape, list) and all(_is_int(n) and n >= 0 for n in shape),
            f"{name}: bad shape",
        )
        dtype = _plain_dtype(spec.get("dtype"), name)
        nbytes = math.prod(shape) * dtype.itemsize
        _need(nbytes <= self.zf.getinfo(name).file_size, f"{name} is smaller than its description")
        arr = _read_npy(self.zf, name, dtype, shape, nbytes)
        self._arrays[k] = arr
        return arr

    def _tensor(self, k: Any, where: str) -> Tensor:
        _need(_is_int(k) and 0 <= k < len(self.tensor_nodes), f"tensor index {k!r:.20} is bad")
        if k in self._tensors:
            return self._tensors[k]
        node = self.tensor_nodes[k]
        _need(isinstance(node, dict), "tensor entry must be an object")
        dtype = _dt._NAMES.get(node.get("dtype")) if isinstance(node.get("dtype"), str) else None
        _need(dtype is not None, f"tensor {k}: unknown dtype {node.get('dtype')!r:.40}")
        shape = node.get("shape")
        _need(
            isinstance(shape, list) and all(_is_int(n) and n >= 0 for n in shape),
            f"tensor {k}: bad shape",
        )
        arr = self._array(node.get("array"))
        _need(arr.dtype == dtype.np, f"tensor {k}: stored dtype {arr.dtype} is not {dtype}")
        data = self._view(arr, node, shape, k if not where else f"{where} (entry {k})")
        location = node.get("device", "cpu")
        _need(isinstance(location, str) and _valid_device(location), f"tensor {k}: bad device")
        t = self.place(make(data), location)
        requires_grad = node.get("requires_grad", False)
        _need(isinstance(requires_grad, bool), f"tensor {k}: requires_grad must be a bool")
        if node.get("parameter") is True:
            t = _as_parameter(t, requires_grad)
        elif requires_grad:
            t.requires_grad = True
        self._tensors[k] = t
        return t

    def _view(self, arr: np.ndarray, node: dict, shape: list[int], k) -> np.ndarray:
        strides, offset = node.get("strides"), node.get("offset", 0)
        if strides is None:  # the array is the tensor
            _need(list(arr.shape) == shape and offset == 0, f"tensor {k}: shape mismatch")
            return arr
        # a view into a shared flat array: bounds are checked before any strided access
        _need(arr.ndim == 1 and _is_int(offset), f"tensor {k}: bad offset")
        _need(
            isinstance(strides, list)
            and len(strides) == len(shape)
            and all(_is_int(s) for s in strides),
            f"tensor {k}: bad strides",
        )
        # save never writes overlapping views (it copies expanded tensors): a file that has
        # one is crafted, and could make a huge tensor out of a few bytes (strides [1, 1]
        # over 24,000 stored floats are a 12000x12000 tensor, 549 MiB at the first op)
        if 0 in shape:
            return np.empty(shape, arr.dtype)
        _need(
            not _overlaps(shape, strides),
            f"tensor {k}: overlapping strides {strides} for shape {shape} (elements would "
            "share memory, or axes interleave; chainrule.save never writes such a view)",
        )
        lo, hi = _span(offset, shape, strides)
        _need(
            0 <= lo and hi < arr.size,
            f"tensor {k}: view outside its stored array (offset {offset}, strides {strides} "
            f"and shape {shape} reach elements {lo} to {hi} of {arr.size})",
        )
        item = arr.itemsize
        return np.lib.stride_tricks.as_strided(
            arr[offset:],
            shape=shape,
            strides=[s * item for s in strides],
        )


def _as_parameter(t: Tensor, requires_grad: bool) -> Tensor:
    """An nn.Parameter when chainrule.nn is available, else a tensor flagged the same way."""
    try:
        from .nn import Parameter
    except ImportError:
        if requires_grad:
            t.requires_grad = True
        return t
    return Parameter(t, requires_grad=requires_grad)
