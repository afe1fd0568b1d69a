"""Linear and logistic regression by full-batch gradient descent on more rows than one
process should hold: chainrule tensors on the 'dask' device, a dask.distributed cluster
doing the work.

    python examples/regression_dask.py                  # 10^7 rows x 32, a LocalCluster
    python examples/regression_dask.py --rows 1e5       # a quick run
    python examples/regression_dask.py --rows 1e8       # the big run (data regenerated
                                                        # by the workers every epoch)
    python examples/regression_dask.py --scheduler tcp://host:8786   # a real cluster

The data set is synthetic and made chunk by chunk by the workers (``map_blocks`` of a
generator seeded by the chunk's index): no process ever holds all of it, and the
driver holds none of it. The training code is the PyTorch code one would write for a
tensor in memory; only the device differs. Every epoch is one gradient step over all
rows; the optimizer persists the parameters after each step (so the next step's graph
starts from them). Printed: the loss and rows/s per epoch (a progress bar), the recovered weights
against the true ones, and the driver's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if (ROOT / "src" / "chainrule").is_dir():  # run this checkout's chainrule, installed or not
    sys.path.insert(0, str(ROOT / "src"))

import chainrule as torch  # noqa: E402


def true_weights(features: int, seed: int):
    """w* (norm about 1: logits of unit scale) and b*."""
    g = np.random.default_rng(seed)
    return (g.standard_normal(features) / np.sqrt(features)).astype(np.float32), np.float32(0.5)


def make_block(kind, features, seed, block_id=None, block_info=None):
    """One chunk of [X | y]: rows from a generator seeded by (seed, chunk index), so a
    chunk is the same wherever and whenever it is made."""
    rows = block_info[None]["chunk-shape"][0]
    w, b = true_weights(features, seed)
    g = np.random.default_rng([seed, block_id[0]])
    X = g.standard_normal((rows, features), dtype=np.float32)
    z = X @ w + b
    if kind == "linear":
        y = z + np.float32(0.1) * g.standard_normal(rows, dtype=np.float32)
    else:  # labels drawn with probability sigmoid(z)
        y = (g.random(rows, dtype=np.float32) < 1 / (1 + np.exp(-z))).astype(np.float32)
    return np.concatenate([X, y[:, None]], axis=1)


def dataset(kind, rows, features, chunk, seed, persist):
    """X and y as 'dask' tensors, made by the workers chunk by chunk (and kept there
    when ``persist``; else made again by every epoch)."""
    import dask.array as da

    n_full, rest = divmod(rows, chunk)
    chunks = ((chunk,) * n_full + ((rest,) if rest else ()), (features + 1,))
    Z = da.map_blocks(
        make_block,
        kind,
        features,
        seed,
        chunks=chunks,
        dtype=np.float32,
        meta=np.empty((0, 0), np.float32),
    )
    if persist:
        Z = Z.persist()
    return torch.from_dask(Z[:, :features]), torch.from_dask(Z[:, features:])


class Bar:
    """tqdm when it is installed, else a plain text bar on one line."""

    def __init__(self, total: int, desc: str) -> None:
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        self.tqdm = tqdm(total=total, desc=desc, unit="epoch") if tqdm else None
        self.total, self.done, self.desc = total, 0, desc

    def update(self, text: str) -> None:
        self.done += 1
        if self.tqdm is not None:
            self.tqdm.set_postfix_str(text, refresh=False)
            self.tqdm.update(1)
            return
        filled = 30 * self.done // self.total
        bar = "#" * filled + "." * (30 - filled)
        end = "\n" if self.done == self.total else ""
        print(f"\r{self.desc} [{bar}] {self.done}/{self.total} {text}", end=end, flush=True)

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()


def train(kind, X, y, epochs, lr, momentum, quiet=False):
    """Full-batch gradient descent: one step per epoch over all rows."""
    from distributed import wait

    torch.manual_seed(0)
    model = torch.nn.Linear(X.shape[1], 1).to("dask")  # (the parameters: one chunk each)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = (
        torch.nn.functional.mse_loss
        if kind == "linear"
        else torch.nn.functional.binary_cross_entropy_with_logits
    )
    rows = X.shape[0]
    bar = None if quiet else Bar(epochs, f"{kind:>8}")
    rates, losses = [], []

    def closure():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        return loss

    for _ in range(epochs):
        t0 = time.perf_counter()
        # (step(closure) persists the loss with the new parameters: the epoch's loss comes
        # from the same pass over the data as its gradient, not from a second one)
        loss = opt.step(closure)
        wait([p._data for p in model.parameters()])  # (the epoch is done when they are)
        rates.append(rows / (time.perf_counter() - t0))
        losses.append(loss.item())  # (the step's loss, before its update)
        if bar is not None:
            bar.update(f"loss {losses[-1]:.4f}, {rates[-1] / 1e6:.2f}M rows/s")
    if bar is not None:
        bar.close()
    with torch.no_grad():  # (the final weights' loss: one more pass)
        loss = loss_fn(model(X), y).item()
    w = model.weight.detach().compute().numpy()[0]
    b = model.bias.detach().compute().item()
    return {"w": w, "b": b, "loss": loss, "losses": losses, "rows_per_s": rates}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # (Linux: KiB)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=float, default=1e7, help="rows (1e7; 1e8 for the big run)")
    ap.add_argument("--features", type=int, default=32)
    ap.add_argument("--chunk", type=float, default=5e5, help="rows per chunk (500000)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, help="learning rate (0.25 linear, 4.0 logistic)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scheduler", help="a dask.distributed scheduler's address")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster workers (2)")
    ap.add_argument(
        "--persist",
        choices=["auto", "yes", "no"],
        default="auto",
        help="keep the data on the workers (auto: when it fits half their memory)",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    rows, chunk = int(args.rows), min(int(args.chunk), int(args.rows))

    from distributed import Client, LocalCluster

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    results = {}
    try:
        workers = client.scheduler_info()["workers"].values()
        memory = sum(w.get("memory_limit") or 0 for w in workers)
        nbytes = rows * (args.features + 1) * 4
        persist = args.persist == "yes" or (args.persist == "auto" and nbytes < memory / 2)
        print(
            f"{rows:,} rows x {args.features} features ({nbytes / 2**30:.2f} GiB), chunks of "
            f"{chunk:,} rows, {len(workers)} workers; data "
            + ("kept on the workers" if persist else "made again by every epoch")
        )
        w_true, b_true = true_weights(args.features, args.seed)
        for kind in ("linear", "logistic"):
            X, y = dataset(kind, rows, args.features, chunk, args.seed, persist)
            lr, momentum = (0.25, 0.5) if kind == "linear" else (4.0, 0.5)
            r = train(kind, X, y, args.epochs, args.lr or lr, momentum, args.quiet)
            err = np.abs(r["w"] - w_true).max()
            print(
                f"{kind}: loss {r['loss']:.4f}, median {np.median(r['rows_per_s']):,.0f} "
                f"rows/s; max |w - w*| = {err:.4f}, b = {r['b']:.4f} (b* = {b_true})"
            )
            k = min(4, args.features)
            print(f"  w[:{k}] = {np.round(r['w'][:k], 3)}  w*[:{k}] = {np.round(w_true[:k], 3)}")
            results[kind] = r
            del X, y
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    results["w_true"], results["b_true"] = w_true, float(b_true)
    results["peak_rss_mib"] = peak_rss_mib()
    print(f"driver peak memory: {results['peak_rss_mib']:.0f} MiB")
    return results


if __name__ == "__main__":
    main()
