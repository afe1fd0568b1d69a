"""Benchmarks of issue 3: batched Jacobians, forward vs reverse memory, checkpointing.

Single-threaded (OMP/MKL/OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)); times are the
median of repeats of a loop that runs >= min-time seconds. Side by side with torch.func
when torch is installed.

1. jacobian of f(x) = tanh(W x) for (n, m) = (10, 1000) and (1000, 10): chainrule's
   jacobian(mode="auto"), jacfwd and jacrev, a loop of one backward per output row (what
   HIPS autograd does), and torch.func.jacfwd / jacrev.
   Targets: auto <= 1.0x torch.func's faster mode; chainrule's slower mode <= 2x
   torch.func's same mode.
2. memory of a chain of n tanh ops on a (1000,) float64 vector, n = 10, 100, 1000:
   tracemalloc peak of one forward-mode pass (a dual tensor) and one reverse-mode pass
   (forward + backward), and the bytes the graph saves (chainrule.func.cost).
3. a 64-layer tanh MLP (width 256, batch 256, float64), forward + backward, with and
   without checkpointing every 8 layers: peak traced memory and time.

Run: python benchmarks/bench_func.py [--quick] [--only 1,2,3] [--json PATH]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule.func import cost, jacfwd, jacobian, jacrev  # noqa: E402
from chainrule.utils.checkpoint import checkpoint  # noqa: E402

try:
    import torch
    import torch.func as tf

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def timeit(fn, repeats, min_time):
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt >= min_time:
            break
        n *= 2
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t) / n)
    return statistics.median(runs)


# ------------------------------------------------------------------------ 1. jacobians


def jacobian_workload(n, m, repeats, min_time):
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((m, n)) / np.sqrt(n)).astype(np.float32)
    x = rng.standard_normal(n).astype(np.float32)
    Wc, xc = cr.tensor(W), cr.tensor(x)

    def f(v):
        return cr.tanh(Wc @ v)

    def rowwise():  # one reverse pass per output row
        xs = xc.detach().requires_grad_()
        y = f(xs)
        rows = []
        for i in range(m):
            (g,) = cr.autograd.grad(y[i], xs, retain_graph=True)
            rows.append(g)
        return cr.stack(rows)

    res = {}
    J_ref = None
    fns = {
        "chainrule auto": lambda: jacobian(f, xc),
        "chainrule jacfwd": lambda: jacfwd(f)(xc),
        "chainrule jacrev": lambda: jacrev(f)(xc),
    }
    if torch is not None:
        Wt, xt = torch.tensor(W), torch.tensor(x)

        def ft(v):
            return torch.tanh(Wt @ v)

        fns["torch jacfwd"] = lambda: tf.jacfwd(ft)(xt)
        fns["torch jacrev"] = lambda: tf.jacrev(ft)(xt)
        J_ref = tf.jacrev(ft)(xt).numpy()
    for name, fn in fns.items():
        J = fn()
        J = J.detach().numpy() if hasattr(J, "detach") else np.asarray(J)
        if J_ref is not None:
            np.testing.assert_allclose(J, J_ref, rtol=1e-4, atol=1e-5, err_msg=name)
        res[name] = timeit(fn, repeats, min_time)
    # the row-by-row loop is slow: time it with fewer repeats
    res["chainrule row loop"] = timeit(rowwise, 3, min_time)
    _, why = jacobian(f, xc, explain=True)
    res["auto picks"] = why.mode
    return res


def report_jacobians(results):
    lines = []
    for (n, m), r in results.items():
        lines.append(f"\nworkload 1: jacobian of tanh(W x), x in R^{n}, y in R^{m}")
        for k, v in r.items():
            if isinstance(v, float):
                lines.append(f"  {k:<22} {v * 1e3:8.3f} ms")
        lines.append(f"  auto picks {r['auto picks']} mode")
        if "torch jacfwd" in r:
            fast = min(r["torch jacfwd"], r["torch jacrev"])
            faster = "jacfwd" if r["torch jacfwd"] <= r["torch jacrev"] else "jacrev"
            slow_mode = "jacrev" if faster == "jacfwd" else "jacfwd"
            a = r["chainrule auto"] / fast
            s = r[f"chainrule {slow_mode}"] / r[f"torch {slow_mode}"]
            lines.append(
                f"  auto / torch {faster} = {a:.2f}x (target <= 1.0x: "
                f"{'pass' if a <= 1.0 else 'MISS'})"
            )
            lines.append(
                f"  chainrule {slow_mode} / torch {slow_mode} = {s:.2f}x (target <= 2x: "
                f"{'pass' if s <= 2.0 else 'MISS'})"
            )
        lines.append(
            f"  row loop / auto = {r['chainrule row loop'] / r['chainrule auto']:.0f}x slower"
        )
    return "\n".join(lines)


# --------------------------------------------------------------- 2. forward vs reverse


def memory_workload():
    out = {}
    x = cr.ones(1000, dtype=cr.float64)
    for n in (10, 100, 1000):

        def chain(v, n=n):
            for _ in range(n):
                v = cr.tanh(v)
            return v

        c = cost(lambda v: chain(v).sum(), x)
        out[n] = c
    return out


def report_memory(res):
    lines = ["\nworkload 2: chain of n tanh ops on (1000,) float64 (8000 bytes per tensor)"]
    lines.append(
        f"  {'n':>5} {'fwd peak':>12} {'rev peak':>12} {'fwd saved':>12} {'rev saved':>12}"
    )
    for n, c in res.items():
        lines.append(
            f"  {n:>5} {c.forward_peak_bytes:>12,} {c.reverse_peak_bytes:>12,} "
            f"{c.forward_saved_bytes:>12,} {c.reverse_saved_bytes:>12,}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------- 3. checkpointing


def checkpoint_workload(repeats, min_time, layers=64, width=256, batch=256, every=8):
    cr.manual_seed(0)
    Ws = [
        (cr.randn(width, width, dtype=cr.float64) / width**0.5).requires_grad_()
        for _ in range(layers)
    ]
    X = cr.randn(batch, width, dtype=cr.float64)

    def block(lo, hi):
        def run(h):
            for W in Ws[lo:hi]:
                h = cr.tanh(h @ W)
            return h

        return run

    # gradients are zeroed in place, so the traced peak is the activations' alone (the
    # 64 weight gradients, 32 MiB, exist before the trace starts)
    def forward_plain():
        return block(0, layers)(X).sum()

    def forward_ckpt():
        h = X
        for lo in range(0, layers, every):
            h = checkpoint(block(lo, lo + every), h)
        return h.sum()

    def step(forward):
        for W in Ws:
            if W.grad is not None:
                W.grad.zero_()
        forward().backward()

    step(forward_plain)
    g_plain = [W.grad.numpy().copy() for W in Ws]
    step(forward_ckpt)
    for a, W in zip(g_plain, Ws, strict=True):
        np.testing.assert_allclose(W.grad.numpy(), a, rtol=1e-10, atol=1e-12)
    res = {}
    for name, fwd in (
        ("no checkpoint", forward_plain),
        (f"checkpoint every {every}", forward_ckpt),
    ):
        saved = cr.autograd.saved_memory(fwd())
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        step(fwd)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        res[name] = (peak, saved, timeit(lambda f=fwd: step(f), repeats, min_time))
    return res


def report_checkpoint(res):
    lines = ["\nworkload 3: 64-layer tanh MLP, width 256, batch 256, float64, fwd + bwd"]
    for k, (peak, saved, t) in res.items():
        lines.append(
            f"  {k:<22} peak {peak / 2**20:7.2f} MiB  saved by the graph {saved / 2**20:7.2f} MiB"
            f"  {t * 1e3:8.2f} ms"
        )
    (p0, s0, t0), (p1, s1, t1) = res.values()
    lines.append(
        f"  with checkpointing: peak {p1 / p0:.2f}x, saved {s1 / s0:.2f}x, time {t1 / t0:.2f}x"
    )
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="1,2,3")
    ap.add_argument("--json", metavar="PATH")
    a = ap.parse_args(argv)
    repeats, min_time = (3, 0.05) if a.quick else (7, 0.2)
    only = {int(s) for s in a.only.split(",")}
    print(
        f"chainrule func benchmark; numpy {np.__version__}"
        + (f", torch {torch.__version__}" if torch is not None else ", no torch")
        + f"; median of {repeats} repeats of >= {min_time} s"
    )
    out = {}
    if 1 in only:
        jr = {nm: jacobian_workload(*nm, repeats, min_time) for nm in ((10, 1000), (1000, 10))}
        print(report_jacobians(jr))
        out["jacobian"] = {f"{n}x{m}": r for (n, m), r in jr.items()}
    if 2 in only:
        mr = memory_workload()
        print(report_memory(mr))
        out["memory"] = {n: c.__dict__ for n, c in mr.items()}
    if 3 in only:
        cr_ = checkpoint_workload(repeats, min_time)
        print(report_checkpoint(cr_))
        out["checkpoint"] = cr_
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
