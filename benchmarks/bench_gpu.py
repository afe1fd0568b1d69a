#!/usr/bin/env python
"""Side-by-side GPU benchmark: chainrule on CUDA (CuPy) next to PyTorch CUDA.

    python benchmarks/bench_gpu.py [--quick] [--repeats N] [--only 1,3] [--json PATH]

For each workload, in one process, float32, forward + backward, it times

* chainrule on the GPU    (`import chainrule as cr`, tensors and modules moved with
                           ``.to("cuda")``, the PyTorch-style API);
* PyTorch CUDA            (when torch is importable and ``torch.cuda.is_available()``;
                           otherwise its columns read "-").

Both libraries run the very same Python function (the module is passed in as ``lib``)
from the same NumPy data and the same initial weights, so they make the same calls;
before timing, one call of each is compared (losses, gradients) and the result printed.

Workloads:

1. MLP 784-256-256-10 step (Linear-ReLU-Linear-ReLU-Linear, cross_entropy, SGD lr 0.1,
   zero_grad) at batch 128: the arrays are small, so this says how much per-op overhead
   costs on a GPU; no target, the per-step overhead over PyTorch is printed in us.
2. The same step at batch 4096: target chainrule <= 1.5x PyTorch CUDA.
3. ``tanh(A @ B).sum()`` with 4096x4096 float32 A and B requiring grad, forward +
   backward (three matmuls): target chainrule <= 1.2x PyTorch CUDA.

Timing: each engine's call is run --warmup times (3; CuPy compiles its kernels on first
use), then a loop count is picked so that one repeat lasts at least --min-time seconds
(0.1 s), and the median over --repeats repeats (15) of the per-call time is reported.
Every timed loop is bracketed by ``chainrule.cuda.synchronize()`` (or
``torch.cuda.synchronize()``), so that the time is the device's, not the launch queue's.
The engines' repeats are interleaved (chainrule, torch, chainrule, torch, ...); a ratio
is the median over repeats of the two engines' ratio within the repeat. --quick uses 3
repeats of >= 0.02 s and 1 warm-up call.

TF32 stays at each library's default (off for float32 matmuls in both: PyTorch's
``torch.backends.cuda.matmul.allow_tf32`` and CuPy's ``CUPY_TF32``); the header prints it.

Without a GPU (CuPy not installed, no CUDA device, or no ``chainrule.cuda`` in this
checkout) the script prints one line saying which and exits 0.
"""

import argparse
import datetime
import gc
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "src" / "chainrule").is_dir():  # benchmark this checkout, installed or not
    sys.path.insert(0, str(ROOT / "src"))

try:
    import torch  # the real PyTorch; chainrule is `cr` here
except ImportError:  # PyTorch is optional: its columns read "-"
    torch = None

try:
    import chainrule as cr
except Exception:  # noqa: BLE001 - the core may be half-written; report why and exit 0
    cr = None
    CR_IMPORT_ERROR = traceback.format_exc(limit=1).strip().splitlines()[-1]
else:
    CR_IMPORT_ERROR = None

DEVICE = "cuda"


# --------------------------------------------------------------------------------------
# is there a GPU?
# --------------------------------------------------------------------------------------


def gpu_missing():
    """None when chainrule can run on a CUDA device, else why not (one line)."""
    if cr is None:
        return f"chainrule does not import ({CR_IMPORT_ERROR})"
    reasons = []
    if importlib.util.find_spec("cupy") is None:
        reasons.append("CuPy is not installed (pip install 'chainrule[gpu]')")
    cuda = getattr(cr, "cuda", None)
    if cuda is None:
        reasons.append("chainrule.cuda is absent in this checkout")
    if reasons:
        return "; ".join(reasons)
    try:
        if not cuda.is_available():
            return "no CUDA device (chainrule.cuda.is_available() is False)"
    except Exception as exc:  # noqa: BLE001 - a half-written cuda module counts as absent
        return f"chainrule.cuda.is_available() failed: {type(exc).__name__}: {exc}"
    return None


def torch_cuda_ok():
    if torch is None:
        return False
    try:
        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001
        return False


