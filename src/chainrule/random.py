"""The random source: seeded generators and the default one (PyTorch's ``torch.random``).

Creation functions (``rand``, ``randn``, ...), random fills (``uniform_``) and the data
samplers all draw from here, so ``manual_seed`` makes a whole run repeatable.

>>> import chainrule as torch
>>> _ = torch.manual_seed(0); a = torch.rand(2)
>>> _ = torch.manual_seed(0); torch.equal(a, torch.rand(2))
True
"""

from __future__ import annotations

import operator
import secrets

from . import backend

xp = backend.default


class Generator:
    """A seeded random source (NumPy's PCG64). ``manual_seed`` makes runs repeatable.

    >>> import chainrule as torch
    >>> g = torch.Generator().manual_seed(0)
    >>> torch.rand(2, generator=g).shape
    torch.Size([2])
    """

    def __init__(self, device=None) -> None:
        self._seed = 67280421310721  # PyTorch's default seed, for a repeatable start
        self._rng = xp.random.Generator(xp.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        """Seed this generator (an integer; a negative one wraps to 64 bits, as in PyTorch)."""
        try:
            seed = operator.index(seed)
        except TypeError:
            raise RuntimeError(
                f"manual_seed expected a long, but got {type(seed).__name__}"
            ) from None
        if not -(2**63) <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % 2**64
        self._rng = xp.random.Generator(xp.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        return self.manual_seed(secrets.randbits(63))._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> None:
        self._rng.bit_generator.state = state


default_generator = Generator()

# One generator per GPU, made on first use. chainrule draws a GPU tensor's numbers on the
# CPU and copies them over, so they come from these streams, not from the CPU's; PyTorch's
# CUDA streams are other algorithms, so the values differ from PyTorch's on a GPU.
cuda_generators: dict[int, Generator] = {}
_cuda_seed = [None]  # the seed of GPU generators not made yet (None: the default)


def cuda_generator(index: int) -> Generator:
    """The generator of GPU ``index``."""
    g = cuda_generators.get(index)
    if g is None:
        g = cuda_generators[index] = Generator()
        if _cuda_seed[0] is not None:
            g.manual_seed(_cuda_seed[0])
    return g


def seed_cuda(seed: int, index: int | None) -> None:
    """Seed GPU ``index``'s generator, or all of them (``index`` None)."""
    if index is not None:
        cuda_generator(index).manual_seed(seed)
        return
    _cuda_seed[0] = seed
    for g in cuda_generators.values():
        g.manual_seed(seed)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator: the same seed gives the same random tensors. ``seed``
    is anything ``int()`` takes, as in PyTorch.

    >>> import chainrule as torch
    >>> _ = torch.manual_seed(0); a = torch.rand(3)
    >>> _ = torch.manual_seed(0); torch.equal(a, torch.rand(3))
    True
    """
    seed = int(seed)
    seed_cuda(seed, None)  # as PyTorch: the GPUs' generators too
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the OS and return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def rng(generator=None, device=None):
    """The NumPy random generator of ``generator`` (when None: the default one, or the
    generator of GPU ``device.index`` for a CUDA ``device``)."""
    if generator is None:
        if device is not None and device.type == "cuda":
            return cuda_generator(device.index)._rng
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, not {type(generator).__name__}")
    return generator._rng
