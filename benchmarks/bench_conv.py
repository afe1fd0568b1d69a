"""conv2d forward + backward, chainrule against PyTorch CPU, both single-threaded.

    python benchmarks/bench_conv.py            # about half a minute on 2 cores
    python benchmarks/bench_conv.py --quick    # 3 repeats

Workloads (float32, input and weight require grad, bias included, loss = out.sum()):
  1. LeNet's first layer: batch 256, 1x28x28, 6 filters 5x5, padding 2
  2. a ResNet-ish layer: batch 64, 64 channels 32x32, 64 filters 3x3, padding 1
  3. the same in float64 (PyTorch's oneDNN kernels are float32 only: it uses im2col too)
and, for the pooling that follows them, max_pool2d(2) and avg_pool2d(2) on workload 1's
output. Times are medians over interleaved repeats; a ratio is the median of the two
engines' ratio within a repeat (as bench_foundation.py). Target (issue 12): conv within
2x of PyTorch. Not a timed test: nothing here fails CI.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import chainrule as cr  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the torch column reads n/a
    torch = None

WORKLOADS = {
    "lenet conv 256x1x28x28, 6 5x5 pad 2": ((256, 1, 28, 28), (6, 1, 5, 5), 2, "conv"),
    "conv 64x64x32x32, 64 3x3 pad 1": ((64, 64, 32, 32), (64, 64, 3, 3), 1, "conv"),
    "the same in float64": ((64, 64, 32, 32), (64, 64, 3, 3), 1, "conv64"),
    "max_pool2d(2) on 256x6x28x28": ((256, 6, 28, 28), None, 0, "max"),
    "avg_pool2d(2) on 256x6x28x28": ((256, 6, 28, 28), None, 0, "avg"),
}


def make(lib, xs, ws, pad, kind, rng):
    dt = np.float64 if kind == "conv64" else np.float32
    kind = kind[:4]
    x = lib.tensor(rng.standard_normal(xs).astype(dt), requires_grad=True)
    leaves = [x]
    if kind == "conv":
        w = lib.tensor(rng.standard_normal(ws).astype(dt) * 0.1, requires_grad=True)
        b = lib.tensor(np.zeros(ws[0], dt), requires_grad=True)
        leaves += [w, b]
    F = lib.nn.functional

    def step():
        for t in leaves:
            t.grad = None
        if kind == "conv":
            out = F.conv2d(x, w, b, padding=pad)
        elif kind == "max":
            out = F.max_pool2d(x, 2)
        else:
            out = F.avg_pool2d(x, 2)
        out.sum().backward()

    return step


def timed(step, loops):
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(loops):
        step()
    return (time.perf_counter() - t0) / loops


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    print(f"{'workload':40s} {'chainrule ms':>13s} {'torch ms':>10s} {'ratio':>7s}")
    for name, (xs, ws, pad, kind) in WORKLOADS.items():
        steps = {"cr": make(cr, xs, ws, pad, kind, rng)}
        if torch is not None:
            steps["torch"] = make(torch, xs, ws, pad, kind, rng)
        for s in steps.values():
            s()  # warm-up
        loops = {k: max(1, int(0.3 / max(timed(s, 1), 1e-6))) for k, s in steps.items()}
        times = {k: [] for k in steps}
        for _ in range(repeats):
            for k, s in steps.items():
                times[k].append(timed(s, loops[k]))
        ours = statistics.median(times["cr"]) * 1e3
        if torch is None:
            print(f"{name:40s} {ours:13.2f} {'n/a':>10s} {'n/a':>7s}")
            continue
        theirs = statistics.median(times["torch"]) * 1e3
        ratio = statistics.median(a / b for a, b in zip(times["cr"], times["torch"], strict=True))
        print(f"{name:40s} {ours:13.2f} {theirs:10.2f} {ratio:6.2f}x")


if __name__ == "__main__":
    main()
