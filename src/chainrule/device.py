"""Where a tensor's data lives (PyTorch's ``torch.device``): ``cpu`` (NumPy), ``cuda:N``
(CuPy, on GPU ``N``), or chainrule's own ``dask`` (lazy chunked Dask arrays, computed on
a cluster when a ``dask.distributed`` Client is active).

A tensor's device is read off its array (a NumPy array is on the CPU, a CuPy array on
the GPU it was made on), so the Tensor holds no device of its own.

>>> import chainrule as torch
>>> torch.zeros(1).device, torch.device("cuda:1"), str(torch.device("cuda", 1))
(device(type='cpu'), device(type='cuda', index=1), 'cuda:1')
"""

from __future__ import annotations

from . import backend as _backend

# PyTorch's device types, in the order its parse error lists them: each parses, but only
# cpu and cuda hold data in chainrule.
_TYPES = (
    "cpu cuda ipu xpu mkldnn opengl opencl ideep hip ve fpga maia xla lazy vulkan mps meta "
    "hpu mtia privateuseone"
).split()


# chainrule's own device type beside PyTorch's: data in chunked, lazy Dask arrays
# (computed on a dask.distributed cluster when a Client is active)
_OWN_TYPES = ("dask",)


class device:
    """Where a tensor's data lives: ``device('cpu')``, ``device('cuda')``,
    ``device('cuda:1')`` or ``device('cuda', 1)``; an int ``n`` means ``cuda:n``.

    Two devices are equal when type and index are (``cuda`` is not ``cuda:0``; tensors
    always report an index on CUDA), and a device never equals a string, as in PyTorch:
    compare ``x.device.type == 'cuda'``.

    >>> import chainrule as torch
    >>> torch.device("cuda:0"), torch.device("cuda:0") == torch.device("cuda")
    (device(type='cuda', index=0), False)
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str | int | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            if _backend.cuda_count() == 0:
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type, index = "cuda", type
        elif not isinstance(type, str):
            raise TypeError(
                f"device() received an invalid combination of arguments - got "
                f"({builtin_type(type).__name__}), but expected one of:\n"
                " * (torch.device device)\n * (str type, int index = -1)"
            )
        else:
            name, colon, num = type.partition(":")
            if colon:
                if index is not None:
                    raise RuntimeError(
                        "type (string) must not include an index because index was passed "
                        f"explicitly: {type}"
                    )
                if not num.isdigit() or (len(num) > 1 and num[0] == "0"):
                    raise RuntimeError(f"Invalid device string: '{type}'")
                index = int(num)
            if name not in _TYPES and name not in _OWN_TYPES:
                if name.strip() != name or not name:
                    raise RuntimeError(f"Invalid device string: '{type}'")
                raise RuntimeError(
                    f"Expected one of {', '.join(_TYPES)} device type at start of device "
                    f"string: {type}"
                )
            type = name
        if index is not None:
            index = int(index)
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


builtin_type = type
device.__module__ = "chainrule"
CPU = device("cpu")
DASK = device("dask")
_CUDA: dict[int, device] = {}  # cuda:N objects, made once each


def of(arr) -> device:
    """The device an array lives on (CPU for NumPy arrays and scalars)."""
    kind, index = _backend.device_key(arr)
    return CPU if kind == "cpu" else DASK if kind == "dask" else of_index(index)


def resolve(d) -> device:
    """A device argument (a device, a string, an int) as the device data is placed on:
    ``cuda`` without an index means the current GPU, ``cpu:0`` the CPU; types other than
    cpu and cuda raise."""
    d = d if builtin_type(d) is device else device(d)
    if d.type == "cpu":
        return CPU
    if d.type == "dask":
        if d.index is not None:
            raise RuntimeError(
                f"device '{d}': a Dask tensor's chunks live wherever the scheduler puts "
                "them; write 'dask' without an index"
            )
        _backend.load("dask")  # (an error naming the extra when Dask is missing)
        return DASK
    if d.type == "cuda":
        index = _backend.cuda_current() if d.index is None else d.index
        n = _backend.cuda_count()
        if index >= n:
            raise RuntimeError(
                "CUDA error: invalid device ordinal (device "
                f"{index}; this machine has {n} CUDA device{'s' if n != 1 else ''})"
            )
        return of_index(index)
    raise RuntimeError(
        f"chainrule keeps tensors on 'cpu' (NumPy), 'cuda' (CuPy) or 'dask'; device type "
        f"'{d.type}' has no backend"
    )


def of_index(index: int) -> device:
    """The ``cuda:index`` device object."""
    d = _CUDA.get(index)
    if d is None:
        d = _CUDA[index] = device("cuda", index)
    return d


def place(arr, d, chunks="auto"):
    """``arr`` on device ``d`` (None: where it is); a copy only when it moves (``chunks``:
    the Dask chunks, when it moves to ``'dask'``)."""
    if d is None:
        return arr
    d = resolve(d)
    return _backend.move(arr, d.type, d.index, chunks)
