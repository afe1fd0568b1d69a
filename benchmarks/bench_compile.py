#!/usr/bin/env python
"""Side-by-side benchmark of lowered explicit graphs (issue 13, "Compilation").

    python benchmarks/bench_compile.py [--part chain|mlp|memory|cost] [--quick] [--json PATH]

The graphs are written with ``chainrule.sym`` (``sym.var``, the usual operators,
``sym.grad``) and made callable with ``sym.function``, which optimizes them and lowers
each signature to a straight-line Python function (``f.source``). In one run and
single-threaded, each part compares

* compiled       the ``sym.function`` (its first call, which interprets and lowers, is
                 made before timing; the ``cost`` part times that);
* eager          chainrule's tensors with ``.backward()`` (bench_foundation's functions);
* NumPy by hand  the same array calls with hand-derived gradients (bench_foundation's);
* PyTorch eager  bench_foundation's engine function with ``torch`` (when importable);
* JAX jit        ``jax.jit(jax.grad(...))`` of the same forward (when importable; on one
                 thread, ``XLA_FLAGS``), for the chain and the MLP.

Parts:

* ``chain``: workload 1 of bench_foundation, a chain of 200 elementwise ops
  (``x*1.0001``, ``+0.001``, ``tanh``, ``exp``, ``-1``, 40 times) on a (16,) float32
  vector, forward + backward, in us per op. Target: compiled <= 1.1x NumPy by hand.
* ``mlp``: workload 2, the MLP 784-256-256-10 (relu) step at batch 128, float32:
  forward, softmax cross-entropy loss and the six parameter gradients, in ms. The
  compiled graph reads the targets as a one-hot matrix (``-(logp * Y).sum() / n``):
  gathering with integer indices (``logp[arange(n), y]``) is not an explicit-graph
  primitive yet. NumPy by hand and the eager engines gather, as in bench_foundation.
  Target: compiled <= 1.0x NumPy by hand.
* ``memory``: workload 5, a chain of 1,000 elementwise ops on a (100000,) float64
  vector, forward + backward: tracemalloc's peak during the call minus the traced
  memory just before it (NumPy reports its data allocations to tracemalloc), in MB.
  The compiled function's buffers kept between calls are dropped first
  (``f.clear_buffers()``), so that its peak includes them. Compiled with recomputation
  (``sym.function``'s default chooses it here: see ``passes.remat``) and without it.
  Target: compiled <= 0.5x eager.
* ``cost``: what lowering costs, for the chain and the MLP: tracing (building the graph
  with sym.var and the operators, and ``sym.grad``), then the first call
  (``sym.optimize``, the interpreted probe, the lowering and ``compile()``), against the
  time each later call saves over eager chainrule: the number of calls after which
  compiling pays off.

Timing works as in bench_foundation (its helpers): a warm-up call, loops of >= 0.1 s,
15 interleaved repeats (3 of >= 0.05 s with --quick), medians; a ratio is the median of
the per-repeat ratios. The garbage collector stays on and is emptied before each repeat.
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
# JAX (XLA) on one thread too, when it is installed
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "")
    + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
).strip()

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_foundation import (  # noqa: E402  (it puts this checkout's src/ first)
    CYCLE,
    _cpu_name,
    chain_engine,
    chain_numpy,
    mlp_engine,
    mlp_numpy,
    paired_ratio,
    timeit_interleaved,
    torch,
    traced_peak,
)

import chainrule as cr  # noqa: E402
from chainrule import sym  # noqa: E402

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # JAX is optional: its column reads n/a
    jax = None

MLP_SHAPES = [(784, 256), (256,), (256, 256), (256,), (256, 10), (10,)]


# --------------------------------------------------------------------------------------
# the graphs
# --------------------------------------------------------------------------------------


def chain_forward(y, cycles):
    """bench_foundation's chain (chain_engine), forward only, on any chainrule tensor."""
    for _ in range(cycles):
        y = y * 1.0001
        y = y + 0.001
        y = cr.tanh(y)
        y = cr.exp(y)
        y = y - 1
    return y


def chain_graph(n, cycles, dtype):
    """Tracing: the chain's gradient as an explicit graph. Returns (x, dx)."""
    x = sym.var("x", (n,), dtype)
    (dx,) = sym.grad(chain_forward(x, cycles).sum(), [x])
    return x, dx


