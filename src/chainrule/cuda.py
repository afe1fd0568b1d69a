"""``chainrule.cuda``: PyTorch's ``torch.cuda`` over CuPy. Without CuPy or without a GPU,
``is_available()`` is False and ``device_count()`` 0, so the usual one-line fallback
(``device = 'cuda' if torch.cuda.is_available() else 'cpu'``) picks the CPU; asking for a
GPU then raises AssertionError, naming what is missing and ``pip install 'chainrule[gpu]'``.

>>> import chainrule as torch
>>> device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
>>> torch.ones(2, device=device).device == device or device.type == "cuda"
True
"""

from __future__ import annotations

from . import backend as _backend
from . import random as _random
from .device import device as _device_type


def is_available() -> bool:
    """Whether a GPU can be used (CuPy imports and sees at least one device).

    >>> import chainrule as torch
    >>> isinstance(torch.cuda.is_available(), bool)
    True
    """
    return _backend.cuda_count() > 0


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or a GPU)."""
    return _backend.cuda_count()


def is_initialized() -> bool:
    """Whether CUDA is in use in this process (chainrule: whether a GPU is available)."""
    return is_available()


def _index(device) -> int:
    """A GPU index from None (the current GPU), an int, a string or a device."""
    if device is None:
        return _backend.cuda_current()
    if isinstance(device, int) and not isinstance(device, bool):
        _backend.cuda()
        return device
    d = _device_type(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return _backend.cuda_current() if d.index is None else d.index


def current_device() -> int:
    """The index of the current GPU (raises without one)."""
    return _backend.cuda_current()


def set_device(device) -> None:
    """Make ``device`` the current GPU (where ``'cuda'`` without an index points)."""
    _backend.cuda().cuda.Device(_index(device)).use()


def get_device_name(device=None) -> str:
    """The GPU's name, as its driver reports it."""
    props = _backend.cuda().cuda.runtime.getDeviceProperties(_index(device))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None) -> tuple:
    """The GPU's compute capability as ``(major, minor)``."""
    props = _backend.cuda().cuda.runtime.getDeviceProperties(_index(device))
    return int(props["major"]), int(props["minor"])


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all work queued so far (time GPU code around it)."""
    _backend.cuda().cuda.Device(_index(device)).synchronize()


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator (does nothing without a GPU, as in PyTorch)."""
    if is_available():
        _random.seed_cuda(int(seed), current_device())


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator (kept for GPUs used later; no GPU needed)."""
    _random.seed_cuda(int(seed), None)


def empty_cache() -> None:
    """Give the memory CuPy keeps cached back to the driver (nothing without a GPU)."""
    cp = _backend.cupy_or_none()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors now (0 without a GPU). CuPy's pool counts all
    GPUs together."""
    cp = _backend.cupy_or_none()
    return 0 if cp is None else int(cp.get_default_memory_pool().used_bytes())


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool holds, in use or cached (0 without a GPU)."""
    cp = _backend.cupy_or_none()
    return 0 if cp is None else int(cp.get_default_memory_pool().total_bytes())
