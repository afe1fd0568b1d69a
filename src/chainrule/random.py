"""The random source: seeded generators and the default one (PyTorch's ``torch.random``).

Creation functions (``rand``, ``randn``, ...), random fills (``uniform_``), dropout, ``nn.init``
and the data samplers all draw from here, so ``manual_seed`` makes a whole run repeatable,
and gives PyTorch's own numbers on the CPU: a generator is PyTorch's Mersenne twister
(mt19937, seeded with the low 32 bits of the seed), and each distribution below turns its
32-bit words into numbers the way PyTorch's CPU kernels do (``ATen/core/DistributionsHelper.h``,
``TransformationHelper.h``, ``native/cpu/DistributionTemplates.h``).

>>> import chainrule as torch
>>> _ = torch.manual_seed(0); torch.rand(3)
tensor([0.4963, 0.7682, 0.0885])
>>> _ = torch.manual_seed(0); torch.randint(0, 10, (5,))
tensor([4, 9, 3, 0, 3])
"""

from __future__ import annotations

import math
import operator
import secrets

import numpy as np

from . import _cpp_sort, backend
from . import tensor_base as _tb

_N = 624  # words in mt19937's state
_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, for a repeatable start
_STATE_BYTES = 5056  # the size of PyTorch's CPU generator state (get_state)


def _init_key(seed: int) -> np.ndarray:
    """mt19937's state after ``init_genrand(seed)``: the low 32 bits of the seed, then
    ``key[j] = 1812433253 * (key[j-1] ^ (key[j-1] >> 30)) + j`` (mod 2**32)."""
    s = seed & 0xFFFFFFFF
    key = [s]
    for j in range(1, _N):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key.append(s)
    return np.array(key, dtype=np.uint32)


