"""Benchmark of whole models from d2l's chapters, chainrule next to PyTorch (issue 12).

Parts (``--only`` picks some; each prints its ratio and the target):

- ``gru``: a 2-layer GRU (nn.GRU(256, 256, num_layers=2)), batch 32, 35 time steps,
  256 hidden units, float32; forward + backward of ``output.sum() + h_n.sum()``.
  Target: chainrule within 1.5x of PyTorch.

The same function runs on both libraries (``import chainrule as torch`` style), with the
same weights (copied through ``state_dict``) and the same input, single-threaded:
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` are 1 before NumPy
is imported, and ``torch.set_num_threads(1)``. Repeats alternate between the libraries;
the ratio is the median of the per-repeat ratios (the host's load drifts).

Run: python benchmarks/bench_models.py [--quick] [--only gru]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "src" / "chainrule").is_dir():  # benchmark this checkout, installed or not
    sys.path.insert(0, str(ROOT / "src"))

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def _time(fn, min_s: float) -> float:
    """Seconds per call: as many calls as fill ``min_s``, at least one."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_s:
            return elapsed / n


def compare(fns: dict, repeats: int, min_s: float) -> dict:
    """Median seconds per call of each function, and of chainrule's ratio to PyTorch's."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict = {k: [] for k in fns}
    ratios = []
    for _ in range(repeats):
        for k, fn in fns.items():
            gc.collect()
            times[k].append(_time(fn, min_s))
        if "PyTorch" in fns:
            ratios.append(times["chainrule"][-1] / times["PyTorch"][-1])
    out = {k: statistics.median(v) for k, v in times.items()}
    if ratios:
        out["ratio"] = statistics.median(ratios)
    return out


# ------------------------------------------------------------------ part: gru
def gru_part(repeats: int, min_s: float) -> None:
    T, B, H, layers = 35, 32, 256, 2
    print(f"gru: nn.GRU({H}, {H}, num_layers={layers}), batch {B}, {T} steps, float32, fwd + bwd")
    x = np.random.default_rng(0).standard_normal((T, B, H)).astype(np.float32)

    def build(lib):
        lib.manual_seed(0)
        return lib.nn.GRU(H, H, num_layers=layers), lib.tensor(x)

    def step(model, inputs):
        def run():
            model.zero_grad()
            output, h_n = model(inputs)
            (output.sum() + h_n.sum()).backward()

        return run

    ours, x_cr = build(cr)
    fns = {"chainrule": step(ours, x_cr)}
    if torch is not None:
        theirs, x_t = build(torch)
        ours.load_state_dict(
            {k: cr.tensor(v.numpy().copy()) for k, v in theirs.state_dict().items()}
        )
        fns["PyTorch"] = step(theirs, x_t)
        # the same numbers first: outputs and a gradient
        fns["chainrule"]()
        fns["PyTorch"]()
        gap = np.abs(ours.weight_hh_l0.grad.numpy() - theirs.weight_hh_l0.grad.numpy()).max()
        print(f"  max |d weight_hh_l0| difference to PyTorch: {gap:.2e}")
    res = compare(fns, repeats, min_s)
    for k in fns:
        print(f"  {k:10s} {res[k] * 1e3:8.1f} ms per forward + backward")
    if "ratio" in res:
        r = res["ratio"]
        verdict = "pass" if r <= 1.5 else "MISS"
        print(f"  chainrule / PyTorch = {r:.2f}x (target <= 1.5x: {verdict})")


PARTS = {"gru": gru_part}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats of >= 0.2 s")
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    a = ap.parse_args(argv)
    repeats, min_s = (3, 0.2) if a.quick else (9, 0.5)
    print(f"1 thread; median of {repeats} repeats, each >= {min_s} s per library")
    for name in a.only.split(","):
        PARTS[name](repeats, min_s)


if __name__ == "__main__":
    main()
