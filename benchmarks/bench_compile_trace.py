"""What chainrule.compile costs to trace, against what a compiled call costs.

    python benchmarks/bench_compile_trace.py            # a few seconds
    python benchmarks/bench_compile_trace.py --quick

An MLP 784-256-256-10 (float32, ReLU), batch 64, single-threaded BLAS:
  1. forward under no_grad: eager call; compiled first call (trace + sym.function) and
     later calls;
  2. forward + backward with the parameters requiring grad (the compiled call's backward
     runs its vjp graph, made on the first backward);
  3. a functional SGD step (func.grad of a log-softmax loss, then p - lr * g).
  4. the forward of a small MLP 20-16-10, batch 8 (Python overhead, not arithmetic).
Times are medians of repeats. Not a timed test: nothing here fails CI.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import func, nn  # noqa: E402


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def loss_fn(params, x, y):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.relu()
    return -F.log_softmax(h, 1).gather(1, y[:, None]).mean()


def sgd_step(params, x, y):
    g = func.grad(loss_fn)(params, x, y)
    return [p - 0.1 * gi for p, gi in zip(params, g, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    n = 10 if ap.parse_args().quick else 50
    cr.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                        nn.Linear(256, 10))  # fmt: skip
    x = cr.randn(64, 784)
    y = cr.randint(0, 10, (64,))
    rows = []

    fast = cr.compile(net)
    with cr.no_grad():
        first = once(lambda: fast(x))
        rows.append(("forward, no_grad", first, median_time(lambda: fast(x), n),
                     median_time(lambda: net(x), n)))  # fmt: skip

    def fwd_bwd(m):
        net.zero_grad()
        (m(x) ** 2).mean().backward()

    fast2 = cr.compile(net)
    first = once(lambda: fwd_bwd(fast2))
    rows.append(("forward + backward", first, median_time(lambda: fwd_bwd(fast2), n),
                 median_time(lambda: fwd_bwd(net), n)))  # fmt: skip

    params = [p.detach().clone() for p in net.parameters()]
    params = [params[i].t().contiguous() if i % 2 == 0 else params[i] for i in range(6)]
    step = cr.compile(sgd_step)
    first = once(lambda: step(params, x, y))
    rows.append(("SGD step (func.grad)", first, median_time(lambda: step(params, x, y), n),
                 median_time(lambda: sgd_step(params, x, y), n)))  # fmt: skip

    small = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 10))
    xs = cr.randn(8, 20)
    fast_small = cr.compile(small)
    with cr.no_grad():
        first = once(lambda: fast_small(xs))
        rows.append(("small 20-16-10, no_grad", first, median_time(lambda: fast_small(xs), n),
                     median_time(lambda: small(xs), n)))  # fmt: skip

    print(f"MLP 784-256-256-10, batch 64, float32, medians of {n} calls")
    print(f"{'':26}{'first call':>12}{'compiled':>12}{'eager':>12}{'first/eager':>13}")
    for name, first, comp, eager in rows:
        print(
            f"{name:26}{first * 1e3:>10.2f}ms{comp * 1e3:>10.3f}ms{eager * 1e3:>10.3f}ms"
            f"{first / eager:>12.1f}x"
        )
    print(f"graph nodes: forward {len(fast._compiled.graphs()[0].order)}, "
          f"SGD step {len(step.graphs()[0].order)}")  # fmt: skip


if __name__ == "__main__":
    main()
