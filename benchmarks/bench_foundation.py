#!/usr/bin/env python
"""Side-by-side speed and memory benchmark of chainrule's foundation (issue 2).

    python benchmarks/bench_foundation.py [--quick] [--json PATH] [--only 1,4] [--profile N]

For each workload, in one run and single-threaded, it times

* chainrule            (`import chainrule as cr`, the PyTorch-style API);
* NumPy by hand        (the same array calls with hand-derived gradients: the
                        limit for a NumPy-backed engine);
* PyTorch eager        (when torch is importable).

chainrule and PyTorch run the very same Python function (the module is passed in as
`ns`), so they do the same calls. Before timing, the hand-derived NumPy gradients are
checked once against chainrule's (and PyTorch's) gradients.

Timing: each engine's call is run once to warm up, then a loop count is picked so
that one repeat lasts at least --min-time seconds (0.1 s), and the median over
--repeats repeats (15) of the per-call time is reported (the best is kept in the JSON).
The engines' repeats are interleaved (A B C A B C ...). A ratio is the median over
repeats of the two engines' ratio within the repeat: on a shared VM the load drifts
over seconds, and such pairs, a fraction of a second apart, see the same load (the
ratio of the medians is in the JSON too). The garbage collector stays on (a reference
cycle's cost is part of an engine's cost) and is emptied before each repeat. --quick
uses 3 repeats of >= 0.05 s.

Memory (workload 5): tracemalloc, which sees NumPy's data allocations (not PyTorch's
allocator, so there is no PyTorch column), reports the peak during forward+backward
minus the traced memory just before the forward pass, in both engines alike.
"""

import os

# Single-threaded BLAS/OpenMP: must be set before numpy (or torch) is imported.
for _var in (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "src" / "chainrule").is_dir():  # benchmark this checkout, installed or not
    sys.path.insert(0, str(ROOT / "src"))

try:
    import torch
except ImportError:  # PyTorch is optional: its column reads n/a
    torch = None
else:
    torch.set_num_threads(1)

try:
    import chainrule as cr
except Exception:  # noqa: BLE001 - the core may be half-written; report why and go on
    cr = None
    CR_IMPORT_ERROR = traceback.format_exc(limit=3)
else:
    CR_IMPORT_ERROR = None


# --------------------------------------------------------------------------------------
# measurement helpers
# --------------------------------------------------------------------------------------


def _loop(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - t0


def calibrate(fn, min_time):
    """Warm up, then the loop count (timeit's autorange) that lasts >= min_time."""
    fn()  # warm-up
    gc.collect()
    n = 1
    while True:
        t = _loop(fn, n)
        if t >= min_time:
            return n
        # aim a little above min_time, at least doubling
        n = max(2 * n, int(n * 1.2 * min_time / max(t, 1e-9)))


def timeit_interleaved(fns, repeats, min_time):
    """Median and best seconds per call of each fn in fns (a dict name -> fn).

    The engines' repeats are interleaved (A B C A B C ...), so that a change in the
    machine's background load falls on all of them alike and the ratios stay fair."""
    loops = {k: calibrate(fn, min_time) for k, fn in fns.items()}
    per_call = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            gc.collect()
            per_call[k].append(_loop(fn, loops[k]) / loops[k])
    return {
        k: {"median": statistics.median(v), "best": min(v), "loops": loops[k], "repeats": v}
        for k, v in per_call.items()
    }


def paired_ratio(a, b):
    """Median over repeats of a's time / b's time in the same repeat: the repeats are
    interleaved, so each ratio compares two runs a fraction of a second apart, and a
    change in the machine's load between repeats cancels out of it."""
    if not a or not b:
        return None
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def traced_peak(setup, run):
    """Peak traced bytes during run(state) minus traced bytes just before it."""
    gc.collect()
    tracemalloc.start()
    try:
        state = setup()
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        t0 = time.perf_counter()
        out = run(state)
        dt = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        del out, state
    finally:
        tracemalloc.stop()
    gc.collect()
    return peak - base, dt


def _clear_grads(params):
    for p in params:
        p.grad = None


def _to_np(t):
    """A gradient (chainrule / torch tensor or ndarray) as a float64 ndarray."""
    if t is None:
        return None
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "numpy"):
        t = t.numpy()
    return np.asarray(t, dtype=np.float64)


