"""A stand-in for the CuPy package, so chainrule's CUDA code paths run in tests without a GPU.

``install(monkeypatch, n_devices=2)`` puts a fresh fake in ``sys.modules`` as ``cupy`` (with
``cupy.cuda``, ``cupy.cuda.runtime``, ``cupy.linalg``, ``cupy.fft``, ``cupy.random`` and a tiny
``cupyx``) and returns it; ``make(n_devices=2)`` only builds one. ``cupy.FAKE`` is True.

Arrays are ``cupy.ndarray`` wrappers (not NumPy subclasses) around a NumPy array ``_a`` and a
device id ``_dev``. What it imitates, because that is where host-only code breaks on a GPU:
- NumPy arrays are refused as operands (``TypeError: Unsupported type <class 'numpy.ndarray'>``)
  and fake arrays refuse ``np.asarray`` (CuPy's message), NumPy functions and NumPy ufuncs;
- results are wrapped; reductions give 0-d arrays, never scalars; ``allclose``/``array_equal``/
  ``count_nonzero`` give 0-d arrays as in CuPy; ``.item()``/``.tolist()``/``float()`` give Python;
- the current device is per thread (``with cupy.cuda.Device(1):``); kernel-like work (operators,
  module functions, ufuncs, most methods, ``__setitem__``, advanced indexing) needs every array
  operand on the current device, else ValueError as CuPy >= 10 without peer access says
  (``make(peer_access=True)``: a PerformanceWarning instead, result on the current device);
  views and transfers (basic indexing, ``reshape``/``transpose``/``.T``, ``get``, ``copy`` to the
  current device, ``asarray`` across devices) do not check;
- ``ufunc.at`` only for add/maximum/minimum, refusing CuPy's unsupported dtypes (int64, complex,
  bool ...) with integer-array indices; ``reduce``/``accumulate``/``reduceat`` only for
  add/multiply; a non-0-d NumPy array or a list as the value of a basic-slice ``__setitem__``
  fails as CuPy's ``fill`` does; NumPy index arrays are accepted (CuPy converts them);
- no devices (``n_devices=0``): ``getDeviceCount()``, ``Device().use()`` and array creation raise
  ``CUDARuntimeError('cudaErrorNoDevice: ...')``; ``cuda.is_available()`` is False;
- names real CuPy lacks are absent: ``cupy.errstate``/``seterr`` (CuPy has only cupyx's),
  ``cupy.testing`` and other NumPy submodules but linalg, fft, random.
Where it differs from CuPy: all work is NumPy on the host (NumPy's dtypes, promotion, precision
and error messages; random streams are NumPy's, not cuRAND's); NumPy functions and ufuncs on
fake arrays raise TypeError, where CuPy dispatches them to itself via ``__array_function__``/
``__array_ufunc__`` (stricter on purpose); module functions accept Python lists where many CuPy
functions do not; operands of other types get NotImplemented (CuPy defers only to a higher
``__array_priority__``); ``reshape``/``ravel`` never check the device, though CuPy's do when
they must copy; the memory pool reports the bytes of live arrays' buffers on the current device
(no 512-byte rounding, no cache: ``total_bytes() == used_bytes()``, limits not enforced);
streams are no-ops; ``cupyx`` has only ``scatter_add/max/min``; unpickling needs the fake
installed; no kernels (ElementwiseKernel, RawKernel, fuse), DLPack,
``__cuda_array_interface__`` or pinned memory.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import threading
import types
import warnings
import weakref

import numpy as np

__all__ = ["CUDARuntimeError", "PerformanceWarning", "install", "make"]

_TOTAL_MEM = 80 << 30
_MISSING = frozenset({"errstate", "seterr", "geterr", "seterrcall", "geterrcall", "object_"})
_VIEW_FUNCS = frozenset(
    "reshape transpose swapaxes moveaxis squeeze expand_dims broadcast_to broadcast_arrays "
    "atleast_1d atleast_2d atleast_3d ravel shape ndim size result_type can_cast "
    "may_share_memory shares_memory isscalar iscomplexobj isrealobj real imag diagonal".split()
)
_VIEW_METHODS = frozenset(
    "view reshape transpose swapaxes squeeze ravel diagonal item tolist".split()
)
_REDUCIBLE = ("add", "multiply")
_ARRAY_RESULT = frozenset({"allclose", "array_equal", "array_equiv", "count_nonzero"})
_AT_OPS = {
    "add": ("add", frozenset(map(np.dtype, "int32 float16 float32 float64 uint32 uint64".split()))),
    "maximum": ("max", frozenset(map(np.dtype, "int32 float32 float64 uint32 uint64".split()))),
    "minimum": ("min", frozenset(map(np.dtype, "int32 float32 float64 uint32 uint64".split()))),
}
_NO_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)


class CUDARuntimeError(RuntimeError):
    """``cupy.cuda.runtime.CUDARuntimeError``: ``status`` and CUDA's ``name: text`` message."""

    _TEXT = {
        100: "cudaErrorNoDevice: no CUDA-capable device is detected",
        101: "cudaErrorInvalidDevice: invalid device ordinal",
    }

    def __init__(self, status):
        self.status = status
        super().__init__(self._TEXT.get(status, f"cudaError {status}"))


