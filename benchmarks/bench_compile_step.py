"""The imperative training step compiled (zero_grad, loss, backward, optimizer step)
against the same step eager.

    python benchmarks/bench_compile_step.py            # some seconds
    python benchmarks/bench_compile_step.py --quick

An MLP 784-256-256-10 (float32, ReLU), batch 128, log-softmax loss, single-threaded BLAS,
with SGD (momentum 0.9) and Adam. The compiled step's first call makes the optimizer's
state eagerly, its second traces; the rows time later calls (medians of repeats) and say
what the first two calls cost. Not a timed test: nothing here fails CI.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402


def make(opt_name: str, **kw):
    cr.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                        nn.Linear(256, 10))  # fmt: skip
    opt = getattr(cr.optim, opt_name)(net.parameters(), **kw)

    def step(x, y):
        opt.zero_grad()
        loss = -F.log_softmax(net(x), 1).gather(1, y[:, None]).mean()
        loss.backward()
        opt.step()
        return loss

    return step


def median_times(fns, repeats: int) -> list:
    """Medians of each function's time, the calls interleaved (a shared machine's load
    falls on all of them alike)."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for ts, fn in zip(times, fns, strict=True):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    n = 10 if ap.parse_args().quick else 60
    x = cr.randn(128, 784)
    y = cr.randint(0, 10, (128,))
    print(f"{'step':<16}{'eager ms':>10}{'compiled ms':>13}{'ratio':>7}{'1st+2nd call ms':>17}")
    for name, kw in (("SGD", dict(lr=0.01, momentum=0.9)), ("Adam", dict(lr=1e-3))):
        eager = make(name, **kw)
        eager(x, y)
        c = cr.compile(make(name, **kw))
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the first call makes the state: eager)
            c(x, y)
            c(x, y)
        first = time.perf_counter() - t0
        te, tc = median_times([lambda: eager(x, y), lambda: c(x, y)], n)  # noqa: B023
        assert c.traces == 2 and c.fallbacks == 1, (c.traces, c.fallbacks)
        print(f"{name:<16}{te * 1e3:>10.2f}{tc * 1e3:>13.2f}{te / tc:>7.2f}{first * 1e3:>17.1f}")


if __name__ == "__main__":
    main()
