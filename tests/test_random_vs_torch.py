"""PyTorch's random numbers (issue 12): after the same seed, chainrule's random functions give
PyTorch's CPU values bit for bit, and leave the generator where PyTorch leaves it.

PyTorch 2.13 (CPU) is the oracle. The float normal path for 16 or more elements follows
PyTorch's x86 (AVX2/AVX-512) kernel; the installed PyTorch is asked which kernel it runs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import random as R
from chainrule.data import DataLoader as CLoader
from chainrule.data import RandomSampler as CSampler
from chainrule.data import TensorDataset as CDataset
from chainrule.data import random_split as c_random_split

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader as TLoader  # noqa: E402
from torch.utils.data import RandomSampler as TSampler  # noqa: E402
from torch.utils.data import TensorDataset as TDataset  # noqa: E402
from torch.utils.data import random_split as t_random_split  # noqa: E402

x86 = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")

SEEDS = [0, 1, 42, 2**32 + 7, 12345678901234, -1]
SIZES = [*range(18), 31, 32, 33, 100, 1000, 100_003]
FLOATS = [("float32", cr.float32, torch.float32), ("float64", cr.float64, torch.float64)]
FLOATS16 = [*FLOATS, ("float16", cr.float16, torch.float16)]

# What does not give PyTorch's numbers yet, and why (keep in step with the README/report).
NOT_PYTORCH = {
    "cuda": "GPU tensors draw from chainrule's per-GPU generators (mt19937, like the CPU's), "
    "not PyTorch's Philox streams",
    "bernoulli on Intel with MKL": "PyTorch built with MKL draws bernoulli_(p) (dropout's "
    "mask) from MKL's generator on Intel CPUs; chainrule follows its other CPU kernel",
    "float normal off x86": "a float normal of 16 or more elements follows PyTorch's AVX "
    "polynomials; PyTorch on ARM or without AVX2 uses the C library's logf/sinf/cosf",
    "randperm n >= 2**32 / 20": "implemented from PyTorch's source, not compared "
    "(too large to run in a test)",
    "Categorical and Multinomial normalizing": "their samples are PyTorch's given the same "
    "normalized probs; chainrule's sum (and a softmax from logits) may round the last bit "
    "otherwise than PyTorch's, and then a draw that close to a category's edge differs",
}


def same(a, b) -> None:
    """Equal bit for bit (and in dtype)."""
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = np.asarray(b.detach().numpy() if hasattr(b, "detach") else b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.array_equal(a, b, equal_nan=True), np.nonzero(a != b)


def seed_both(s: int) -> None:
    torch.manual_seed(s)
    cr.manual_seed(s)


def test_the_list_of_what_differs_is_known():
    assert sorted(NOT_PYTORCH) == sorted(
        [
            "cuda",
            "bernoulli on Intel with MKL",
            "float normal off x86",
            "randperm n >= 2**32 / 20",
            "Categorical and Multinomial normalizing",
        ]
    )


# ------------------------------------------------------------------ the generator
def test_mt19937_words_are_pytorchs():
    for s in SEEDS:
        g, tg = R.Generator().manual_seed(s), torch.Generator().manual_seed(s)
        # random_() on int32 is a 32-bit word modulo 2**31; on int64 a 64-bit one mod 2**63
        t32 = torch.empty(700, dtype=torch.int32).random_(generator=tg)
        same(t32, (g._random(700) % np.uint32(2**31)).astype(np.int32))
        t64 = torch.empty(5, dtype=torch.int64).random_(generator=tg)
        same(t64, (g._random64(5) % np.uint64(2**63)).astype(np.int64))


def test_a_fresh_generator_starts_where_pytorchs_does():
    assert cr.Generator().initial_seed() == torch.Generator().initial_seed()
    same(cr.rand(5, generator=cr.Generator()), torch.rand(5, generator=torch.Generator()))


def test_initial_seed_and_wrapping():
    assert cr.Generator().manual_seed(-1).initial_seed() == 2**64 - 1
    assert cr.manual_seed(7).initial_seed() == torch.manual_seed(7).initial_seed() == 7


# ------------------------------------------------------------------ rand, randn
@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("name,cd,td", FLOATS16)
def test_rand_randn_all_sizes(s, name, cd, td):
    seed_both(s)
    for n in SIZES:
        same(cr.rand(n, dtype=cd), torch.rand(n, dtype=td))
        if name == "float32" and n >= 16 and not x86:
            continue
        same(cr.randn(n, dtype=cd), torch.randn(n, dtype=td))
    same(cr.rand(3, 4, 5, dtype=cd), torch.rand(3, 4, 5, dtype=td))


def test_rand_default_dtype_and_shapes():
    seed_both(3)
    same(cr.rand(2, 3), torch.rand(2, 3))
    same(cr.randn(4, 5), torch.randn(4, 5))
    same(cr.rand(size=(0, 3)), torch.rand(size=(0, 3)))
    same(cr.randn(()), torch.randn(()))
    same(cr.rand_like(cr.zeros(3, 7)), torch.rand_like(torch.zeros(3, 7)))
    same(cr.randn_like(cr.zeros(9, 2)), torch.randn_like(torch.zeros(9, 2)))


def test_randn_keeps_the_second_box_muller_sample():
    # sizes below 16 draw pairs; an odd size leaves the sin sample for the next normal draw
    for s in SEEDS[:3]:
        seed_both(s)
        for n in [1, 3, 1, 2, 5, 20, 1, 7, 16, 3]:
            same(cr.randn(n), torch.randn(n))
            same(cr.randn(n, dtype=cr.float64), torch.randn(n, dtype=torch.float64))
        seed_both(s)  # manual_seed forgets the kept sample
        same(cr.randn(1), torch.randn(1))
        seed_both(s)
        same(cr.randn(1), torch.randn(1))


@pytest.mark.skipif(not x86, reason="PyTorch's float normal differs off x86")
def test_randn_float32_large():
    seed_both(11)
    same(cr.randn(10**6 + 5), torch.randn(10**6 + 5))
    same(cr.randn(3), torch.randn(3))


def test_generator_objects():
    for s in SEEDS:
        g, tg = cr.Generator().manual_seed(s), torch.Generator().manual_seed(s)
        for n in [1, 5, 16, 17, 100]:
            same(cr.rand(n, generator=g), torch.rand(n, generator=tg))
            same(
                cr.randn(n, generator=g, dtype=cr.float64),
                torch.randn(n, generator=tg, dtype=torch.float64),
            )
            same(cr.randint(0, 7, (n,), generator=g), torch.randint(0, 7, (n,), generator=tg))
            same(cr.randperm(n, generator=g), torch.randperm(n, generator=tg))
            same(cr.normal(1.0, 2.0, (n,), generator=g), torch.normal(1.0, 2.0, (n,), generator=tg))
    # the default generator is untouched by draws from another one
    seed_both(5)
    cr.rand(10, generator=cr.Generator())
    torch.rand(10, generator=torch.Generator())
    same(cr.rand(4), torch.rand(4))


def test_one_stream_across_functions():
    """Consecutive draws of different kinds continue the same stream as PyTorch."""
    for s in SEEDS:
        seed_both(s)
        same(cr.rand(3), torch.rand(3))
        same(cr.randn(17), torch.randn(17))
        same(cr.randint(0, 100, (5,)), torch.randint(0, 100, (5,)))
        same(cr.randn(3, dtype=cr.float64), torch.randn(3, dtype=torch.float64))
        same(cr.randperm(10), torch.randperm(10))
        same(cr.rand(7, dtype=cr.float64), torch.rand(7, dtype=torch.float64))
        same(cr.randn(1), torch.randn(1))
        same(cr.randint(-(2**40), 2**41, (9,)), torch.randint(-(2**40), 2**41, (9,)))
        same(cr.rand(2, dtype=cr.float16), torch.rand(2, dtype=torch.float16))
        same(cr.randn(33, dtype=cr.float16), torch.randn(33, dtype=torch.float16))


# ------------------------------------------------------------------ randint, randperm
RANGES = [(0, 1), (0, 10), (-5, 3), (0, 2**28 - 1), (0, 2**28), (3, 2**31), (-(2**40), 2**41)]
RANGES += [(-(2**63), 2**63 - 1), (0, 2**63 - 1)]


@pytest.mark.parametrize("s", SEEDS)
def test_randint(s):
    seed_both(s)
    for lo, hi in RANGES:
        for n in [0, 1, 2, 15, 16, 17, 1000]:
            same(cr.randint(lo, hi, (n,)), torch.randint(lo, hi, (n,)))
    same(cr.randint(10, (3, 4)), torch.randint(10, (3, 4)))
    for cd, td in [(cr.int32, torch.int32), (cr.int8, torch.int8), (cr.float32, torch.float32)]:
        same(cr.randint(-3, 100, (50,), dtype=cd), torch.randint(-3, 100, (50,), dtype=td))
    same(cr.randint(0, 2, (20,), dtype=cr.bool), torch.randint(0, 2, (20,), dtype=torch.bool))
    same(cr.randint_like(cr.zeros(5), 3, 9), torch.randint_like(torch.zeros(5), 3, 9))


@pytest.mark.parametrize("s", SEEDS)
def test_randperm(s):
    seed_both(s)
    for n in [*range(18), 100, 1000, 100_003]:
        same(cr.randperm(n), torch.randperm(n))
    same(cr.randperm(50, dtype=cr.float32), torch.randperm(50, dtype=torch.float32))
    same(cr.randperm(50, dtype=cr.int32), torch.randperm(50, dtype=torch.int32))
    same(cr.rand(2), torch.rand(2))


def test_forward_swaps_without_a_loop():
    """randperm's array-operation shuffle is the loop it replaces, on any swap targets."""
    rng = np.random.default_rng(0)
    for n in [*range(1, 40)] * 20 + [1000, 5000]:
        j = np.array([rng.integers(i, n) for i in range(n - 1)], dtype=np.int64)
        r = list(range(n))
        for i, k in enumerate(j.tolist()):
            r[i], r[k] = r[k], r[i]
        assert R._swapped(j).tolist() == r