class PerformanceWarning(RuntimeWarning):
    """``cupy._util.PerformanceWarning``."""


def _advanced(key):
    return any(
        isinstance(p, (list, np.ndarray, bool, np.bool_))
        for p in (key if isinstance(key, tuple) else (key,))
    )


def _int_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(
        isinstance(p, (list, np.ndarray)) and np.asarray(p).dtype.kind in "iu" for p in parts
    )


def _unsupported(msg):
    def f(*args, **kwargs):
        raise NotImplementedError(msg)

    return f


def _rebuild(host):
    return importlib.import_module("cupy").array(host)


class _NDArray:
    __slots__ = ("_a", "_dev", "__weakref__")
    _fk: _Fake
    __hash__ = None
    __array_ufunc__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._fk.new(np.empty(shape, dtype, order=order), self._fk.current(), self)

    def __setattr__(self, name, value):
        if name in ("_a", "_dev"):
            object.__setattr__(self, name, value)
        elif name == "shape":
            self._a.shape = value
        else:
            raise AttributeError(f"attribute '{name}' of 'cupy.ndarray' objects is not writable")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        attr = getattr(self._a, name)
        if callable(attr):
            return self._fk.method(self, name, attr)
        return self._fk.wrap(attr, self._dev, {id(self._a): self})

    device = property(lambda self: self._fk.Device(self._dev))
    data = property(
        lambda self: types.SimpleNamespace(ptr=self._a.ctypes.data, device_id=self._dev)
    )

    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is None:
            return np.array(self._a, order=order, copy=True)
        out[...] = self._a
        return out

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if arr.dtype != self._a.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self._a.dtype} array")
        if arr.shape != self._a.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self._a.shape}, new shape: {arr.shape}")
        self._a[...] = arr

    def copy(self, order="C"):  # CuPy copies onto the *current* device, from any device
        return self._fk.new(self._a.copy(order=order), self._fk.current())

    def __array__(self, *args, **kwargs):
        raise TypeError(_NO_IMPLICIT)

    __array_function__ = lambda self, func, types, args, kwargs: NotImplemented
    __copy__ = lambda self: self._fk.new(self._a.copy(), self._dev)
    __deepcopy__ = lambda self, memo: self.__copy__()
    __reduce__ = lambda self: (_rebuild, (self.get(),))
    __repr__ = lambda self: repr(self._a)
    __str__ = lambda self: str(self._a)
    __format__ = lambda self, spec: format(self._a, spec)
    __len__ = lambda self: len(self._a)
    __contains__ = lambda self, value: bool((self == value).any())

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __getitem__(self, key):
        fk, devs = self._fk, [self._dev]
        key = fk.unwrap(key, devs, {}, host_ok=True)
        kernel = _advanced(key)  # advanced indexing is a kernel; basic indexing a view
        if kernel:
            fk.check(devs)
        return fk.wrap(self._a[key], fk.current() if kernel else self._dev, {})

    def __setitem__(self, key, value):
        fk, devs = self._fk, [self._dev]
        key = fk.unwrap(key, devs, {}, host_ok=True)
        if not _advanced(key):  # CuPy's basic path is fill(): scalars and cupy arrays only
            if isinstance(value, (list, tuple)):
                raise TypeError(f"Unsupported type {type(value)}")
            if isinstance(value, np.ndarray) and value.ndim:
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        value = fk.unwrap(value, devs, {}, host_ok=True)
        fk.check(devs)
        self._a[key] = value


