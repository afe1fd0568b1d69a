"""Benchmark of whole models from d2l's chapters, chainrule next to PyTorch (issue 12).

Parts (``--only`` picks some; each prints its ratio and the target):

- ``lenet``: d2l's LeNet (two 5x5 convolutions with sigmoid and average pooling, three
  linear layers), batch 256, 1x28x28, float32; forward, cross-entropy and backward.
  Target: within 2x of PyTorch (the issue's target for convolutions).
- ``resnet``: d2l's Residual block (3x3 convolution, batch norm, ReLU, twice, and the
  identity shortcut), batch 64, 64 channels, 32x32, float32, training mode; forward +
  backward of the output's sum. Target: within 2x of PyTorch.
- ``gru``: a 2-layer GRU (nn.GRU(256, 256, num_layers=2)), batch 32, 35 time steps,
  256 hidden units, float32; forward + backward of ``output.sum() + h_n.sum()``.
  Target: chainrule within 1.5x of PyTorch.
- ``attention``: an Embedding(10000, 256), d2l's 4-head attention (bmm, the masked
  softmax over valid lengths with repeat_interleave) and a Linear(256, 10000) readout,
  batch 32, 35 tokens; forward, cross-entropy and backward. No target in the issue: the
  ratio says where chainrule stands on a transformer-shaped step.

The same function runs on both libraries (``import chainrule as torch`` style), with the
same weights (copied through ``state_dict``) and the same input, single-threaded:
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` are 1 before NumPy
is imported, and ``torch.set_num_threads(1)``. Repeats alternate between the libraries;
the ratio is the median of the per-repeat ratios (the host's load drifts).

Run: python benchmarks/bench_models.py [--quick] [--only lenet,resnet,gru,attention]
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
import math  # noqa: E402
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


# ------------------------------------------------------------------ shared driver
def _run_part(title, build, step, grad_name, target, repeats, min_s):
    """Build the model on both libraries with the same weights (PyTorch's copied into
    chainrule through ``state_dict``), check one gradient agrees, then time the step."""
    print(title)
    ours, inputs_cr = build(cr)
    fns = {"chainrule": step(cr, ours, inputs_cr)}
    if torch is not None:
        theirs, inputs_t = build(torch)
        ours.load_state_dict(
            {k: cr.tensor(v.numpy().copy()) for k, v in theirs.state_dict().items()}
        )
        fns["PyTorch"] = step(torch, theirs, inputs_t)
        fns["chainrule"]()
        fns["PyTorch"]()
        ga = dict(ours.named_parameters())[grad_name].grad.numpy()
        gb = dict(theirs.named_parameters())[grad_name].grad.numpy()
        gap = np.abs(ga - gb).max() / max(np.abs(gb).max(), 1e-30)
        print(f"  max |d {grad_name}| difference to PyTorch (relative): {gap:.1e}")
    res = compare(fns, repeats, min_s)
    for k in fns:
        print(f"  {k:10s} {res[k] * 1e3:8.1f} ms per forward + backward")
    if "ratio" in res:
        r = res["ratio"]
        if target is None:
            print(f"  chainrule / PyTorch = {r:.2f}x (no target: where the time goes)")
        else:
            verdict = "pass" if r <= target else "MISS"
            print(f"  chainrule / PyTorch = {r:.2f}x (target <= {target}x: {verdict})")


def _train_step(lib, model, inputs):
    """Forward, cross-entropy loss on the labels, backward (no optimizer: it is elementwise)."""
    x, y = inputs

    def run():
        model.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()

    return run


# ------------------------------------------------------------------ part: lenet
def lenet_part(repeats: int, min_s: float) -> None:
    """d2l's LeNet (sigmoid, average pooling) on a batch of 256 28x28 images."""
    rng = np.random.default_rng(0)
    x = rng.random((256, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 256)

    def build(lib):
        lib.manual_seed(0)
        nn = lib.nn
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(),
            nn.Linear(84, 10),
        )  # fmt: skip
        return net, (lib.tensor(x), lib.tensor(y))

    _run_part(
        "lenet: d2l's LeNet, batch 256, 1x28x28, float32, fwd + cross-entropy + bwd",
        build, _train_step, "0.weight", 2.0, repeats, min_s,
    )  # fmt: skip