# ------------------------------------------------------------------ normal and the fills
@pytest.mark.parametrize("name,cd,td", FLOATS16)
def test_normal_forms(name, cd, td):
    for s in SEEDS[:3]:
        seed_both(s)
        for n in [1, 2, 15, 16, 17, 100, 1001]:
            if name == "float32" and n >= 16 and not x86:
                continue
            same(cr.normal(2.5, 0.3, (n,), dtype=cd), torch.normal(2.5, 0.3, (n,), dtype=td))
            cm = cr.arange(n, dtype=cd)
            tm = torch.arange(n, dtype=td)
            same(cr.normal(cm, 2.0), torch.normal(tm, 2.0))
            same(cr.normal(-1.0, cm), torch.normal(-1.0, tm))
            same(cr.normal(cm, cm * 0.5), torch.normal(tm, tm * 0.5))


@pytest.mark.parametrize("name,cd,td", FLOATS16)
def test_uniform_and_normal_fills(name, cd, td):
    bounds = [(0.0, 1.0), (-3.7, 2.9), (0.1, 0.3), (-1e-3, 1e-3), (5.0, 5.5), (-0.0447, 0.0447)]
    for s in SEEDS[:3]:
        seed_both(s)
        for n in [1, 5, 15, 16, 17, 100, 4099]:
            for a, b in bounds:
                same(cr.empty(n, dtype=cd).uniform_(a, b), torch.empty(n, dtype=td).uniform_(a, b))
                if name == "float32" and n >= 16 and not x86:
                    continue
                same(
                    cr.empty(n, dtype=cd).normal_(a, abs(b)),
                    torch.empty(n, dtype=td).normal_(a, abs(b)),
                )


