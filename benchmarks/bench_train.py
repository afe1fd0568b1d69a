"""Benchmark of issue 4: one training epoch of the digits MLP, chainrule next to PyTorch.

The model of examples/mlp_digits.py: 64-256-10 with ReLU, CrossEntropyLoss, SGD
(lr 0.1, momentum 0.9), batch 64, shuffled each epoch, on scikit-learn's bundled 8x8
digits (1797 images; a seeded normal stand-in of the same shape without scikit-learn).
The same code runs on both libraries (``import chainrule as torch`` style), single-
threaded. Target: chainrule's epoch within 1.5x of PyTorch's.

Run: python benchmarks/bench_train.py [--quick] [--epochs N]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def load_digits():
    try:
        from sklearn.datasets import load_digits as _load

        d = _load()
        X, y = d.data.astype(np.float32) / 16.0, d.target.astype(np.int64)
        return X, y, "scikit-learn digits"
    except ImportError:
        rng = np.random.default_rng(0)
        return (
            rng.standard_normal((1797, 64)).astype(np.float32),
            rng.integers(0, 10, 1797),
            "random stand-in (scikit-learn absent)",
        )


def make(lib, X, y, seed=0):
    """Model, loss, optimizer and loader built from ``lib``'s PyTorch API."""
    lib.manual_seed(seed)
    model = lib.nn.Sequential(lib.nn.Linear(64, 256), lib.nn.ReLU(), lib.nn.Linear(256, 10))
    loss_fn = lib.nn.CrossEntropyLoss()
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(y))
    gen = lib.Generator().manual_seed(seed)
    loader = lib.utils.data.DataLoader(data, batch_size=64, shuffle=True, generator=gen)
    return model, loss_fn, opt, loader


def epoch(model, loss_fn, opt, loader):
    total = 0.0
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    return total / len(loader)


def time_epochs(lib, X, y, epochs, repeats):
    model, loss_fn, opt, loader = make(lib, X, y)
    epoch(model, loss_fn, opt, loader)  # warm-up
    runs, losses = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(epochs):
            losses.append(epoch(model, loss_fn, opt, loader))
        runs.append((time.perf_counter() - t) / epochs)
    return statistics.median(runs), losses[-1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats of 1 epoch")
    ap.add_argument("--epochs", type=int, default=2, help="epochs per timed repeat")
    a = ap.parse_args(argv)
    repeats, epochs = (3, 1) if a.quick else (7, a.epochs)
    X, y, source = load_digits()
    print(f"digits MLP 64-256-10, batch 64, SGD momentum; data: {source}; 1 thread")
    print(f"median of {repeats} repeats of {epochs} epoch(s)")
    t_cr, l_cr = time_epochs(cr, X, y, epochs, repeats)
    print(f"  chainrule  {t_cr * 1e3:8.1f} ms/epoch   (last epoch's mean loss {l_cr:.4f})")
    if torch is not None:
        t_t, l_t = time_epochs(torch, X, y, epochs, repeats)
        print(f"  PyTorch    {t_t * 1e3:8.1f} ms/epoch   (last epoch's mean loss {l_t:.4f})")
        r = t_cr / t_t
        verdict = "pass" if r <= 1.5 else "MISS"
        print(f"  chainrule / PyTorch = {r:.2f}x (target <= 1.5x: {verdict})")


if __name__ == "__main__":
    main()
