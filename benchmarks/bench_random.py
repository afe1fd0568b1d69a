"""Random numbers (issue 12): chainrule's PyTorch-exact draws against NumPy's own generator
and PyTorch, 10**6 numbers each, best of 5, single-threaded. Not a timed test.

    python benchmarks/bench_random.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the PyTorch column reads n/a
    torch = None


def best(f, k: int = 5) -> float:
    times = []
    for _ in range(k):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10**6)
    n = ap.parse_args().n
    g = np.random.default_rng(0)
    rows = [
        ("rand float32", lambda m: m.rand(n), lambda: g.random(n, dtype=np.float32)),
        ("rand float64", lambda m: m.rand(n, dtype=m.float64), lambda: g.random(n)),
        ("randn float32", lambda m: m.randn(n), lambda: g.standard_normal(n, np.float32)),
        ("randn float64", lambda m: m.randn(n, dtype=m.float64), lambda: g.standard_normal(n)),
        ("randint 0..999", lambda m: m.randint(0, 1000, (n,)), lambda: g.integers(0, 1000, n)),
        ("randperm", lambda m: m.randperm(n), lambda: g.permutation(n)),
        ("uniform_(-1, 1)", lambda m: m.empty(n).uniform_(-1, 1), lambda: g.uniform(-1, 1, n)),
        (
            "dropout p=0.5",
            lambda m: m.nn.functional.dropout(m.ones(n), 0.5),
            lambda: (g.random(n) < 0.5) * 2.0,
        ),
        ("exponential_()", lambda m: m.empty(n).exponential_(), lambda: g.exponential(1.0, n)),
        (
            "multinomial repl.",
            lambda m: m.multinomial(m.ones(100), n, True),
            lambda: g.choice(100, n),
        ),
        (
            "multinomial n of n",  # (float32 p / q ties: libstdc++'s order, in Python)
            lambda m: m.multinomial(m.ones(n), n),
            lambda: g.permutation(n),
        ),
    ]
    print(f"{n} numbers, ms (best of 5)")
    print(f"{'':18}{'chainrule':>10}{'NumPy':>8}{'PyTorch':>9}{'cr/NumPy':>10}")
    for name, f, ref in rows:
        c, r = best(lambda f=f: f(cr)), best(ref)
        t = f"{best(lambda f=f: f(torch)):9.1f}" if torch is not None else f"{'n/a':>9}"
        print(f"{name:18}{c:10.1f}{r:8.1f}{t}{c / r:10.1f}")


if __name__ == "__main__":
    main()