# --------------------------------------------------------------------------------------
# workloads 1 and 5: a chain of elementwise ops, cycle (x*1.0001, +0.001, tanh, exp, -1)
# --------------------------------------------------------------------------------------

CYCLE = 5  # ops per cycle


def chain_engine(ns, x, cycles):
    """chainrule or torch: the chain, then sum and backward (x.grad is the result)."""
    y = x
    for _ in range(cycles):
        y = y * 1.0001
        y = y + 0.001
        y = ns.tanh(y)
        y = ns.exp(y)
        y = y - 1
    y.sum().backward()
    return x.grad


def chain_numpy(x, cycles):
    """NumPy by hand. Saved: tanh's output (d tanh = 1 - t^2) and exp's output
    (d exp = e); nothing for the constant mul/add/sub. Freed during backward."""
    saved = []
    y = x
    for _ in range(cycles):
        y = y * 1.0001
        y = y + 0.001
        y = np.tanh(y)
        t = y
        y = np.exp(y)
        saved.append((t, y))
        y = y - 1
    del t
    y.sum()  # the loss value, as the engines compute it
    g = np.ones_like(y)  # d sum / d y
    while saved:
        t, e = saved.pop()
        # - 1: g passes through
        g = g * e  # exp
        g = g * (1 - t * t)  # tanh
        # + 0.001: g passes through
        g = g * 1.0001  # * 1.0001
    return g


# --------------------------------------------------------------------------------------
# workload 2: MLP 784-256-256-10, relu, softmax cross-entropy, batch 128
# --------------------------------------------------------------------------------------


def mlp_engine(ns, X, y, params):
    """Forward + backward in chainrule or torch, from primitives."""
    W1, b1, W2, b2, W3, b3 = params
    h1 = ns.relu(X @ W1 + b1)
    h2 = ns.relu(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    logp = logits - ns.logsumexp(logits, dim=1, keepdim=True)  # stable log-softmax
    n = logits.shape[0]
    loss = -logp[ns.arange(n), y].mean()  # gather the target log-probabilities
    loss.backward()
    return loss


def mlp_numpy(X, y, params):
    """NumPy by hand: the same forward, hand-derived backward. Returns (loss, grads)."""
    W1, b1, W2, b2, W3, b3 = params
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ W2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ W3 + b3
    m = logits.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    logp = logits - lse
    n = logits.shape[0]
    rows = np.arange(n)
    loss = -logp[rows, y].mean()
    # backward
    dlogp = np.zeros_like(logp)
    dlogp[rows, y] = -1.0 / n  # mean, neg, gather
    # logp = logits - lse:  d logits = dlogp + softmax * d lse,  d lse = -sum(dlogp)
    dlogits = dlogp - np.exp(logp) * dlogp.sum(axis=1, keepdims=True)
    dW3 = h2.T @ dlogits
    db3 = dlogits.sum(axis=0)
    dz2 = (dlogits @ W3.T) * (z2 > 0)
    dW2 = h1.T @ dz2
    db2 = dz2.sum(axis=0)
    dz1 = (dz2 @ W2.T) * (z1 > 0)
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0)
    return loss, (dW1, db1, dW2, db2, dW3, db3)


# --------------------------------------------------------------------------------------
# workload 3: sum(tanh(A @ B)), 1024 x 1024 float32
# --------------------------------------------------------------------------------------


def matmul_engine(ns, A, B):
    s = ns.tanh(A @ B).sum()
    s.backward()
    return s


def matmul_numpy(A, B):
    T = np.tanh(A @ B)
    s = T.sum()
    dC = 1 - T * T  # d sum = ones, d tanh = 1 - t^2
    return s, dC @ B.T, A.T @ dC


# --------------------------------------------------------------------------------------
# workload 4: the lecture's control-flow function
# --------------------------------------------------------------------------------------