def _binop(dunder):
    def op(self, other):
        fk = self._fk
        if isinstance(other, fk.ndarray):
            o, devs = other._a, [self._dev, other._dev]
        elif isinstance(other, np.ndarray):
            raise TypeError(f"Unsupported type {type(other)}")
        elif isinstance(other, (int, float, complex, np.generic)):
            o, devs = other, [self._dev]
        else:
            return NotImplemented
        fk.check(devs)
        res = getattr(self._a, dunder)(o)
        return res if res is NotImplemented else fk.wrap(res, fk.current(), {id(self._a): self})

    op.__name__ = dunder
    return op


def _unop(dunder):
    def op(self):
        self._fk.check([self._dev])
        return self._fk.wrap(getattr(self._a, dunder)(), self._fk.current(), {})

    op.__name__ = dunder
    return op


def _convert(dunder):
    def op(self):
        return getattr(self._a, dunder)()

    op.__name__ = dunder
    return op


for _n in "add sub mul truediv floordiv mod pow matmul and or xor lshift rshift".split():
    for _d in (f"__{_n}__", f"__r{_n}__", f"__i{_n}__"):
        setattr(_NDArray, _d, _binop(_d))
for _n in "divmod rdivmod lt le eq ne gt ge".split():
    setattr(_NDArray, f"__{_n}__", _binop(f"__{_n}__"))
for _n in "neg pos abs invert".split():
    setattr(_NDArray, f"__{_n}__", _unop(f"__{_n}__"))
for _n in "bool float int complex index".split():
    setattr(_NDArray, f"__{_n}__", _convert(f"__{_n}__"))


class _Device:
    """``cupy.cuda.Device``: ``id``, ``use()``, a context manager, ``synchronize()``."""

    _fk: _Fake
    compute_capability = "90"

    def __init__(self, device=None):
        self.id = self._fk.get_device() if device is None else int(device)
        self._stack = []

    def use(self):
        self._fk.set_device(self.id)

    def __enter__(self):
        prev = self._fk.get_device()
        self.use()
        self._stack.append(prev)
        return self

    def __exit__(self, *exc):
        self._fk.set_device(self._stack.pop())

    synchronize = lambda self: None
    mem_info = property(lambda self: self._fk.mem_info(self.id))
    __int__ = __index__ = lambda self: self.id
    __eq__ = lambda self, other: isinstance(other, _Device) and other.id == self.id
    __hash__ = lambda self: hash(self.id)
    __repr__ = lambda self: f"<CUDA Device {self.id}>"


_streams = threading.local()


class _Stream:
    """``cupy.cuda.Stream``; work is synchronous, so ``synchronize()`` does nothing."""

    def __init__(self, null=False, non_blocking=False, ptr=None):
        self.ptr, self.done = 0 if null else id(self), True

    synchronize = lambda self: None

    def use(self):
        _streams.current = self
        return self

    def __enter__(self):
        self._prev = _get_current_stream()
        return self.use()

    def __exit__(self, *exc):
        self._prev.use()


_Stream.null = _Stream(null=True)


def _get_current_stream():
    return getattr(_streams, "current", _Stream.null)


class _Pool:
    """A memory pool that counts the buffers of live arrays on the current device."""

    def __init__(self, fk):
        self._fk, self._limit = fk, 0

    used_bytes = total_bytes = lambda self: self._fk.used_bytes(self._fk.current())
    free_bytes = n_free_blocks = lambda self: 0
    free_all_blocks = lambda self, stream=None: None
    get_limit = lambda self: self._limit

    def set_limit(self, size=None, fraction=None):
        self._limit = size or 0