# --------------------------------------------------------------------------------------
# measurement helpers
# --------------------------------------------------------------------------------------


def _loop(fn, n, sync):
    """Seconds for n calls of fn, the device synchronised before and after."""
    sync()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    sync()
    return time.perf_counter() - t0


def calibrate(fn, sync, min_time, warmup):
    """Warm up, then the loop count (timeit's autorange) that lasts >= min_time."""
    for _ in range(warmup):
        fn()
    sync()
    gc.collect()
    n = 1
    while True:
        t = _loop(fn, n, sync)
        if t >= min_time:
            return n
        n = max(2 * n, int(n * 1.2 * min_time / max(t, 1e-9)))


def timeit_interleaved(engines, repeats, min_time, warmup):
    """Median and best seconds per call of each engine (a dict name -> (fn, sync)).

    The engines' repeats are interleaved (A B A B ...), so that a change in the
    machine's load falls on both alike and the ratios stay fair."""
    loops = {k: calibrate(fn, sync, min_time, warmup) for k, (fn, sync) in engines.items()}
    per_call = {k: [] for k in engines}
    for _ in range(repeats):
        for k, (fn, sync) in engines.items():
            gc.collect()
            per_call[k].append(_loop(fn, loops[k], sync) / loops[k])
    return {
        k: {"median": statistics.median(v), "best": min(v), "loops": loops[k], "repeats": v}
        for k, v in per_call.items()
    }


def paired(a, b, op):
    """Median over repeats of op(a's time, b's time) within the same repeat."""
    if not a or not b:
        return None
    return statistics.median(op(x, y) for x, y in zip(a, b, strict=True))


def _host(t):
    """A device tensor (chainrule or torch) as a float64 ndarray on the host."""
    return np.asarray(t.detach().cpu().numpy(), dtype=np.float64)


def _rel_err(a, b):
    a, b = _host(a), _host(b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


# --------------------------------------------------------------------------------------
# workloads: one function for both libraries (`lib` is chainrule or torch)
# --------------------------------------------------------------------------------------

WORKLOADS = {
    1: ("MLP 784-256-256-10 step, batch 128", None),
    2: ("MLP 784-256-256-10 step, batch 4096", 1.5),
    3: ("sum(tanh(A @ B)), 4096x4096 f32", 1.2),
}
MLP_SIZES = (784, 256, 256, 10)


def mlp_data(batch, seed):
    """Inputs, labels and Linear-initialised weights (PyTorch's default init), as NumPy,
    with the state_dict keys of the Sequential below."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, MLP_SIZES[-1], size=batch).astype(np.int64)
    state = {}
    for i, (n_in, n_out) in enumerate(zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True)):
        bound = 1.0 / np.sqrt(n_in)
        state[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        state[f"{2 * i}.bias"] = rng.uniform(-bound, bound, n_out).astype(np.float32)
    return X, y, state


def make_mlp(lib, X, y, state):
    """One training step (a callable returning the loss) on the device."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Linear(MLP_SIZES[0], MLP_SIZES[1]),
        nn.ReLU(),
        nn.Linear(MLP_SIZES[1], MLP_SIZES[2]),
        nn.ReLU(),
        nn.Linear(MLP_SIZES[2], MLP_SIZES[3]),
    )
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    model.to(DEVICE)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    Xd = lib.tensor(X).to(DEVICE)
    yd = lib.tensor(y).to(DEVICE)
    cross_entropy = nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(Xd), yd)
        loss.backward()
        opt.step()
        return loss

    return step


def matmul_data(n, seed):
    rng = np.random.default_rng(seed)
    s = n**-0.25  # (A @ B) entries ~ N(0, 1): tanh neither saturated nor linear
    A = (rng.standard_normal((n, n)) * s).astype(np.float32)
    B = (rng.standard_normal((n, n)) * s).astype(np.float32)
    return A, B


def make_matmul(lib, A_np, B_np):
    A = lib.tensor(A_np).to(DEVICE).requires_grad_()
    B = lib.tensor(B_np).to(DEVICE).requires_grad_()

    def call():
        A.grad = None
        B.grad = None
        s = lib.tanh(A @ B).sum()
        s.backward()
        return s

    return call, (A, B)