def f_engine(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def f_engine_step(a):
    c = f_engine(a)
    c.backward()
    return c


def f_numpy(a):
    """NumPy by hand on a 0-d array: forward, then dc/da from the recorded factors."""
    factors = []
    b = a * 2
    factors.append(2)
    while np.sqrt(np.sum(b * b)) < 1000:
        b = b * 2
        factors.append(2)
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
        factors.append(100)
    g = np.ones_like(c)
    while factors:
        g = g * factors.pop()
    return c, g


# --------------------------------------------------------------------------------------
# the benchmark
# --------------------------------------------------------------------------------------

WORKLOADS = {
    1: ("chain of 200 elementwise ops, (16,) f32", "us/op", "torch", 1.0),
    2: ("MLP 784-256-256-10 step, batch 128", "ms/step", "numpy", 1.15),
    3: ("sum(tanh(A @ B)), 1024x1024 f32", "ms/call", "numpy", 1.05),
    4: ("control-flow f(a), 0-d f32", "us/call", "torch", 0.5),
    5: ("peak memory, 1000-op chain, (100000,) f64", "MB", "numpy", 1.05),
}


class Bench:
    def __init__(self, args):
        self.args = args
        self.rng = np.random.default_rng(0)
        self.results = {}
        self.checks = []
        self.engines = ["chainrule", "numpy", "torch"]
        self.have = {"chainrule": cr is not None, "numpy": True, "torch": torch is not None}

    # ---- data, identical for all engines ---------------------------------------------
    def data(self):
        rng = self.rng
        d = {}
        d["x16"] = rng.standard_normal(16).astype(np.float32)
        d["X"] = rng.standard_normal((128, 784)).astype(np.float32)
        d["y"] = rng.integers(0, 10, size=128).astype(np.int64)
        shapes = [(784, 256), (256,), (256, 256), (256,), (256, 10), (10,)]
        d["mlp"] = [
            (rng.standard_normal(s) * (np.sqrt(2.0 / s[0]) if len(s) == 2 else 0.01)).astype(
                np.float32
            )
            for s in shapes
        ]
        d["A"] = (rng.standard_normal((1024, 1024)) / 32).astype(np.float32)
        d["B"] = (rng.standard_normal((1024, 1024)) / 32).astype(np.float32)
        # a fixed value of a, so that the while loop runs the same number of times
        d["a"] = np.array(self.rng.standard_normal(), dtype=np.float32)
        d["x_mem"] = rng.standard_normal(100_000)
        return d

    # ---- build one callable per engine and workload ---------------------------------
    def make(self, w, engine, d):
        """Return (fn, grads) where fn() runs one forward+backward and grads() returns
        the gradients after a call (for the agreement check)."""
        if w == 1:
            if engine == "numpy":
                x = d["x16"].copy()
                out = {}

                def fn():
                    out["g"] = chain_numpy(x, 40)

                return fn, lambda: [out["g"]]
            ns = cr if engine == "chainrule" else torch
            x = ns.tensor(d["x16"], requires_grad=True)

            def fn():
                x.grad = None
                chain_engine(ns, x, 40)

            return fn, lambda: [x.grad]
        if w == 2:
            if engine == "numpy":
                X, y, params = d["X"], d["y"], [p.copy() for p in d["mlp"]]
                out = {}

                def fn():
                    out["loss"], out["g"] = mlp_numpy(X, y, params)

                return fn, lambda: list(out["g"])
            ns = cr if engine == "chainrule" else torch
            X, y = ns.tensor(d["X"]), ns.tensor(d["y"])
            params = [ns.tensor(p, requires_grad=True) for p in d["mlp"]]

            def fn():
                _clear_grads(params)
                mlp_engine(ns, X, y, params)

            return fn, lambda: [p.grad for p in params]
        if w == 3:
            if engine == "numpy":
                A, B = d["A"].copy(), d["B"].copy()
                out = {}

                def fn():
                    out["s"], out["dA"], out["dB"] = matmul_numpy(A, B)

                return fn, lambda: [out["dA"], out["dB"]]
            ns = cr if engine == "chainrule" else torch
            A = ns.tensor(d["A"], requires_grad=True)
            B = ns.tensor(d["B"], requires_grad=True)

            def fn():
                _clear_grads((A, B))
                matmul_engine(ns, A, B)

            return fn, lambda: [A.grad, B.grad]
        if w == 4:
            if engine == "numpy":
                a = d["a"].copy()
                out = {}

                def fn():
                    out["c"], out["g"] = f_numpy(a)

                return fn, lambda: [out["g"]]
            ns = cr if engine == "chainrule" else torch
            a = ns.tensor(d["a"], requires_grad=True)

            def fn():
                a.grad = None
                f_engine_step(a)

            return fn, lambda: [a.grad]
        raise ValueError(w)

    # ---- agreement of the hand-derived gradients ------------------------------------
    def check(self, w, grads_by_engine):
        ref = grads_by_engine.get("numpy")
        tol = {1: (1e-4, 1e-5), 2: (1e-4, 1e-6), 3: (2e-3, 1e-4), 4: (1e-6, 0), 5: (1e-9, 1e-12)}
        rtol, atol = tol[w]
        for eng in ("chainrule", "torch"):
            g = grads_by_engine.get(eng)
            if g is None:
                continue
            ok = len(g) == len(ref)
            worst = 0.0
            for gn, ge in zip(ref, g, strict=False):
                ge = _to_np(ge)
                gn = _to_np(gn)
                if ge is None or ge.shape != gn.shape:
                    ok = False
                    continue
                ok &= bool(np.allclose(ge, gn, rtol=rtol, atol=atol))
                worst = max(
                    worst, float(np.max(np.abs(ge - gn) / (atol + rtol * np.abs(gn)), initial=0.0))
                )
            self.checks.append(
                {"workload": w, "engine": eng, "ok": ok, "worst_tolerance_fraction": worst}
            )
            status = "agree" if ok else "DISAGREE"
            print(
                f"  check {w}: numpy-by-hand vs {eng:9s} gradients {status} "
                f"(worst |diff| = {worst:.2g} of the tolerance rtol={rtol}, atol={atol})"
            )

    # ---- timed workloads 1-4 ---------------------------------------------------------
    def run_timed(self, w, d):
        name, unit, vs, target = WORKLOADS[w]
        scale = {"us/op": 1e6 / 200, "ms/step": 1e3, "ms/call": 1e3, "us/call": 1e6}[unit]
        res = {"name": name, "unit": unit, "ratio_vs": vs, "target": target}
        grads, fns = {}, {}
        for eng in self.engines:
            res[eng] = None
            if not self.have[eng]:
                continue
            try:
                fn, get_grads = self.make(w, eng, d)
                fn()
                grads[eng] = get_grads()
                fns[eng] = fn
            except Exception as exc:  # noqa: BLE001 - report and carry on with the others
                res[eng + "_error"] = f"{type(exc).__name__}: {exc}"
                print(f"  workload {w}: {eng} failed: {type(exc).__name__}: {exc}")
                if self.args.verbose:
                    traceback.print_exc()
        times = timeit_interleaved(fns, self.args.repeats, self.args.min_time)
        for eng, t in times.items():
            res[eng] = t["median"] * scale
            res[eng + "_best"] = t["best"] * scale
            res[eng + "_loops"] = t["loops"]
            res[eng + "_repeats"] = [v * scale for v in t["repeats"]]
        self.check(w, grads)
        self.results[w] = res

    # ---- workload 5: memory ----------------------------------------------------------
    def run_memory(self, d):
        name, unit, vs, target = WORKLOADS[5]
        res = {
            "name": name,
            "unit": unit,
            "ratio_vs": vs,
            "target": target,
            "torch": None,
            "torch_note": "tracemalloc does not see PyTorch's allocator",
        }
        cycles = 1000 // CYCLE
        x0 = d["x_mem"]
        grads = {}
        res["saved_arrays_needed"] = 2 * cycles
        res["saved_bytes_needed_MB"] = 2 * cycles * x0.nbytes / 1e6

        def run_numpy(x):
            return chain_numpy(x, cycles)

        try:
            peak, dt = traced_peak(lambda: x0.copy(), run_numpy)
            res["numpy"], res["numpy_seconds"] = peak / 1e6, dt
            grads["numpy"] = [chain_numpy(x0.copy(), cycles)]
        except Exception as exc:  # noqa: BLE001
            res["numpy"], res["numpy_error"] = None, f"{type(exc).__name__}: {exc}"
        if cr is not None:

            def run_cr(x):
                chain_engine(cr, x, cycles)
                return x  # x.grad stays alive until the peak is read

            try:
                peak, dt = traced_peak(lambda: cr.tensor(x0, requires_grad=True), run_cr)
                res["chainrule"], res["chainrule_seconds"] = peak / 1e6, dt
                x = cr.tensor(x0, requires_grad=True)
                grads["chainrule"] = [chain_engine(cr, x, cycles)]
            except Exception as exc:  # noqa: BLE001
                res["chainrule"] = None
                res["chainrule_error"] = f"{type(exc).__name__}: {exc}"
                print(f"  workload 5: chainrule failed: {type(exc).__name__}: {exc}")
                if self.args.verbose:
                    traceback.print_exc()
        else:
            res["chainrule"] = None
        if torch is not None:  # gradients only, for the agreement check
            x = torch.tensor(x0, requires_grad=True)
            grads["torch"] = [chain_engine(torch, x, cycles)]
        self.check(5, grads)
        self.results[5] = res

    # ---- 100,000-op chain ------------------------------------------------------------
    def run_deep(self):
        n = 100_000
        out = {"ops": n}
        for eng, ns in (("chainrule", cr), ("torch", torch)):
            if ns is None:
                continue
            try:
                x = ns.ones(1, requires_grad=True)
                t0 = time.perf_counter()
                y = x
                for _ in range(n // 2):
                    y = y * 1.0
                    y = y + 0.0
                t1 = time.perf_counter()
                y.sum().backward()
                t2 = time.perf_counter()
                ok = float(x.grad[0]) == 1.0
                del y
                gc.collect()
                t3 = time.perf_counter()
                out[eng] = {
                    "ok": ok,
                    "forward_s": t1 - t0,
                    "backward_s": t2 - t1,
                    "teardown_s": t3 - t2,
                }
            except RecursionError as exc:
                out[eng] = {"ok": False, "error": f"RecursionError: {exc}"}
            except Exception as exc:  # noqa: BLE001
                out[eng] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        self.results["deep_chain"] = out

    # ---- report ----------------------------------------------------------------------
    def ratio(self, res, vs):
        """chainrule / vs: the median of the paired per-repeat ratios (the ratio of the
        medians goes to the JSON as ``ratio_of_medians_<vs>``)."""
        a, b = res.get("chainrule"), res.get(vs)
        if a is None or b is None or b == 0:
            return None
        res["ratio_of_medians_" + vs] = a / b
        pr = paired_ratio(res.get("chainrule_repeats"), res.get(vs + "_repeats"))
        return a / b if pr is None else pr

    def table(self):
        def fmt(v, unit):
            if v is None:
                return "n/a"
            return f"{v:.2f}" if v < 10 else f"{v:.1f}"

        hdr = (
            f"{'#':<2} {'workload':<42} {'unit':<8} {'chainrule':>10} {'numpy-hand':>10} "
            f"{'torch':>9} {'cr/numpy':>9} {'cr/torch':>9} {'target':>14} {'result':>6}"
        )
        lines = [hdr, "-" * len(hdr)]
        for w in sorted(k for k in self.results if isinstance(k, int)):
            r = self.results[w]
            rn, rt = self.ratio(r, "numpy"), self.ratio(r, "torch")
            r["ratio_numpy"], r["ratio_torch"] = rn, rt
            main = rn if r["ratio_vs"] == "numpy" else rt
            r["ratio"] = main
            r["pass"] = None if main is None else main <= r["target"]
            verdict = "n/a" if main is None else ("PASS" if r["pass"] else "MISS")
            tgt = f"<= {r['target']:.2f}x {r['ratio_vs']}"
            lines.append(
                f"{w:<2} {r['name']:<42} {r['unit']:<8} {fmt(r.get('chainrule'), r['unit']):>10} "
                f"{fmt(r.get('numpy'), r['unit']):>10} {fmt(r.get('torch'), r['unit']):>9} "
                f"{'n/a' if rn is None else f'{rn:.2f}x':>9} "
                f"{'n/a' if rt is None else f'{rt:.2f}x':>9} {tgt:>14} {verdict:>6}"
            )
        return "\n".join(lines)

    def meta(self):
        return {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "processor": _cpu_name(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "torch": None if torch is None else torch.__version__,
            "chainrule": None if cr is None else getattr(cr, "__version__", "?"),
            "threads": 1,
            "repeats": self.args.repeats,
            "min_time_s": self.args.min_time,
            "statistic": "times: median of repeats; ratios: median of the per-repeat "
            "ratios; engines interleaved",
        }


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def profile_chainrule(w, bench, d, seconds=2.0):
    """cProfile chainrule's call of workload w; print the top entries."""
    if cr is None:
        print("chainrule does not import; nothing to profile")
        return
    if w == 5:
        x0 = d["x_mem"]

        def fn():
            chain_engine(cr, cr.tensor(x0, requires_grad=True), 200)
    else:
        fn, _ = bench.make(w, "chainrule", d)
    fn()
    n = max(1, int(seconds / max(_loop(fn, 1), 1e-6)))
    prof = cProfile.Profile()
    prof.enable()
    _loop(fn, n)
    prof.disable()
    print(f"\ncProfile of chainrule, workload {w} ({WORKLOADS[w][0]}), {n} calls:")
    st = pstats.Stats(prof).strip_dirs()
    st.sort_stats("tottime").print_stats(25)
    st.sort_stats("cumulative").print_stats(25)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 repeats of >= 0.05 s")
    p.add_argument("--json", metavar="PATH", help="write the numbers as JSON")
    p.add_argument("--only", default="1,2,3,4,5", help="workloads to run, e.g. 1,4")
    p.add_argument("--no-deep", action="store_true", help="skip the 100,000-op chain")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--min-time", type=float, default=None)
    p.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="only cProfile chainrule on workload N and print the top entries",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="tracebacks of failures")
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 15
    if args.min_time is None:
        args.min_time = 0.05 if args.quick else 0.1

    bench = Bench(args)
    d = bench.data()
    if args.profile:
        profile_chainrule(args.profile, bench, d)
        return 0

    t_start = time.perf_counter()
    m = bench.meta()
    print(f"chainrule foundation benchmark  {m['date']}")
    print(
        f"python {m['python']}, numpy {m['numpy']}, torch {m['torch']}, "
        f"chainrule {m['chainrule']}; {m['cpu_count']} cores ({m['processor']}), "
        f"1 thread; median of {args.repeats} interleaved repeats of >= {args.min_time} s "
        "(ratios: median of the per-repeat ratios)"
    )
    if cr is None:
        print("chainrule does not import; its column reads n/a:\n" + CR_IMPORT_ERROR)
    only = {int(s) for s in args.only.split(",") if s.strip()}
    for w in sorted(only):
        print(f"workload {w}: {WORKLOADS[w][0]} ...", flush=True)
        if w == 5:
            bench.run_memory(d)
        else:
            bench.run_timed(w, d)
    if 4 in only:
        a = d["a"]
        _, g = f_numpy(a.copy())
        k = int(round(np.log2(abs(float(g)) / (100 if a < 0 else 1))))
        print(
            f"  workload 4: a = {float(a):.6f}, {k - 1} iterations of the while loop, "
            f"{'else (c = 100*b)' if a < 0 else 'if (c = b)'} branch, dc/da = {float(g):g}"
        )
    if not args.no_deep:
        print("chain of 100,000 ops (x*1.0, x+0.0 on a (1,) tensor) ...", flush=True)
        bench.run_deep()

    print()
    print(bench.table())
    r5 = bench.results.get(5)
    if r5:
        print(
            f"   (5: the rules need {r5['saved_arrays_needed']} saved arrays = "
            f"{r5['saved_bytes_needed_MB']:.1f} MB; forward+backward took "
            + ", ".join(
                f"{e} {r5[e + '_seconds']:.2f} s"
                for e in ("chainrule", "numpy")
                if r5.get(e + "_seconds") is not None
            )
            + " under tracemalloc)"
        )
    for w, r in sorted((k, v) for k, v in bench.results.items() if isinstance(k, int)):
        for e in bench.engines:
            if r.get(e + "_error"):
                print(f"   ({w}: {e} failed: {r[e + '_error']})")
    deep = bench.results.get("deep_chain")
    if deep:
        for eng in ("chainrule", "torch"):
            r = deep.get(eng)
            if r is None:
                continue
            if "error" in r:
                print(f"100,000-op chain, {eng}: FAIL ({r['error']})")
            else:
                print(
                    f"100,000-op chain, {eng}: {'ok' if r['ok'] else 'WRONG GRADIENT'}; "
                    f"forward {r['forward_s']:.2f} s, backward {r['backward_s']:.2f} s, "
                    f"teardown {r['teardown_s']:.2f} s"
                )
    bad = [c for c in bench.checks if not c["ok"]]
    if bad:
        print(
            "GRADIENT DISAGREEMENT: "
            + ", ".join(f"workload {c['workload']} {c['engine']}" for c in bad)
        )
    total = time.perf_counter() - t_start
    print(f"total {total:.0f} s")
    if args.json:
        out = {
            "meta": m,
            "total_seconds": total,
            "checks": bench.checks,
            "workloads": {str(k): v for k, v in bench.results.items()},
        }
        Path(args.json).write_text(json.dumps(out, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