def mlp_graph(batch=128):
    """Tracing: the MLP's loss and parameter gradients. Returns (inputs, outputs)."""
    X = sym.var("X", (batch, 784))
    Y = sym.var("Y", (batch, 10))  # one-hot targets
    P = [sym.var(f"p{i}", s) for i, s in enumerate(MLP_SHAPES)]
    W1, b1, W2, b2, W3, b3 = P
    h1 = cr.relu(X @ W1 + b1)
    h2 = cr.relu(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    logp = logits - cr.logsumexp(logits, dim=1, keepdim=True)
    loss = -(logp * Y).sum() / batch
    return [X, Y, *P], [loss, *sym.grad(loss, P)]


def jax_chain(cycles):
    """JAX: jit of the gradient of the chain's sum."""

    def f(x):
        y = x
        for _ in range(cycles):
            y = jnp.exp(jnp.tanh(y * 1.0001 + 0.001)) - 1
        return y.sum()

    return jax.jit(jax.grad(f))


def jax_mlp():
    """JAX: jit of the MLP's loss and parameter gradients (gathering, as bench_foundation)."""

    def loss(params, X, y):
        W1, b1, W2, b2, W3, b3 = params
        h1 = jax.nn.relu(X @ W1 + b1)
        h2 = jax.nn.relu(h1 @ W2 + b2)
        logits = h2 @ W3 + b3
        logp = logits - jax.scipy.special.logsumexp(logits, axis=1, keepdims=True)
        return -logp[jnp.arange(logits.shape[0]), y].mean()

    return jax.jit(jax.value_and_grad(loss))


# --------------------------------------------------------------------------------------
# data and checks
# --------------------------------------------------------------------------------------


def data():
    rng = np.random.default_rng(0)  # bench_foundation's draws, in its order
    d = {"x16": rng.standard_normal(16).astype(np.float32)}
    d["X"] = rng.standard_normal((128, 784)).astype(np.float32)
    d["y"] = rng.integers(0, 10, size=128).astype(np.int64)
    d["mlp"] = [
        (rng.standard_normal(s) * (np.sqrt(2.0 / s[0]) if len(s) == 2 else 0.01)).astype(np.float32)
        for s in MLP_SHAPES
    ]
    d["Y"] = np.eye(10, dtype=np.float32)[d["y"]]
    d["x_mem"] = np.random.default_rng(1).standard_normal(100_000)
    return d


def check(what, got, want, rtol, atol):
    worst = 0.0
    ok = len(got) == len(want)
    for g, w in zip(got, want, strict=False):
        g = np.asarray(g.numpy() if hasattr(g, "numpy") else g, dtype=np.float64)
        w = np.asarray(w.detach().numpy() if hasattr(w, "detach") else w, dtype=np.float64)
        ok &= g.shape == w.shape and bool(np.allclose(g, w, rtol=rtol, atol=atol))
        if g.shape == w.shape:
            worst = max(worst, float(np.max(np.abs(g - w) / (atol + rtol * np.abs(w)))))
    print(
        f"  check {what}: {'agree' if ok else 'DISAGREE'} (worst |diff| = {worst:.2g} of "
        f"the tolerance rtol={rtol}, atol={atol})"
    )
    return ok


# --------------------------------------------------------------------------------------
# the parts
# --------------------------------------------------------------------------------------


def _timed(fns, args, scale):
    t = timeit_interleaved(fns, args.repeats, args.min_time)
    out = {k: v["median"] * scale for k, v in t.items()}
    reps = {k: [x * scale for x in v["repeats"]] for k, v in t.items()}
    return out, reps


def part_chain(args, d, res):
    print("chain: 200 elementwise ops on a (16,) float32 vector, forward + backward")
    x, dx = chain_graph(16, 40, cr.float32)
    f = sym.function([x], dx)
    xv = d["x16"].copy()
    f(xv)  # interprets once and lowers
    low = next(iter(f.lowerings.values()))
    print(f"  lowered: {low}")
    xt = cr.tensor(xv, requires_grad=True)
    fns = {
        "compiled": lambda: f(xv),
        "numpy": lambda: chain_numpy(xv, 40),
    }

    def eager():
        xt.grad = None
        chain_engine(cr, xt, 40)

    fns["eager"] = eager
    eager()
    ok = check("compiled vs NumPy by hand", [f(xv)], [chain_numpy(xv, 40)], 1e-5, 1e-6)
    ok &= check("compiled vs eager", [f(xv)], [xt.grad], 1e-5, 1e-6)
    if torch is not None:
        tt = torch.tensor(xv, requires_grad=True)

        def torch_fn():
            tt.grad = None
            chain_engine(torch, tt, 40)

        fns["torch"] = torch_fn
    if jax is not None:
        gj, xj = jax_chain(40), jnp.asarray(xv)
        ok &= check("JAX vs NumPy by hand", [np.asarray(gj(xj))], [chain_numpy(xv, 40)], 1e-5, 1e-6)
        fns["jax"] = lambda: gj(xj).block_until_ready()
    t, reps = _timed(fns, args, 1e6 / 200)
    res["chain"] = _row(
        "chain of 200 elementwise ops, (16,) f32", "us/op", t, reps, "numpy", 1.1, ok
    )
    res["chain"]["lowered"] = repr(low)


def part_mlp(args, d, res):
    print("mlp: MLP 784-256-256-10 step (forward, loss, gradients), batch 128, float32")
    ins, outs = mlp_graph()
    f = sym.function(ins, outs)
    X, Y, y, params = d["X"], d["Y"], d["y"], [p.copy() for p in d["mlp"]]
    f(X, Y, *params)
    low = next(iter(f.lowerings.values()))
    print(f"  lowered: {low}")
    loss_np, grads_np = mlp_numpy(X, y, params)
    got = f(X, Y, *params)
    ok = check("compiled vs NumPy by hand", got, [loss_np, *grads_np], 1e-4, 1e-6)
    Xt, yt = cr.tensor(X), cr.tensor(y)
    pt = [cr.tensor(p, requires_grad=True) for p in params]

    def eager():
        for p in pt:
            p.grad = None
        mlp_engine(cr, Xt, yt, pt)

    fns = {
        "compiled": lambda: f(X, Y, *params),
        "numpy": lambda: mlp_numpy(X, y, params),
        "eager": eager,
    }
    if torch is not None:
        Xq, yq = torch.tensor(X), torch.tensor(y)
        pq = [torch.tensor(p, requires_grad=True) for p in params]

        def torch_fn():
            for p in pq:
                p.grad = None
            mlp_engine(torch, Xq, yq, pq)

        fns["torch"] = torch_fn
    if jax is not None:
        vg = jax_mlp()
        pj, Xj, yj = [jnp.asarray(p) for p in params], jnp.asarray(X), jnp.asarray(y)
        lj, gj = vg(pj, Xj, yj)
        ok &= check("JAX vs NumPy by hand", [lj, *gj], [loss_np, *grads_np], 1e-4, 1e-6)
        fns["jax"] = lambda: jax.block_until_ready(vg(pj, Xj, yj))
    t, reps = _timed(fns, args, 1e3)
    res["mlp"] = _row("MLP 784-256-256-10 step, batch 128", "ms/step", t, reps, "numpy", 1.0, ok)
    res["mlp"]["lowered"] = repr(low)


def part_memory(args, d, res):
    print("memory: 1,000 elementwise ops on a (100000,) float64 vector, forward + backward")
    cycles = 1000 // CYCLE
    x0 = d["x_mem"]
    t0 = time.perf_counter()
    x, dx = chain_graph(x0.size, cycles, cr.float64)
    t1 = time.perf_counter()
    row = {"name": "peak memory, 1000-op chain, (100000,) f64", "unit": "MB"}
    row["trace_s"] = t1 - t0
    want = chain_numpy(x0.copy(), cycles)
    ok = True
    for key, remat in (("compiled", None), ("compiled_no_remat", False)):
        f = sym.function([x], dx, remat=remat)
        t0 = time.perf_counter()
        f(x0)
        row[key + "_first_call_s"] = time.perf_counter() - t0
        low = next(iter(f.lowerings.values()))
        row[key + "_lowered"] = repr(low)
        row[key + "_estimate"] = low.peak_estimate / 1e6
        ok &= check(f"{key} vs NumPy by hand", [f(x0)], [want], 1e-9, 1e-12)
        f.clear_buffers()
        peak, dt = traced_peak(lambda: x0.copy(), lambda a, f=f: f(a))
        row[key], row[key + "_seconds"] = peak / 1e6, dt
        row[key + "_held_between_calls"] = low.buffer_bytes / 1e6 if low.pooled else 0.0
        print(f"  {key}: {low}")
    peak, dt = traced_peak(lambda: x0.copy(), lambda a: chain_numpy(a, cycles))
    row["numpy"], row["numpy_seconds"] = peak / 1e6, dt

    def run_eager(xt):
        chain_engine(cr, xt, cycles)
        return xt  # x.grad stays alive until the peak is read

    peak, dt = traced_peak(lambda: cr.tensor(x0, requires_grad=True), run_eager)
    row["eager"], row["eager_seconds"] = peak / 1e6, dt
    row["torch"] = None  # tracemalloc does not see PyTorch's allocator
    row["ratio_vs"], row["target"] = "eager", 0.5
    row["ratio"] = row["compiled"] / row["eager"]
    row["pass"] = ok and row["ratio"] <= 0.5
    row["check"] = ok
    # call times outside tracemalloc (it slows allocation-heavy code)
    fns = {
        "compiled": lambda: f_auto(x0),
        "compiled_no_remat": lambda: f_plain(x0),
        "numpy": lambda: chain_numpy(x0, cycles),
    }
    f_auto = sym.function([x], dx)
    f_plain = sym.function([x], dx, remat=False)
    f_auto(x0), f_plain(x0)
    xt = cr.tensor(x0, requires_grad=True)

    def eager():
        xt.grad = None
        chain_engine(cr, xt, cycles)

    fns["eager"] = eager
    reps, mt = max(3, args.repeats // 3), args.min_time
    t = timeit_interleaved(fns, reps, mt)
    row["ms_per_call"] = {k: v["median"] * 1e3 for k, v in t.items()}
    res["memory"] = row


def part_cost(args, d, res):
    print("cost: tracing and lowering, against the time a compiled call saves")
    rows = {}
    for name in ("chain", "mlp"):
        t0 = time.perf_counter()
        if name == "chain":
            x, dx = chain_graph(16, 40, cr.float32)
            ins, outs = [x], dx
            vals = [d["x16"].copy()]
        else:
            ins, outs = mlp_graph()
            vals = [d["X"], d["Y"], *[p.copy() for p in d["mlp"]]]
        t1 = time.perf_counter()
        f = sym.function(ins, outs)
        f(*vals)
        t2 = time.perf_counter()
        low = next(iter(f.lowerings.values()))
        if name == "chain":
            xt = cr.tensor(vals[0], requires_grad=True)

            def eager(xt=xt):
                xt.grad = None
                chain_engine(cr, xt, 40)
        else:
            Xt, yt = cr.tensor(d["X"]), cr.tensor(d["y"])
            pt = [cr.tensor(p, requires_grad=True) for p in d["mlp"]]

            def eager(Xt=Xt, yt=yt, pt=pt):
                for p in pt:
                    p.grad = None
                mlp_engine(cr, Xt, yt, pt)

        t = timeit_interleaved(
            {"compiled": lambda f=f, vals=vals: f(*vals), "eager": eager},
            args.repeats,
            args.min_time,
        )
        ce, cc = t["eager"]["median"], t["compiled"]["median"]
        # the time a call saves: the median of the per-repeat differences (the repeats
        # are interleaved, so each difference compares runs under the same load)
        saved = statistics.median(
            e - c for e, c in zip(t["eager"]["repeats"], t["compiled"]["repeats"], strict=True)
        )
        cost = (t1 - t0) + (t2 - t1)
        rows[name] = {
            "nodes": low.nodes,
            "trace_ms": (t1 - t0) * 1e3,
            "first_call_ms": (t2 - t1) * 1e3,
            "eager_ms": ce * 1e3,
            "compiled_ms": cc * 1e3,
            "saved_per_call_ms": saved * 1e3,
            "break_even_calls": cost / saved if saved > 0 else None,
        }
    # a place for chainrule.compile (tracing eager functions, written elsewhere): its
    # tracing cost would be a third row here, "trace", timed like the rows above
    res["cost"] = rows


def _row(name, unit, t, reps, vs, target, ok):
    row = {"name": name, "unit": unit, "ratio_vs": vs, "target": target, "check": ok}
    row.update(t)
    row["repeats"] = reps
    row["ratio"] = paired_ratio(reps["compiled"], reps[vs])
    row["ratio_eager"] = paired_ratio(reps["compiled"], reps["eager"])
    for other in ("torch", "jax"):
        if other in reps:
            row["ratio_" + other] = paired_ratio(reps["compiled"], reps[other])
    row["pass"] = ok and row["ratio"] <= target
    return row


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------


def table(res):
    def fmt(v):
        if v is None:
            return "n/a"
        return f"{v:.2f}" if v < 10 else f"{v:.1f}"

    hdr = (
        f"{'part':<7} {'workload':<42} {'unit':<8} {'compiled':>9} {'eager':>9} "
        f"{'numpy-hand':>10} {'torch':>8} {'jax-jit':>8} {'ratio':>13} {'target':>15} "
        f"{'result':>6}"
    )
    lines = [hdr, "-" * len(hdr)]
    for part in ("chain", "mlp", "memory"):
        r = res.get(part)
        if r is None:
            continue
        verdict = "PASS" if r["pass"] else "MISS"
        ratio = f"{r['ratio']:.2f}x {r['ratio_vs']}"
        target = f"<= {r['target']}x {r['ratio_vs']}"
        lines.append(
            f"{part:<7} {r['name']:<42} {r['unit']:<8} {fmt(r.get('compiled')):>9} "
            f"{fmt(r.get('eager')):>9} {fmt(r.get('numpy')):>10} {fmt(r.get('torch')):>8} "
            f"{fmt(r.get('jax')):>8} {ratio:>13} {target:>15} {verdict:>6}"
        )
    out = "\n".join(lines)
    for part in ("chain", "mlp"):
        r = res.get(part)
        if r is not None:
            extra = f"compiled/eager {r['ratio_eager']:.2f}x"
            for other in ("torch", "jax"):
                if r.get("ratio_" + other) is not None:
                    extra += f", compiled/{other} {r['ratio_' + other]:.2f}x"
            out += f"\n{part}: {extra}"
    m = res.get("memory")
    if m is not None:
        out += (
            f"\nmemory: compiled without recomputation {m['compiled_no_remat']:.1f} MB "
            f"({m['compiled_no_remat'] / m['eager']:.2f}x eager); compiled holds "
            f"{m['compiled_held_between_calls']:.1f} MB of buffers between calls"
            f"\nmemory: ms per call (outside tracemalloc): "
            + ", ".join(f"{k} {v:.1f}" for k, v in m["ms_per_call"].items())
        )
    c = res.get("cost")
    if c is not None:
        out += (
            "\ncost:   graph    nodes  trace ms  first call ms  eager ms  compiled ms"
            "  saved ms  pays off after"
        )
        for name, r in c.items():
            be = r["break_even_calls"]
            out += (
                f"\n        {name:<8} {r['nodes']:>5} {r['trace_ms']:>9.1f} "
                f"{r['first_call_ms']:>14.1f} {r['eager_ms']:>9.3f} {r['compiled_ms']:>12.3f} "
                f"{r['saved_per_call_ms']:>9.3f}  " + ("never" if be is None else f"{be:.0f} calls")
            )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=["chain", "mlp", "memory", "cost"], action="append")
    ap.add_argument("--quick", action="store_true", help="3 repeats of >= 0.05 s")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--json", type=str, default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.min_time = 3, 0.05
    parts = args.part or ["chain", "mlp", "memory", "cost"]
    d = data()
    res = {}
    for p in parts:
        {"chain": part_chain, "mlp": part_mlp, "memory": part_memory, "cost": part_cost}[p](
            args, d, res
        )
        gc.collect()
    print()
    print(table(res))
    if args.json:
        meta = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "processor": _cpu_name(),
            "numpy": np.__version__,
            "torch": None if torch is None else torch.__version__,
            "jax": None if jax is None else jax.__version__,
            "repeats": args.repeats,
            "min_time_s": args.min_time,
        }
        Path(args.json).write_text(json.dumps({"meta": meta, "results": res}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