def test_fills_of_a_transposed_tensor_go_in_memory_order():
    seed_both(2)
    same(cr.empty(20, 30).t().uniform_(), torch.empty(20, 30).t().uniform_())
    # not contiguous: the one-at-a-time normal path, in memory order
    same(cr.empty(20, 30).t().normal_(), torch.empty(20, 30).t().normal_())
    same(cr.empty(3, 4).t().normal_(), torch.empty(3, 4).t().normal_())
    # float16 from a double goes through a float, as C++ does (differs 1 in ~10**4 otherwise)
    ch, th = cr.empty(300, 500, dtype=cr.float16), torch.empty(300, 500, dtype=torch.float16)
    same(ch.t().normal_(), th.t().normal_())
    same(cr.randn(2), torch.randn(2))


# ------------------------------------------------ exponential_, geometric_, cauchy_, ...
# each element one double uniform (log_normal_: one double normal, Box-Muller pairs kept in
# the generator), rounded to the tensor's dtype (a float16 through a float, as C++ does)
ALL_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
FILL_CALLS = [
    "exponential_()",
    "exponential_(2.5)",
    "exponential_(lambd=1e-3)",
    "geometric_(0.3)",
    "geometric_(p=0.001)",  # (counts past an int8's or a uint8's range wrap, as in C++)
    "cauchy_()",
    "cauchy_(-1.5, 0.25)",
    "log_normal_()",
    "log_normal_(mean=0.5, std=0.2)",
    "random_()",
    "random_(10)",
    "random_(2)",
    "random_(-3, 100)",
    "random_(0, 2**28 - 1)",  # the last range drawn from 32-bit words
    "random_(0, 2**28)",  # 64-bit words from here
    "random_(-2**62, 2**62)",
    "random_(5, None)",
    "random_(-5, None)",
    "random_(-2**63, None)",
    "random_(to=7)",
    "random_(3, to=7)",
    "random_(0, 65504)",  # float16: to moved down to 65472 (65503 would round up to to)
    "random_(65400, 65504)",
    "random_(2**24 - 5, 2**24 + 9)",
    "random_(2**53 - 5, 2**53 + 9)",
]