# ------------------------------------------------------------------ part: resnet
def resnet_part(repeats: int, min_s: float) -> None:
    """d2l's Residual block (two 3x3 convolutions with batch norm, identity shortcut),
    batch 64, 64 channels, 32x32, in training mode."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64, 32, 32), dtype=np.float32)

    def build(lib):
        lib.manual_seed(0)
        nn, F = lib.nn, lib.nn.functional

        class Residual(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.conv1 = nn.Conv2d(c, c, kernel_size=3, padding=1)
                self.conv2 = nn.Conv2d(c, c, kernel_size=3, padding=1)
                self.bn1, self.bn2 = nn.BatchNorm2d(c), nn.BatchNorm2d(c)

            def forward(self, X):
                Y = F.relu(self.bn1(self.conv1(X)))
                Y = self.bn2(self.conv2(Y))
                return F.relu(Y + X)

        return Residual(64), lib.tensor(x)

    def step(lib, model, inputs):
        def run():
            model.zero_grad()
            model(inputs).sum().backward()

        return run

    _run_part(
        "resnet: d2l's Residual(64), batch 64, 64x32x32, float32, fwd + bwd",
        build, step, "conv1.weight", 2.0, repeats, min_s,
    )  # fmt: skip


# ------------------------------------------------------------------ part: attention
def attention_part(repeats: int, min_s: float) -> None:
    """An embedding and d2l's multi-head attention (scaled dot products, the masked
    softmax over valid lengths, written with bmm and repeat_interleave as the book does),
    then a linear readout: vocabulary 10000, batch 32, 35 tokens, 256 units, 4 heads."""
    V, B, T, D, heads = 10000, 32, 35, 256, 4
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, V, (B, T))
    valid = rng.integers(1, T + 1, B)
    y = rng.integers(0, V, B * T)

    def build(lib):
        lib.manual_seed(0)
        nn = lib.nn

        def split(X):  # (B, T, D) -> (B * heads, T, D / heads)
            X = X.reshape(X.shape[0], X.shape[1], heads, -1).permute(0, 2, 1, 3)
            return X.reshape(-1, X.shape[2], X.shape[3])

        def merge(X):
            X = X.reshape(-1, heads, X.shape[1], X.shape[2]).permute(0, 2, 1, 3)
            return X.reshape(X.shape[0], X.shape[1], -1)

        def masked_softmax(scores, lens):  # d2l's: -1e6 past each row's valid length
            shape = scores.shape
            lens = lib.repeat_interleave(lens, shape[1])
            flat = scores.reshape(-1, shape[-1])
            mask = lib.arange(shape[-1])[None, :] < lens[:, None]
            flat = flat.masked_fill(~mask, -1e6)
            return nn.functional.softmax(flat.reshape(shape), dim=-1)

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(V, D)
                self.W_q, self.W_k = nn.Linear(D, D, bias=False), nn.Linear(D, D, bias=False)
                self.W_v, self.W_o = nn.Linear(D, D, bias=False), nn.Linear(D, D, bias=False)
                self.readout = nn.Linear(D, V)

            def forward(self, inputs):
                tok, lens = inputs
                X = self.embedding(tok) * math.sqrt(D)
                q, k, v = split(self.W_q(X)), split(self.W_k(X)), split(self.W_v(X))
                scores = lib.bmm(q, k.transpose(1, 2)) / math.sqrt(D // heads)
                attn = masked_softmax(scores, lib.repeat_interleave(lens, heads, dim=0))
                out = self.W_o(merge(lib.bmm(attn, v)))
                return self.readout(out).reshape(-1, V)

        return Block(), ((lib.tensor(tokens), lib.tensor(valid)), lib.tensor(y))

    _run_part(
        f"attention: Embedding({V}, {D}) + {heads}-head attention + Linear({D}, {V}), "
        f"batch {B}, {T} tokens, float32, fwd + cross-entropy + bwd",
        build, _train_step, "W_q.weight", None, repeats, min_s,
    )  # fmt: skip


# ------------------------------------------------------------------ part: gru
def gru_part(repeats: int, min_s: float) -> None:
    T, B, H, layers = 35, 32, 256, 2
    x = np.random.default_rng(0).standard_normal((T, B, H)).astype(np.float32)

    def build(lib):
        lib.manual_seed(0)
        return lib.nn.GRU(H, H, num_layers=layers), lib.tensor(x)

    def step(lib, model, inputs):
        def run():
            model.zero_grad()
            output, h_n = model(inputs)
            (output.sum() + h_n.sum()).backward()

        return run

    _run_part(
        f"gru: nn.GRU({H}, {H}, num_layers={layers}), batch {B}, {T} steps, float32, fwd + bwd",
        build, step, "weight_hh_l0", 1.5, repeats, min_s,
    )  # fmt: skip


PARTS = {"lenet": lenet_part, "resnet": resnet_part, "gru": gru_part, "attention": attention_part}


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
