"""Training on a dask.distributed cluster (a LocalCluster of 2 worker processes): the data
is generated chunk by chunk on the workers and never held by the driver, the steps run
on the workers, and 50 steps of full-batch gradient descent reach the same weights as the
same loop on NumPy."""

import numpy as np
import pytest

import chainrule as torch

pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import dask.array as da  # noqa: E402
from dask.callbacks import Callback  # noqa: E402

ROWS, CHUNK, D, SEED = 6000, 2000, 8, 14
W_TRUE = np.linspace(-1.0, 1.0, D).astype(np.float32)


def _block(kind: str, index: int) -> np.ndarray:
    """Rows ``index * CHUNK ...`` of the data set, [X | y], from a generator seeded by the
    block's index: the same block wherever it is made."""
    g = np.random.default_rng([SEED, index])
    X = g.standard_normal((CHUNK, D), dtype=np.float32)
    z = X @ W_TRUE + np.float32(0.5)
    if kind == "linear":
        y = z + np.float32(0.1) * g.standard_normal(CHUNK, dtype=np.float32)
    else:
        y = (g.random(CHUNK, dtype=np.float32) < 1 / (1 + np.exp(-z))).astype(np.float32)
    return np.concatenate([X, y[:, None]], axis=1)


def _on_a_worker(kind, block_id=None):
    distributed.get_worker()  # (raises ValueError outside a worker: never on the driver)
    return _block(kind, block_id[0])


def dask_data(kind):
    """X and y as Dask arrays whose chunks the workers make (and keep: persisted)."""
    n = ROWS // CHUNK
    Z = da.map_blocks(
        _on_a_worker,
        kind,
        chunks=((CHUNK,) * n, (D + 1,)),
        dtype=np.float32,
        meta=np.empty((0, 0), np.float32),
    )
    Z = Z.persist()
    distributed.wait(Z)
    return torch.from_dask(Z[:, :D]), torch.from_dask(Z[:, D:]), Z


def numpy_data(kind):
    Z = np.concatenate([_block(kind, i) for i in range(ROWS // CHUNK)])
    return torch.from_numpy(Z[:, :D].copy()), torch.from_numpy(Z[:, D:].copy())


class LocalComputes(Callback):
    """Counts graphs run by Dask's local schedulers (in the driver)."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _start(self, dsk):
        self.n += 1


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _loss(kind, model, X, y):
    out = model(X)
    if kind == "linear":
        return torch.nn.functional.mse_loss(out, y)
    return torch.nn.functional.binary_cross_entropy_with_logits(out, y)


def train(kind, X, y, device, steps=50):
    torch.manual_seed(0)
    model = torch.nn.Linear(D, 1).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    for _ in range(steps):
        opt.zero_grad()
        _loss(kind, model, X, y).backward()
        opt.step()
    return model, opt


@pytest.mark.parametrize("kind", ["linear", "logistic"])
def test_fifty_steps_on_the_cluster_match_numpy(client, kind):
    X, y, _ = dask_data(kind)
    assert X.device == torch.device("dask") and X.shape == (ROWS, D)
    with LocalComputes() as local:
        model, opt = train(kind, X, y, "dask")
        w = model.weight.detach().compute()  # (computed on the workers, fetched)
        b = model.bias.detach().compute()
        loss = _loss(kind, model, X, y).item()
    assert local.n == 0  # nothing ran in the driver: every graph went to the workers
    # the parameters are persisted on the workers, each step's graph starts from there
    for p in model.parameters():
        assert len(p._data.dask) == 1 and p.is_leaf and p.device.type == "dask"
        distributed.wait(p._data)
        assert all(client.who_has(p._data).values())  # (held by a worker)

    ref, _ = train(kind, *numpy_data(kind), "cpu")
    np.testing.assert_allclose(w.numpy(), ref.weight.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b.numpy(), ref.bias.detach().numpy(), rtol=1e-4, atol=1e-5)
    ref_loss = _loss(kind, ref, *numpy_data(kind)).item()
    assert loss == pytest.approx(ref_loss, rel=1e-4)
    if kind == "linear":  # (converged close to the truth)
        np.testing.assert_allclose(w.numpy()[0], W_TRUE, atol=0.05)


def test_the_driver_never_holds_the_data(client):
    X, y, Z = dask_data("linear")
    # the chunks live on the workers; a block function run in the driver would raise
    held = client.who_has(Z)
    assert len(held) == ROWS // CHUNK and all(held.values())
    with LocalComputes() as local:
        s = (X * 2).sum().item()
    assert local.n == 0
    assert s == pytest.approx(float(2 * numpy_data("linear")[0].sum()), rel=1e-4)
    with pytest.raises(ValueError):
        _on_a_worker("linear", block_id=(0, 0))