def _fill(lib, dtype: str, n, call: str):
    t = lib.empty(n, dtype=getattr(lib, dtype))
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = eval(f"t.{call}")
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return type(e).__name__, str(e).splitlines()[0]
    assert r is t
    # (PyTorch's C++ warnings end with where they were triggered)
    return t, sorted(str(x.message).split(" (Triggered internally")[0] for x in w), lib.rand(2)


@pytest.mark.parametrize("call", FILL_CALLS)
def test_random_fills_all_dtypes(call):
    for dtype in ALL_DTYPES:
        for s in SEEDS[:3]:
            for n in [0, 1, 5, 17, 1000]:
                seed_both(s)
                a, b = _fill(cr, dtype, n, call), _fill(torch, dtype, n, call)
                if isinstance(b[0], str):  # PyTorch raised
                    assert a == b, (dtype, n)
                    continue
                same(a[0], b[0])
                assert a[1] == b[1], (dtype, n)  # PyTorch's warnings
                same(a[2], b[2])


@pytest.mark.parametrize(
    "call",
    [
        "exponential_(0)",
        "exponential_(-1.0)",
        "exponential_(float('nan'))",
        "exponential_('a')",
        "geometric_(0)",
        "geometric_(1)",
        "geometric_(1.5)",
        "cauchy_(0, 0)",
        "cauchy_(0, -1)",
        "log_normal_(1, 0)",
        "log_normal_(1, -1)",
        "random_(5, 3)",
        "random_(0)",
        "random_(-5)",
        "random_(1.5)",
        "random_(True)",
        "random_(0, 2.5)",
        "random_(1, 2, 3)",
        "random_(2**64)",
        "random_(-1, 3)",
        "random_(0, 300)",
        "random_(0, 2**20)",
    ],
)
def test_random_fill_errors_as_pytorch(call):
    for dtype in ALL_DTYPES:
        for n in (0, 3):
            seed_both(0)
            a, b = _fill(cr, dtype, n, call), _fill(torch, dtype, n, call)
            if isinstance(b[0], str):
                assert a == b, (dtype, n)
            else:
                same(a[0], b[0])
                same(a[2], b[2])


def test_random_fills_of_views_go_in_memory_order():
    seed_both(5)
    for call in ["exponential_()", "cauchy_()", "geometric_(0.2)", "log_normal_()", "random_(9)"]:
        same(eval(f"cr.empty(20, 30).t().{call}"), eval(f"torch.empty(20, 30).t().{call}"))
        same(eval(f"cr.empty(6, 8)[:, ::2].{call}"), eval(f"torch.empty(6, 8)[:, ::2].{call}"))
    # log_normal_ shares the Box-Muller pair with normal_ (the second normal waits)
    same(
        cr.empty(3, dtype=cr.float64).log_normal_(),
        torch.empty(3, dtype=torch.float64).log_normal_(),
    )
    same(cr.empty(3).normal_(), torch.empty(3).normal_())
    g, tg = cr.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    same(cr.empty(50).exponential_(generator=g), torch.empty(50).exponential_(generator=tg))
    same(cr.empty(50).random_(0, 7, generator=g), torch.empty(50).random_(0, 7, generator=tg))
    same(cr.rand(2), torch.rand(2))


def test_exponential_distribution_samples_are_pytorchs():
    for s in SEEDS[:3]:
        seed_both(s)
        rate = np.array([0.5, 1.0, 4.0])
        for dt in ("float32", "float64"):
            c = cr.distributions.Exponential(cr.tensor(rate, dtype=getattr(cr, dt)))
            t = torch.distributions.Exponential(torch.tensor(rate, dtype=getattr(torch, dt)))
            same(c.sample((5,)), t.sample((5,)))
            same(c.rsample(), t.rsample())