class Generator:
    """A seeded random source: PyTorch's CPU generator (mt19937), so that after the same
    ``manual_seed`` the random functions give PyTorch's numbers.

    The twister itself runs in NumPy's ``MT19937`` bit generator (the same algorithm, in C);
    this class seeds it as PyTorch does and keeps what PyTorch's generator keeps beside it
    (the seed, and the second normal sample of a Box-Muller pair).

    >>> import chainrule as torch
    >>> g = torch.Generator().manual_seed(0)
    >>> torch.rand(2, generator=g)
    tensor([0.4963, 0.7682])
    """

    def __init__(self, device=None) -> None:
        self._bits = np.random.MT19937()
        self._set_seed(_DEFAULT_SEED)

    def _set_seed(self, seed: int) -> None:
        self._seed = seed
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": _init_key(seed), "pos": _N},
        }
        self._fresh = True  # seeded, nothing drawn (PyTorch's state then says next=0)
        self._normal = None  # the cached second sample of the last Box-Muller pair (a double)
        self._normal_float = None  # PyTorch keeps a float one too (unused on the CPU)

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
        self._set_seed(seed % 2**64)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        return self.manual_seed(secrets.randbits(63))._seed

    # ---------------------------------------------------------------- the raw words
    def _random(self, n: int) -> np.ndarray:
        """The next ``n`` 32-bit words (PyTorch's ``generator->random()``), as uint32."""
        self._fresh = self._fresh and n == 0
        return self._bits.random_raw(n).astype(np.uint32)

    def _random64(self, n: int) -> np.ndarray:
        """The next ``n`` 64-bit words (``random64()``): two 32-bit words each, the first
        one the high half. uint64."""
        w = self._bits.random_raw(2 * n)
        self._fresh = self._fresh and n == 0
        return (w[0::2] << np.uint64(32)) | w[1::2]

    # ---------------------------------------------------------------- the state
    def get_state(self):
        """The state as a uint8 tensor in PyTorch's layout (5056 bytes: the seed, the
        twister's position and 624 words, the cached normal sample), so it can go to
        ``torch.set_rng_state`` and back."""
        return _tb.new(_pack_state(self))

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state`` (chainrule's or PyTorch's bytes)."""
        data = getattr(new_state, "_data", None)
        _unpack_state(self, np.asarray(new_state) if data is None else backend.to_numpy(data))
        return self


# PyTorch's CPUGeneratorImplState: the legacy THGeneratorState (seed, left, seeded, next,
# 624 state words stored as uint64, normal_x/y/rho, normal_is_valid), then the float cache.
_STATE_DTYPE = np.dtype(
    {
        "names": [
            *("seed", "left", "seeded", "next", "state"),
            *("normal_x", "normal_y", "normal_rho", "normal_is_valid"),
            *("next_float", "float_is_valid"),
        ],
        "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", _N), *["<f8"] * 3, "<i4", "<f4", "u1"],
        "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5044, 5048],
        "itemsize": _STATE_BYTES,
    }
)


def _pack_state(g: Generator) -> np.ndarray:
    st = g._bits.state["state"]
    pos = int(st["pos"])
    rec = np.zeros((), dtype=_STATE_DTYPE)
    rec["seed"] = g._seed
    # PyTorch counts down ``left`` to the next twist (1: twist on the next draw)
    rec["left"] = _N + 1 - pos
    rec["seeded"] = 1
    rec["next"] = 0 if g._fresh else pos
    rec["state"] = st["key"]
    if g._normal is not None:
        rec["normal_is_valid"], rec["normal_y"] = 1, g._normal
    if g._normal_float is not None:
        rec["float_is_valid"], rec["next_float"] = 1, g._normal_float
    return np.frombuffer(rec.tobytes(), dtype=np.uint8).copy()


def _unpack_state(g: Generator, data: np.ndarray) -> None:
    data = np.ascontiguousarray(data)
    if data.dtype != np.uint8 or data.size != _STATE_BYTES:
        raise RuntimeError(
            f"Expected either a THGeneratorState of size 5048 or a CPUGeneratorImplState of "
            f"size {_STATE_BYTES} but found the input RNG state size to be {data.size}"
        )
    rec = np.frombuffer(data.tobytes(), dtype=_STATE_DTYPE)[0]
    left = int(rec["left"])
    if not rec["seeded"] or not 0 < left <= _N or int(rec["next"]) > _N:
        raise RuntimeError("The given RNG state is not valid")
    key = rec["state"].astype(np.uint32)
    g._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N + 1 - left}}
    g._seed = int(rec["seed"])
    g._fresh = left == 1 and int(rec["next"]) == 0
    g._normal = float(rec["normal_y"]) if rec["normal_is_valid"] else None
    g._normal_float = float(rec["next_float"]) if rec["float_is_valid"] else None


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


def get_rng_state():
    """The default generator's state (a uint8 tensor in PyTorch's layout)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state from ``get_rng_state`` (or PyTorch's)."""
    default_generator.set_state(new_state)


def rng(generator=None, device=None) -> Generator:
    """The generator to draw from: ``generator``, or when None the default one (or the
    generator of GPU ``device.index`` for a CUDA ``device``)."""
    if generator is None:
        if device is not None and device.type == "cuda":
            return cuda_generator(device.index)
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, not {type(generator).__name__}")
    return generator


# ---------------------------------------------------------------------- distributions
# Each turns the generator's words into NumPy numbers as PyTorch's CPU kernel does, element
# by element in memory order, so the same seed gives the same numbers and leaves the
# generator at the same place. ``n`` is a count of elements; results are 1-d.
_M24 = np.uint32(2**24 - 1)
_M53 = np.uint64(2**53 - 1)
_TWO_PI = 2.0 * math.pi


def _unit(g: Generator, n: int, dtype) -> np.ndarray:
    """``uniform_real_distribution(0, 1)``: a double from the low 53 bits of a 64-bit
    word; a float (also the float arithmetic of float16) from the low 24 bits of a 32-bit
    word. Multiples of 2**-53 or 2**-24 in [0, 1)."""
    if np.dtype(dtype) == np.float64:
        return (g._random64(n) & _M53).astype(np.float64) * 2.0**-53
    return (g._random(n) & _M24).astype(np.float32) * np.float32(2.0**-24)


def _opmath(dtype) -> np.dtype:
    """The type PyTorch computes a distribution of ``dtype`` in (float for float16)."""
    return np.dtype(np.float64) if np.dtype(dtype) == np.float64 else np.dtype(np.float32)


def uniform(g: Generator, n: int, dtype, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """U(low, high) (``rand``, ``uniform_``): ``u * (high - low) + low`` in the compute
    type (one fma), rounded to ``dtype``; a value that rounds up to ``high`` becomes ``low``."""
    t = _opmath(dtype)
    lo, hi = t.type(low), t.type(high)
    x = _unit(g, n, t)
    if not (lo == 0 and hi == 1):  # (u * 1 + 0 is u)
        x = _fma(x, hi - lo, lo)
    if x.dtype != dtype:
        x = x.astype(dtype)
    out_hi = np.dtype(dtype).type(high)
    if np.any(x == out_hi):
        x[x == out_hi] = np.dtype(dtype).type(low)
    return x


def _fma(a: np.ndarray, b, c) -> np.ndarray:
    """``a * b + c`` rounded once, as C's fma (on float32 through doubles, where the
    product is exact; on doubles with the exact product and sum errors added back)."""
    if a.dtype == np.float32:
        return _fma32(a, b, c)
    b, c = np.float64(b), np.float64(c)
    if b == 1.0 and c == 0.0:
        return a.copy()
    p = a * b
    split = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves
    ta = a * split
    ah = ta - (ta - a)
    al = a - ah
    tb = b * split
    bh = tb - (tb - b)
    bl = b - bh
    ep = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + ep == a * b exactly
    s = p + c
    bb = s - p
    es = (p - (s - bb)) + (c - bb)  # s + es == p + c exactly
    return s + (es + ep)


# PyTorch's float Box-Muller on an x86 CPU (AVX2 or AVX-512) runs ``log256_ps`` and
# ``sincos256_ps`` of ``ATen/native/cpu/avx_mathfun.h`` (Cephes polynomials in float), built by
# GCC, which fuses a product into the addition that uses it (an fma: one rounding) wherever
# the product has no other use; where an addition adds two products, the one computed first
# is fused. Here each step is written in that order, the fused ones with ``_fma32``.
_LOG_P = [float(np.float32(c)) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
)]  # fmt: skip
_F32 = np.float32


def _fma32(a, b, c) -> np.ndarray:
    """fma on floats: the product of two floats is exact in a double."""
    return (np.float64(a) * np.float64(b) + np.float64(c)).astype(_F32)


def _log_avx(x: np.ndarray) -> np.ndarray:
    """``log256_ps``: x = m * 2**e with m in [sqrt(1/2), sqrt(2)), log(m) by a polynomial."""
    x = np.maximum(x, np.finfo(_F32).tiny)
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    x = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)  # the mantissa, in [0.5, 1)
    small = x < _F32(0.707106781186547524)
    e = e - small.astype(_F32)
    x = (x - _F32(1)) + np.where(small, x, _F32(0))
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for c in _LOG_P[1:]:
        y = _fma32(y, x, c)
    y = _fma32(y * x, z, e * _F32(-2.12194440e-4))
    y = _fma32(z, -0.5, y)
    return _fma32(e, 0.693359375, x + y)


