"""Keep freed array memory for reuse (glibc's malloc), as PyTorch's allocators do.

NumPy allocates array data with the C library's malloc. By default glibc serves a large
request (from 128 KiB, a threshold that moves) with a fresh ``mmap`` and, on free,
returns memory at the top of the heap to the system once more than twice that
threshold is free. Autograd allocates and frees arrays of the same sizes over and over
(a graph per step, a batch of cotangents per Jacobian), so each new array pays the page
faults of memory the system hands out afresh: measured here, a batched Jacobian of
tanh(W x) for 10 -> 1000 took 6.9 ms by default and 0.87 ms with the settings below.

At import, on glibc, chainrule serves requests up to 32 MiB (glibc's largest mmap
threshold) from the heap and keeps up to 256 MiB of freed heap for reuse. The cost is
memory the process keeps instead of giving back; set ``CHAINRULE_MALLOC_TUNING=0`` in
the environment before importing chainrule to leave malloc as it is.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 256 * 2**20

tuned = False  # whether the settings took effect (glibc found and accepted them)


def tune() -> bool:
    """Apply the settings above, unless CHAINRULE_MALLOC_TUNING=0; True if they took."""
    global tuned
    if os.environ.get("CHAINRULE_MALLOC_TUNING", "1") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc only (no such symbol elsewhere)
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    tuned = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return tuned