# --------------------------------------------------------------------------------------
# the benchmark
# --------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, libs):
        self.args = args
        self.libs = libs  # name -> (module, synchronize)
        self.results = {}
        self.checks = []

    def make(self, w, lib):
        """(fn, check) for workload w: fn() runs one step; check() -> values to compare."""
        if w in (1, 2):
            X, y, state = mlp_data(128 if w == 1 else 4096, seed=w)
            step = make_mlp(lib, X, y, state)
            # the losses of two steps from the same weights: forward, backward and SGD
            return step, lambda: [step(), step()]
        if w == 3:
            fn, (A, B) = make_matmul(lib, *matmul_data(4096, seed=3))

            def check():
                s = fn()
                return [s, A.grad, B.grad]

            return fn, check
        raise ValueError(w)

    def compare(self, w, values):
        if len(values) < 2:
            return
        a, b = values["chainrule"], values["torch"]
        worst = max(_rel_err(x, y) for x, y in zip(a, b, strict=True))
        tol = 1e-4 if w in (1, 2) else 1e-3
        ok = worst <= tol
        self.checks.append({"workload": w, "ok": ok, "worst_rel_err": worst, "tol": tol})
        what = "2 step losses" if w in (1, 2) else "sum, A.grad, B.grad"
        print(
            f"  check {w}: chainrule vs torch {what} {'agree' if ok else 'DISAGREE'} "
            f"(worst relative error {worst:.2g}, tolerance {tol:g})"
        )

    def run(self, w):
        name, target = WORKLOADS[w]
        res = {"name": name, "target": target, "chainrule": None, "torch": None}
        engines, values = {}, {}
        for eng, (lib, sync) in self.libs.items():
            try:
                fn, check = self.make(w, lib)
                values[eng] = check()
                sync()
                engines[eng] = (fn, sync)
            except Exception as exc:  # noqa: BLE001 - report and carry on with the other
                res[eng + "_error"] = f"{type(exc).__name__}: {exc}"
                print(f"  workload {w}: {eng} failed: {type(exc).__name__}: {exc}")
                if self.args.verbose:
                    traceback.print_exc()
        self.compare(w, values)
        if engines:
            times = timeit_interleaved(
                engines, self.args.repeats, self.args.min_time, self.args.warmup
            )
            for eng, t in times.items():
                res[eng] = t["median"] * 1e3
                res[eng + "_best"] = t["best"] * 1e3
                res[eng + "_loops"] = t["loops"]
                res[eng + "_repeats"] = [v * 1e3 for v in t["repeats"]]
        a, b = res.get("chainrule_repeats"), res.get("torch_repeats")
        res["ratio"] = paired(a, b, lambda x, y: x / y)
        res["overhead_us"] = paired(a, b, lambda x, y: (x - y) * 1e3)
        if res["ratio"] is not None:
            res["ratio_of_medians"] = res["chainrule"] / res["torch"]
        res["pass"] = None if target is None or res["ratio"] is None else res["ratio"] <= target
        self.results[w] = res
        del engines, values
        gc.collect()

    def table(self):
        def ms(v):
            return "-" if v is None else (f"{v:.3f}" if v < 10 else f"{v:.1f}")

        hdr = (
            f"{'#':<2} {'workload':<38} {'chainrule ms':>12} {'torch ms':>9} "
            f"{'ratio':>7} {'target':>8} {'result':>6}"
        )
        lines = [hdr, "-" * len(hdr)]
        for w, r in sorted(self.results.items()):
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
            target = "-" if r["target"] is None else f"<= {r['target']:.1f}x"
            verdict = "-" if r["pass"] is None else ("PASS" if r["pass"] else "MISS")
            if r["chainrule"] is None and r.get("chainrule_error"):
                verdict = "FAIL"
            lines.append(
                f"{w:<2} {r['name']:<38} {ms(r['chainrule']):>12} {ms(r['torch']):>9} "
                f"{ratio:>7} {target:>8} {verdict:>6}"
            )
        return "\n".join(lines)


def _version(modname):
    try:
        return importlib.import_module(modname).__version__
    except Exception:  # noqa: BLE001
        return None