def _sincos_avx(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sincos256_ps``: reduce by the octant j of |x| (pi/4 in three parts), then one
    polynomial for sin and one for cos near 0, swapped and signed by j."""
    neg = np.signbit(x)
    x = np.abs(x)
    j = (x * _F32(1.27323954473516)).astype(np.int32)  # 4/pi, truncated
    j = (j + 1) & ~1
    y = j.astype(_F32)
    for part in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma32(y, _F32(part), x)
    z = x * x
    cos = _fma32(_F32(2.443315711809948e-5), z, _F32(-1.388731625493765e-3))
    cos = _fma32(cos, z, _F32(4.166664568298827e-2))
    cos = _fma32(cos * z, z, -(z * _F32(0.5))) + _F32(1)
    sin = _fma32(_F32(-1.9515295891e-4), z, _F32(8.3321608736e-3))
    sin = _fma32(sin, z, _F32(-1.6666654611e-1))
    sin = _fma32(sin * z, x, x)
    swap = (j & 2) != 0
    sin, cos = np.where(swap, cos, sin), np.where(swap, sin, cos)
    sin = np.where(neg ^ ((j & 4) != 0), -sin, sin)
    cos = np.where(((j - 2) & 4) == 0, -cos, cos)
    return sin, cos


def _libm(f, x: np.ndarray) -> np.ndarray:
    """``f`` (a ``math`` function: the C library's, as PyTorch calls) on each element."""
    return np.fromiter(map(f, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


def _box_muller_16(d: np.ndarray, mean, std) -> np.ndarray:
    """PyTorch's ``NormalFill16`` on rows of 16 uniforms (in the compute type): the first 8
    give the radii, the last 8 the angles; ``cos`` fills the first half, ``sin`` the second.
    Floats go through the AVX polynomials above, doubles through the C library."""
    u1, u2 = 1 - d[:, :8], d[:, 8:]
    if d.dtype == np.float32:
        radius = np.sqrt(_F32(-2) * _log_avx(u1))
        sin, cos = _sincos_avx(_F32(_TWO_PI) * u2)
    else:
        radius = np.sqrt(-2 * _libm(math.log, u1))
        theta = _TWO_PI * u2
        sin, cos = _libm(math.sin, theta), _libm(math.cos, theta)
    out = np.empty_like(d)
    out[:, :8] = _fma(radius * cos, std, mean)
    out[:, 8:] = _fma(radius * sin, std, mean)
    return out


def normal(
    g: Generator, n: int, dtype, mean: float = 0.0, std: float = 1.0, contiguous: bool = True
) -> np.ndarray:
    """N(mean, std**2) (``randn``, ``normal``, ``normal_``), as PyTorch's CPU kernel:

    * 16 or more elements of a contiguous tensor: one uniform per element, then Box-Muller
      on each block of 16 (``_box_muller_16``); when 16 does not divide ``n`` the last 16
      elements are drawn again from 16 new uniforms (float16 draws block by block, in
      float, so there the leftover uniforms are never drawn);
    * otherwise one element at a time: a pair of double uniforms gives ``r * cos`` now and
      keeps ``r * sin`` in the generator for the next normal draw (whatever its size).
    """
    dtype = np.dtype(dtype)
    if n >= 16 and contiguous:
        t = _opmath(dtype)
        mean, std = t.type(mean), t.type(std)
        full = n // 16 * 16
        if dtype == t:
            u = _unit(g, n, t)
            out = np.empty(n, dtype=t)
            out[:full] = _box_muller_16(u[:full].reshape(-1, 16), mean, std).ravel()
        else:
            u = _unit(g, full, t)
            out = np.empty(n, dtype=t)
            out[:full] = _box_muller_16(u.reshape(-1, 16), mean, std).ravel()
        if n % 16:
            out[n - 16 :] = _box_muller_16(_unit(g, 16, t).reshape(1, 16), mean, std).ravel()
        return out.astype(dtype, copy=False)
    z = np.empty(n, dtype=np.float64)
    k = 0
    if n and g._normal is not None:
        z[0], g._normal, k = g._normal, None, 1
    pairs = (n - k + 1) // 2
    if pairs:
        u = _unit(g, 2 * pairs, np.float64)
        u1, u2 = u[0::2], u[1::2]
        r = np.sqrt(-2.0 * _libm(math.log1p, -u2))
        theta = _TWO_PI * u1
        zz = np.empty(2 * pairs)
        zz[0::2], zz[1::2] = r * _libm(math.cos, theta), r * _libm(math.sin, theta)
        z[k:] = zz[: n - k]
        if (n - k) % 2:
            g._normal = float(zz[-1])
    z = _fma(z, std, mean)
    if dtype == np.float16:  # C++ makes a Half from a double through a float
        z = z.astype(np.float32)
    return z.astype(dtype, copy=False)


def integers(g: Generator, n: int, low: int, high: int) -> np.ndarray:
    """Uniform integers in [low, high) (``randint``, ``random_(from, to)``), int64: the
    word modulo the range, plus ``low``; a 32-bit word when the range is below 2**28,
    else a 64-bit one."""
    span = high - low
    w = g._random64(n) if span >= 2**28 else g._random(n).astype(np.uint64)
    # (w % span + low) in 64-bit unsigned arithmetic, read as signed, as C++ does
    return ((w % np.uint64(span)) + np.uint64(low % 2**64)).view(np.int64)


def random_int64(g: Generator) -> int:
    """``empty((), dtype=int64).random_()``: a 64-bit word modulo 2**63 (how PyTorch's
    samplers and DataLoader draw seeds)."""
    return int(g._random64(1)[0] % np.uint64(2**63))


def permutation(g: Generator, n: int) -> np.ndarray:
    """``randperm(n)``, int64: for n below 2**32 / 20, 0..n-1 shuffled forwards, position
    i swapped with i + (a 32-bit word mod (n - i)); above, the "inside-out" Fisher-Yates
    shuffle with 64-bit words (a Python loop: not compared with PyTorch, too large)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n < (2**32 - 1) // 20:
        z = g._random(n - 1).astype(np.int64) % np.arange(n, 1, -1, dtype=np.int64)
        return _swapped(z + np.arange(z.size, dtype=np.int64))
    z = (g._random64(n) % np.arange(1, n + 1, dtype=np.uint64)).astype(np.int64).tolist()
    r = [0] * n
    for i, j in enumerate(z):
        r[i] = r[j]
        r[j] = i
    return np.array(r, dtype=np.int64)


def _swapped(j: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 after swapping positions ``i`` and ``j[i] >= i`` for i = 0, 1, ...,
    n-2 in turn, with array operations instead of n - 1 steps of a loop (4x faster at 10**6):

        r = list(range(n))
        for i in range(n - 1):
            r[i], r[j[i]] = r[j[i]], r[i]

    Step i fixes r[i] for good: it takes what position j[i] holds then. That is j[i] itself
    unless an earlier step k swapped with j[i] too; then the latest such k left there what
    position k held as step k began ("k's incoming value"), which is k unless an earlier
    step swapped with position k, and so on: a chain of earlier steps, followed here for all
    steps at once by pointer doubling.
    """
    m = j.size
    n = m + 1
    steps = np.arange(m)
    # prev[i]: the latest step before i with the same j (-1: none). Level by level: the
    # latest step of each j among those left, whose own prev is the next level's latest.
    prev = np.full(m, -1)
    last = np.full(n, -1)  # the latest step with each j
    cur, above = steps, steps[:0]
    while cur.size:
        latest = np.full(n, -1)
        latest[j[cur]] = cur  # (the last write wins: steps are in order)
        if cur is steps:
            last = latest
        prev[above] = latest[j[above]]
        top = latest[j[cur]] == cur
        above, cur = cur[top], cur[~top]
    # the step before k that swapped with position k last (its j is k; j[k] == k is not before)
    before = last[:m].copy()
    before[before == steps] = prev[before == steps]
    # k's incoming value: follow ``before`` to a step nothing earlier swapped with (its own k)
    incoming = np.where(before < 0, steps, before)
    while not np.array_equal(nxt := incoming[incoming], incoming):
        incoming = nxt
    r = np.empty(n, dtype=np.int64)
    r[:m] = np.where(prev < 0, j, incoming[prev])
    r[m] = m if last[m] < 0 else incoming[last[m]]  # the last position: what was left there
    return r


def bernoulli(g: Generator, n: int, p) -> np.ndarray:
    """Bernoulli samples (bool) as PyTorch's CPU kernels draw them: for a number ``p``
    (``bernoulli_(p)``, dropout's mask), a double uniform below ``p`` (a PyTorch built with
    MKL on an Intel CPU draws these from MKL's own generator instead); for an array of ``n``
    probabilities (``bernoulli(input)``), a double uniform for double ones, else a float
    uniform below the probability as a float."""
    if isinstance(p, np.ndarray) and p.dtype != np.float64:
        return _unit(g, n, np.float32) < p.astype(np.float32)
    return _unit(g, n, np.float64) < p


def dropout_mask(g: Generator, n: int, p: float, dtype) -> np.ndarray:
    """Dropout's multiplier as PyTorch's CPU dropout makes it: ``bernoulli_(1 - p)``, then
    divided by ``1 - p`` in ``dtype`` (in float for float16): 0 or 1 / (1 - p)."""
    t = _opmath(dtype)
    return (bernoulli(g, n, 1.0 - p) * (t.type(1) / t.type(1.0 - p))).astype(dtype)


# ------------------------------------------------------------- one double uniform each
# PyTorch's exponential_, geometric_, cauchy_ and log_normal_ kernels draw each element in
# double (one double uniform, or one normal from the Box-Muller pair cache) and round the
# result to the tensor's dtype (``ATen/native/cpu/DistributionTemplates.h``).
def _to_dtype(x: np.ndarray, dtype) -> np.ndarray:
    """Doubles rounded to ``dtype`` as C++'s ``static_cast`` does: a Half is made through a
    float; an integer truncates (through int64, wrapping as x86 does)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        with np.errstate(invalid="ignore"):
            return x.astype(np.int64).astype(dtype)
    if dtype == np.float16:
        x = x.astype(np.float32)
    return x.astype(dtype, copy=False)


def exponential(g: Generator, n: int, dtype, lambd: float = 1.0) -> np.ndarray:
    """Exp(lambd) (``exponential_``): ``-1 / lambd * log1p(-u)`` for a double uniform u."""
    u = _unit(g, n, np.float64)
    return _to_dtype((-1.0 / lambd) * _libm(math.log1p, -u), dtype)


def geometric(g: Generator, n: int, dtype, p: float) -> np.ndarray:
    """Geometric(p) on {1, 2, ...} (``geometric_``): ``ceil(log(u) / log(1 - p))``."""
    u = _unit(g, n, np.float64)
    return _to_dtype(np.ceil(_libm(_log0, u) / math.log(1.0 - p)), dtype)


def _log0(x: float) -> float:
    return math.log(x) if x else -math.inf  # (C's log(0) is -inf; u is 0 once in 2**53)


def cauchy(g: Generator, n: int, dtype, median: float = 0.0, sigma: float = 1.0) -> np.ndarray:
    """Cauchy(median, sigma) (``cauchy_``): ``median + sigma * tan(pi * (u - 1/2))``, the
    product fused into the sum (one fma)."""
    u = _unit(g, n, np.float64)
    return _to_dtype(_fma(_libm(math.tan, math.pi * (u - 0.5)), sigma, median), dtype)


def log_normal(g: Generator, n: int, dtype, mean: float = 1.0, std: float = 2.0) -> np.ndarray:
    """exp of N(mean, std**2) (``log_normal_``): the normals one at a time, in double
    (Box-Muller pairs, the second kept for the next draw), whatever the size."""
    z = normal(g, n, np.float64, mean, std, contiguous=False)
    return _to_dtype(_libm(math.exp, z), dtype)


def random_words(g: Generator, n: int, dtype) -> np.ndarray:
    """``random_()``: a word modulo the dtype's count of exact integers: 2**63 (int64, a
    64-bit word), 2**31, 2**15, 2**7, 2**8 (int32 ... uint8), 2 (bool: the low bit),
    2**53 + 1 (double, a 64-bit word), 2**24 + 1 (float), 2**11 + 1 (half)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return (g._random(n) & np.uint32(1)).astype(np.bool_)
    if dtype.kind == "f":
        digits = np.finfo(dtype).nmant + 1
        w = g._random64(n) if dtype == np.float64 else g._random(n).astype(np.uint64)
        return (w % np.uint64(2**digits + 1)).astype(dtype)  # (all exact in dtype)
    w = g._random64(n) if dtype == np.int64 else g._random(n).astype(np.uint64)
    return (w % np.uint64(int(np.iinfo(dtype).max) + 1)).astype(dtype)


# -------------------------------------------------------------------- multinomial
def multinomial_with_replacement(g: Generator, probs: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws with replacement from each row of ``probs`` (2-d), int64 (rows, n), as
    PyTorch's CPU kernel (``native/cpu/MultinomialKernel.cpp``) for two or more draws.

    Row by row: every entry must be >= 0 and finite (checked in order); the cumulative sum,
    accumulated one entry at a time in the dtype (float for float16), is divided by its
    last value (> 0) and its last entry set to 1; each draw is a double uniform u and the
    category is the first whose cumulative value is >= u (a binary search). Zero-probability
    categories are never drawn. A bad row raises after the rows above it drew theirs."""
    acc = np.float64 if probs.dtype == np.float64 else np.float32
    p = probs.astype(acc)
    rows, k = p.shape
    with np.errstate(invalid="ignore", over="ignore"):
        cum = np.cumsum(p, axis=1, dtype=acc)  # (add.accumulate: in order, in ``acc``)
        total = cum[:, -1] if k else np.zeros(rows, acc)
        bad = (~(p >= 0) | ~np.isfinite(p)).any(axis=1) | ~(total > 0)
    if bad.any():
        r = int(np.argmax(bad))
        g._random64(r * n)  # the rows before it drew their samples
        row = p[r]
        for v in row:
            if not v >= 0:
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry < 0)"
                )
            if not np.isfinite(v):
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry = "
                    "infinity or NaN)"
                )
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cum /= total[:, None]
    cum[:, -1] = 1
    u = _unit(g, rows * n, np.float64).reshape(rows, n)
    out = np.empty((rows, n), dtype=np.int64)
    for i in range(rows):
        out[i] = np.searchsorted(cum[i].astype(np.float64), u[i], side="left")
    return out


def check_multinomial(probs: np.ndarray) -> None:
    """The checks before ``multinomial``'s exponential draw (without replacement, or one
    draw): no inf, NaN or negative entry, and no row of zeros."""
    if probs.size == 0:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
            "no identity."
        )
    with np.errstate(invalid="ignore"):
        if not (probs.max() < np.inf and probs.min() >= 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (probs.sum(axis=-1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial_top(probs: np.ndarray, q: np.ndarray, n: int) -> np.ndarray:
    """``multinomial`` without replacement (or one draw), given ``q`` ~ Exp(1) of the same
    shape (2-d): the ``n`` largest of ``probs / q`` in each row, largest first (the
    exponential, or Gumbel, trick: ``argmax(p / q)`` is a draw from p, and the top n are n
    draws without replacement). ``argmax`` for one draw; for more, PyTorch's ``topk``, whose
    order of equal values (the zero-probability categories, when n is more than the
    nonzero ones) comes from libstdc++'s sorts (``_cpp_sort``). int64 (rows, n)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = probs / q  # (in the dtype of probs, as PyTorch's div_out(q, self, q))
    if n == 1:
        return np.argmax(r, axis=1, keepdims=True).astype(np.int64)  # (first max; NaN first)
    nan = np.isnan(r)
    # ranks: equal values equal, NaN above everything (PyTorch's topk puts NaN first)
    _, rank = np.unique(np.where(nan, np.inf, r).ravel(), return_inverse=True)
    rank = rank.reshape(r.shape) + nan
    order = np.argsort(-rank, axis=1, kind="stable")
    ranked = np.take_along_axis(rank, order, axis=1)
    # a row whose top n holds equal values needs libstdc++'s order of them
    tied = (ranked[:, :-1] == ranked[:, 1:])[:, :n].any(axis=1)
    out = order[:, :n].astype(np.int64)
    for i in np.flatnonzero(tied):
        out[i] = _cpp_sort.topk_order(rank[i], n)
    return out