# ------------------------------------------------------------------ nn
def test_nn_init_and_layers():
    for s in SEEDS[:3]:
        seed_both(s)
        cl, tl = cr.nn.Linear(30, 20), torch.nn.Linear(30, 20)
        same(cl.weight, tl.weight)
        same(cl.bias, tl.bias)
        ca, ta = cr.empty(40, 30), torch.empty(40, 30)
        for f in ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]:
            same(getattr(cr.nn.init, f)(ca), getattr(torch.nn.init, f)(ta))
        same(cr.nn.init.normal_(ca, 0.0, 0.01), torch.nn.init.normal_(ta, 0.0, 0.01))
        same(cr.nn.init.uniform_(ca, -0.1, 0.1), torch.nn.init.uniform_(ta, -0.1, 0.1))
        same(
            cr.nn.init.kaiming_uniform_(ca, a=5**0.5), torch.nn.init.kaiming_uniform_(ta, a=5**0.5)
        )
        g, tg = cr.Generator().manual_seed(s), torch.Generator().manual_seed(s)
        same(cr.nn.init.normal_(ca, generator=g), torch.nn.init.normal_(ta, generator=tg))


def test_dropout_masks():
    for s in SEEDS[:3]:
        seed_both(s)
        cx, tx = cr.randn(50, 40), torch.randn(50, 40)
        for p in [0.5, 0.1, 0.3, 0.9]:
            same(cr.nn.functional.dropout(cx, p), torch.nn.functional.dropout(tx, p))
        for cd, td in [(cr.float64, torch.float64), (cr.float16, torch.float16)]:
            same(
                cr.nn.functional.dropout(cx.to(cd), 0.3),
                torch.nn.functional.dropout(tx.to(td), 0.3),
            )
        # a transposed input: the mask is drawn in its memory order
        same(cr.nn.functional.dropout(cx.t(), 0.4), torch.nn.functional.dropout(tx.t(), 0.4))
        cm, tm = cr.nn.Dropout(0.2), torch.nn.Dropout(0.2)
        same(cm(cx), tm(tx))
        same(cr.rand(3), torch.rand(3))


def test_bernoulli():
    for s in SEEDS[:3]:
        seed_both(s)
        cp, tp = cr.rand(7, 9), torch.rand(7, 9)
        for cd, td in [(cr.float32, torch.float32), (cr.float64, torch.float64)]:
            same(cr.bernoulli(cp.to(cd)), torch.bernoulli(tp.to(td)))
        same(cr.bernoulli(cp.half()), torch.bernoulli(tp.half()))
        same(cr.bernoulli(cp, 0.3), torch.bernoulli(tp, 0.3))
        same(cp.bernoulli(), tp.bernoulli())
        same(cr.empty(5, 4).bernoulli_(0.7), torch.empty(5, 4).bernoulli_(0.7))
        same(cr.empty(5, 4).bernoulli_(), torch.empty(5, 4).bernoulli_())
        ci, ti = cr.zeros(7, 9, dtype=cr.int64), torch.zeros(7, 9, dtype=torch.int64)
        same(ci.bernoulli_(cp), ti.bernoulli_(tp))
        same(cr.zeros(9, 7).t().bernoulli_(cp), torch.zeros(9, 7).t().bernoulli_(tp))
        same(cr.zeros(3, 9).bernoulli_(cp[0]), torch.zeros(3, 9).bernoulli_(tp[0]))
        g, tg = cr.Generator().manual_seed(s), torch.Generator().manual_seed(s)
        same(cr.bernoulli(cp, generator=g), torch.bernoulli(tp, generator=tg))
        same(cr.rand(3), torch.rand(3))
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\]"):
        cr.empty(3).bernoulli_(1.5)
    with pytest.raises(NotImplementedError, match="bernoulli_tensor_cpu_p_"):
        cr.bernoulli(cr.ones(3, dtype=cr.int64))