class _UFunc:
    """A CuPy ufunc: callable, with ``at``/``reduce``/``accumulate``/``outer`` as CuPy has them."""

    def __init__(self, fk, uf):
        self._fk, self._uf, self.__name__, self.name = fk, uf, uf.__name__, "cupy_" + uf.__name__

    __call__ = lambda self, *args, **kwargs: self._fk.call(self._uf, args, kwargs)
    __repr__ = lambda self: f"<ufunc '{self.__name__}'>"

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._uf, name)
        if name in ("reduce", "accumulate", "reduceat") and self.__name__ not in _REDUCIBLE:
            return _unsupported(f"`{self.__name__}.{name}` is not supported yet")
        return (lambda *a, **k: self._fk.call(attr, a, k)) if callable(attr) else attr

    def at(self, a, indices, b=None):
        fk = self._fk
        if self.__name__ not in _AT_OPS:
            raise NotImplementedError(f"`{self.__name__}.at` is not supported yet")
        if not isinstance(a, fk.ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        devs = [a._dev]
        indices = fk.unwrap(indices, devs, {}, host_ok=True)
        b = fk.unwrap(b, devs, {}, host_ok=True)
        fk.check(devs)
        op, ok = _AT_OPS[self.__name__]
        if _int_advanced(indices) and a.dtype not in ok:
            names = ", ".join(sorted(str(d) for d in ok))
            raise TypeError(f"scatter_{op} only supports {names} as data type")
        self._uf.at(a._a, indices, b)


class _Proxy:
    """A NumPy object (random generator, ``r_``, ``mgrid``...) whose results become fake arrays."""

    def __init__(self, fk, obj, qual):
        self._fk, self._obj, self._qual = fk, obj, qual

    def __getattr__(self, name):
        return self._fk.lookup(self._obj, name, self._qual, rand=True)

    def __getitem__(self, key):
        return self._fk.call(self._obj.__getitem__, (key,), {})


class _Fake:
    def __init__(self, n_devices, peer_access):
        self.n, self.peer, self.local = n_devices, peer_access, threading.local()
        self.live, self.rs = weakref.WeakValueDictionary(), np.random.RandomState()
        ns = {"__module__": "cupy", "__slots__": (), "_fk": self}
        self.ndarray = type("ndarray", (_NDArray,), ns)
        self.Device = type("Device", (_Device,), {"__module__": "cupy.cuda", "_fk": self})
        self.modules = self._build()
        self.module = self.modules["cupy"]

    # devices
    def current(self):
        return getattr(self.local, "dev", 0)

    def device_count(self):
        if self.n == 0:
            raise CUDARuntimeError(100)
        return self.n

    def get_device(self):
        self.device_count()
        return self.current()

    def set_device(self, i):
        if not 0 <= i < self.device_count():
            raise CUDARuntimeError(101)
        self.local.dev = i

    def is_available(self):
        try:
            return self.device_count() > 0
        except CUDARuntimeError:
            return False

    def properties(self, i):
        if not 0 <= i < self.device_count():
            raise CUDARuntimeError(101)
        return {"name": b"Fake GPU", "totalGlobalMem": _TOTAL_MEM, "major": 9, "minor": 0,
                "multiProcessorCount": 132, "warpSize": 32}  # fmt: skip

    def used_bytes(self, dev):
        roots = {}
        for w in list(self.live.values()):
            if w._dev == dev:
                r = w._a
                while isinstance(r.base, np.ndarray):
                    r = r.base
                roots[id(r)] = r.nbytes
        return sum(roots.values())

    def mem_info(self, dev):
        return _TOTAL_MEM - self.used_bytes(dev), _TOTAL_MEM

    def check(self, devs):
        cur = self.current()
        for d in devs:
            if d != cur:
                msg = (
                    f"The device where the array resides ({d}) is different from the current "
                    f"device ({cur}). Peer access "
                )
                if not self.peer:
                    raise ValueError(msg + "is unavailable between these devices.")
                warnings.warn(msg + "has been activated automatically.", PerformanceWarning, 3)

    # wrapping
    def new(self, a, dev, w=None):
        self.device_count()
        w = object.__new__(self.ndarray) if w is None else w
        w._a, w._dev = a, dev
        self.live[id(w)] = w
        return w

    def wrap(self, x, dev, ids):
        if isinstance(x, np.ndarray):
            w = ids.get(id(x))
            return w if w is not None else self.new(x, dev)
        if isinstance(x, np.generic):
            return self.new(np.asarray(x), dev)
        if isinstance(x, (tuple, list)):
            items = [self.wrap(i, dev, ids) for i in x]
            return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
        if isinstance(x, (np.random.Generator, np.random.RandomState)):
            return _Proxy(self, x, "cupy.random")
        return x

    def unwrap(self, x, devs, ids, host_ok=False):
        if isinstance(x, self.ndarray):
            devs.append(x._dev)
            ids[id(x._a)] = x
            return x._a
        if isinstance(x, np.ndarray):
            if host_ok:
                return x
            raise TypeError(f"Unsupported type {type(x)}")
        if isinstance(x, (tuple, list)):
            items = [self.unwrap(i, devs, ids, host_ok) for i in x]
            return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
        if isinstance(x, dict):
            return {k: self.unwrap(v, devs, ids, host_ok) for k, v in x.items()}
        return x

    def call(self, fn, args, kwargs, check=True, devs=None, ids=None):
        devs, ids = devs or [], ids or {}
        args, kwargs = self.unwrap(args, devs, ids), self.unwrap(kwargs, devs, ids)
        if check:
            self.check(devs)
        return self.wrap(fn(*args, **kwargs), self.current() if check or not devs else devs[0], ids)

    def method(self, w, name, fn):
        def m(*args, **kwargs):
            check = name not in _VIEW_METHODS
            return self.call(fn, args, kwargs, check, [w._dev], {id(w._a): w})

        m.__name__ = name
        return m

    def lookup(self, target, name, qual, rand=False):
        obj = None if name.startswith("_") or name in _MISSING else getattr(target, name, None)
        if obj is None or isinstance(obj, types.ModuleType):
            if name == "newaxis":
                return None
            raise AttributeError(f"module '{qual}' has no attribute '{name}'")
        if isinstance(obj, np.ufunc):
            return _UFunc(self, obj)
        if name in ("r_", "c_", "mgrid", "ogrid"):
            return _Proxy(self, obj, qual)
        if isinstance(obj, type) or not callable(obj):
            return obj

        def f(*args, **kwargs):
            dt = kwargs.pop("dtype", None) if rand and name not in ("randint", "integers") else None
            res = self.call(obj, args, kwargs, name not in _VIEW_FUNCS)
            if name in _ARRAY_RESULT and isinstance(res, (bool, int)):
                res = self.new(np.asarray(res), self.current())
            if dt is not None:
                if np.dtype(dt).kind == "f" and np.dtype(dt).itemsize not in (4, 8):
                    raise TypeError(f"cupy.random.{name} supports only float32 and float64")
                res = res.astype(dt, copy=False)
            return res

        f.__name__ = f.__qualname__ = name
        return f

    # creation and transfer
    def asarray(self, a, dtype=None, order=None, *, blocking=False):
        same = isinstance(a, self.ndarray) and a._dev == self.current()
        if same and (dtype is None or np.dtype(dtype) == a._a.dtype):
            return a
        return self.array(a, dtype, order=order or "K")

    def array(self, obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
        if not copy and ndmin == 0:
            return self.asarray(obj, dtype, None if order == "K" else order)
        host = self.unwrap(obj, [], {}, host_ok=True)
        return self.new(np.array(host, dtype, copy=True, order=order, ndmin=ndmin), self.current())

    def asnumpy(self, a, stream=None, order="C", out=None, *, blocking=True):
        if isinstance(a, self.ndarray):
            return a.get(order=order, out=out)
        if out is None:
            return np.asarray(a, order=order)
        out[...] = a
        return out

    def _module(self, name, attrs, getattr_=None):
        m = types.ModuleType(name, f"Fake {name} (tests/_fakecupy.py).")
        m.__spec__ = importlib.machinery.ModuleSpec(name, None)
        m.__dict__.update(attrs)
        if getattr_ is not None:  # PEP 562; the result is kept, so `cupy.add is cupy.add`

            def module_getattr(name):
                value = m.__dict__[name] = getattr_(name)
                return value

            m.__getattr__ = module_getattr
        return m

    def _build(self):
        runtime = self._module("cupy.cuda.runtime", dict(
            CUDARuntimeError=CUDARuntimeError, getDeviceCount=self.device_count,
            getDevice=self.get_device, setDevice=self.set_device,
            getDeviceProperties=self.properties, is_hip=False, deviceSynchronize=lambda: None,
            memGetInfo=lambda: self.mem_info(self.get_device()),
            runtimeGetVersion=lambda: 12040, driverGetVersion=lambda: 12040))  # fmt: skip
        cuda = self._module("cupy.cuda", dict(
            runtime=runtime, Device=self.Device, Stream=_Stream, is_available=self.is_available,
            get_current_stream=_get_current_stream, get_device_id=self.get_device))  # fmt: skip
        linalg, fft = (
            self._module(
                f"cupy.{n}", {}, lambda k, n=n: self.lookup(getattr(np, n), k, f"cupy.{n}")
            )
            for n in ("linalg", "fft")
        )
        # CuPy's as_strided takes no ``writeable`` (its views are always writable)
        strided = self.lookup(np.lib.stride_tricks, "as_strided", "cupy.lib.stride_tricks")
        stride_tricks = self._module("cupy.lib.stride_tricks", dict(
            as_strided=lambda x, shape=None, strides=None: strided(x, shape, strides)))  # fmt: skip
        lib = self._module("cupy.lib", dict(stride_tricks=stride_tricks))
        random = self._module("cupy.random", dict(
            seed=self.rs.seed, get_random_state=lambda: _Proxy(self, self.rs, "cupy.random"),
            RandomState=lambda seed=None: _Proxy(self, np.random.RandomState(seed), "cupy.random"),
            default_rng=lambda seed=None: _Proxy(self, np.random.default_rng(seed), "cupy.random"),
        ), lambda k: self.lookup(self.rs, k, "cupy.random", rand=True))  # fmt: skip
        pool, pinned = _Pool(self), _Pool(self)
        cupy = self._module("cupy", dict(
            __version__="13.0.0-fake", FAKE=True, ndarray=self.ndarray, ufunc=_UFunc,
            asarray=self.asarray, asanyarray=self.asarray, array=self.array, asnumpy=self.asnumpy,
            get_array_module=lambda *a: cupy if any(isinstance(x, self.ndarray) for x in a) else np,
            is_available=self.is_available, cuda=cuda, linalg=linalg, fft=fft, random=random,
            lib=lib, get_default_memory_pool=lambda: pool,
            get_default_pinned_memory_pool=lambda: pinned,
        ), lambda k: self.lookup(np, k, "cupy"))  # fmt: skip
        cupyx = self._module("cupyx", {
            f"scatter_{op}": _UFunc(self, getattr(np, uf)).at for uf, (op, _) in _AT_OPS.items()
        })  # fmt: skip
        mods = (cupy, cuda, runtime, linalg, fft, random, lib, stride_tricks, cupyx)
        return {m.__name__: m for m in mods}


def make(n_devices=2, *, peer_access=False):
    """A fresh fake ``cupy`` module (not installed) with ``n_devices`` fake GPUs."""
    return _Fake(n_devices, peer_access).module


def install(monkeypatch, n_devices=2, *, peer_access=False):
    """Put a fresh fake ``cupy`` (and its submodules, and ``cupyx``) in ``sys.modules``."""
    fk = _Fake(n_devices, peer_access)
    for name, mod in fk.modules.items():
        monkeypatch.setitem(sys.modules, name, mod)
    return fk.module