def _device_name(torch_ok):
    try:
        return cr.cuda.get_device_name()
    except Exception:  # noqa: BLE001 - fall back on PyTorch's name for the device
        return torch.cuda.get_device_name() if torch_ok else "?"


def meta(args, torch_ok):
    tf32 = None
    if torch_ok:
        tf32 = bool(torch.backends.cuda.matmul.allow_tf32)
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "device": _device_name(torch_ok),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cupy": _version("cupy"),
        "torch": None if torch is None else torch.__version__,
        "torch_cuda": torch_ok,
        "torch_cuda_version": getattr(getattr(torch, "version", None), "cuda", None),
        "chainrule": getattr(cr, "__version__", "?"),
        "torch_allow_tf32": tf32,
        "CUPY_TF32": os.environ.get("CUPY_TF32", "0"),
        "repeats": args.repeats,
        "min_time_s": args.min_time,
        "warmup": args.warmup,
        "statistic": "times: median of repeats; ratios: median of the per-repeat "
        "ratios; engines interleaved; device synchronised around every timed loop",
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 repeats of >= 0.02 s, 1 warm-up")
    p.add_argument("--json", metavar="PATH", help="write the numbers as JSON")
    p.add_argument("--only", default="1,2,3", help="workloads to run, e.g. 1,3")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats (15)")
    p.add_argument("--min-time", type=float, default=None, help="seconds per repeat (0.1)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up calls (3)")
    p.add_argument("-v", "--verbose", action="store_true", help="tracebacks of failures")
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 15
    if args.min_time is None:
        args.min_time = 0.02 if args.quick else 0.1
    if args.warmup is None:
        args.warmup = 1 if args.quick else 3

    why = gpu_missing()
    if why is not None:
        print(f"bench_gpu: no GPU to benchmark, skipped: {why}")
        return 0

    torch_ok = torch_cuda_ok()
    libs = {"chainrule": (cr, cr.cuda.synchronize)}
    if torch_ok:
        libs["torch"] = (torch, torch.cuda.synchronize)
        torch.manual_seed(0)
        torch.cuda.manual_seed(0)
    cr.manual_seed(0)
    cr.cuda.manual_seed(0)

    t_start = time.perf_counter()
    m = meta(args, torch_ok)
    print(f"chainrule GPU benchmark  {m['date']}")
    print(
        f"device {m['device']}; python {m['python']}, numpy {m['numpy']}, "
        f"cupy {m['cupy']}, torch {m['torch']} (CUDA {m['torch_cuda_version']}), "
        f"chainrule {m['chainrule']}"
    )
    print(
        f"float32; TF32 matmul: torch allow_tf32={m['torch_allow_tf32']}, "
        f"CUPY_TF32={m['CUPY_TF32']}; {args.warmup} warm-up call(s), median of "
        f"{args.repeats} interleaved repeats of >= {args.min_time} s "
        "(ratios: median of the per-repeat ratios)"
    )
    if not torch_ok:
        why_torch = "not installed" if torch is None else "torch.cuda.is_available() is False"
        print(f"PyTorch CUDA is unavailable ({why_torch}): chainrule runs alone")

    only = {int(s) for s in args.only.split(",") if s.strip()}
    bench = Bench(args, libs)
    for w in sorted(only):
        print(f"workload {w}: {WORKLOADS[w][0]} ...", flush=True)
        bench.run(w)

    print()
    print(bench.table())
    r1 = bench.results.get(1)
    if r1 and r1["overhead_us"] is not None:
        print(
            f"   (1: chainrule's per-step overhead over PyTorch CUDA at batch 128: "
            f"{r1['overhead_us']:.0f} us per step; the arrays are small, so this is the "
            "cost of chainrule's per-op work on a GPU)"
        )
    for w, r in sorted(bench.results.items()):
        for eng in libs:
            if r.get(eng + "_error"):
                print(f"   ({w}: {eng} failed: {r[eng + '_error']})")
    bad = [c for c in bench.checks if not c["ok"]]
    if bad:
        print("DISAGREEMENT: " + ", ".join(f"workload {c['workload']}" for c in bad))
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