# ------------------------------------------------------------------ data
def test_random_split_and_samplers():
    for s in SEEDS[:3]:
        seed_both(s)
        ca, cb = c_random_split(range(10), [7, 3])
        ta, tb = t_random_split(range(10), [7, 3])
        assert (list(ca), list(cb)) == (list(ta), list(tb))
        g, tg = cr.Generator().manual_seed(s), torch.Generator().manual_seed(s)
        parts = [list(p) for p in c_random_split(range(100), [0.5, 0.3, 0.2], generator=g)]
        assert parts == [list(p) for p in t_random_split(range(100), [0.5, 0.3, 0.2], tg)]
        for kw in [
            {},
            {"replacement": True},
            {"num_samples": 70},
            {"replacement": True, "num_samples": 70},
        ]:
            assert list(CSampler(range(30), **kw)) == list(TSampler(range(30), **kw))
        same(cr.rand(2), torch.rand(2))


def test_dataloader_shuffle():
    for s in SEEDS[:3]:
        seed_both(s)
        cds, tds = CDataset(cr.arange(23.0)), TDataset(torch.arange(23.0))
        cl = CLoader(cds, batch_size=5, shuffle=True)
        tl = TLoader(tds, batch_size=5, shuffle=True)
        for _ in range(2):
            assert [b[0].tolist() for b in cl] == [b[0].tolist() for b in tl]
        g, tg = cr.Generator().manual_seed(s), torch.Generator().manual_seed(s)
        cl = CLoader(cds, batch_size=4, shuffle=True, generator=g)
        tl = TLoader(tds, batch_size=4, shuffle=True, generator=tg)
        for _ in range(2):
            assert [b[0].tolist() for b in cl] == [b[0].tolist() for b in tl]
        # a pass over an unshuffled loader draws one seed, as PyTorch's does
        list(CLoader(cds, batch_size=5))
        list(TLoader(tds, batch_size=5))
        same(cr.rand(4), torch.rand(4))


# ------------------------------------------------------------------ state
def test_state_is_pytorchs_layout():
    for s in SEEDS:
        seed_both(s)
        same(cr.get_rng_state(), torch.get_rng_state())
        draws = [lambda m: m.rand(0), lambda m: m.randperm(1), lambda m: m.rand(5)]
        draws += [lambda m: m.randn(3), lambda m: m.randn(700)]
        for draw in draws:
            draw(cr), draw(torch)
            same(cr.get_rng_state(), torch.get_rng_state())
        g, tg = cr.Generator().manual_seed(s), torch.Generator().manual_seed(s)
        same(g.get_state(), tg.get_state())


def test_state_round_trips():
    seed_both(9)
    cr.randn(3), torch.randn(3)  # a kept normal sample is part of the state
    state = cr.get_rng_state()
    a = [cr.randn(1), cr.rand(1000), cr.randint(0, 5, (7,))]
    cr.set_rng_state(state)
    b = [cr.randn(1), cr.rand(1000), cr.randint(0, 5, (7,))]
    for x, y in zip(a, b, strict=True):
        same(x, y)
    # across libraries: chainrule's state continues in PyTorch and back
    torch.set_rng_state(torch.from_numpy(state.numpy()))
    same(torch.randn(1), a[0])
    same(torch.rand(1000), a[1])
    cr.set_rng_state(torch.get_rng_state())
    same(cr.rand(5), torch.rand(5))
    g = cr.Generator()
    g.set_state(cr.Generator().manual_seed(3).get_state())
    same(cr.rand(5, generator=g), torch.rand(5, generator=torch.Generator().manual_seed(3)))


def test_bad_state():
    with pytest.raises(RuntimeError, match="RNG state size"):
        cr.set_rng_state(cr.zeros(10, dtype=cr.uint8))


def test_cuda_generators_are_separate_streams():
    g = R.cuda_generator(0)
    assert isinstance(g, cr.Generator) and g is not cr.default_generator
    R.seed_cuda(4, 0)
    a = R.uniform(g, 3, np.float32)
    R.seed_cuda(4, 0)
    assert np.array_equal(a, R.uniform(g, 3, np.float32))


def test_speed_is_numpys_order(benchmark=None):
    """rand(10**6) within a small multiple of NumPy's own generator (not a timing test:
    a generous bound, so that a per-number Python loop would fail)."""
    import time

    g = cr.Generator()
    best = min(_timed(time, lambda: cr.rand(10**6, generator=g)) for _ in range(3))
    ng = np.random.default_rng(0)
    ref = min(_timed(time, lambda: ng.random(10**6, dtype=np.float32)) for _ in range(3))
    assert best < 0.5 and best < 40 * ref + 0.02


def _timed(time, f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t
