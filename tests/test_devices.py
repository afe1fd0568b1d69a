"""Tensors on a GPU: creation, moves, printing, mixing devices, gradients, modules,
optimizers and save/load on ``cuda``.

Runs on real CuPy where a GPU is present, and otherwise on the stand-in in
``tests/_fakecupy.py`` (NumPy arrays behind a CuPy-like type that refuses NumPy's
functions, as CuPy does), so that the device code paths are tested in CI, which has no GPU.
"""

from __future__ import annotations

import io
import math

import _fakecupy
import numpy as np
import pytest

import chainrule as cr
from chainrule import backend


@pytest.fixture
def cp(monkeypatch):
    """The CuPy module chainrule uses here: the real one with a GPU, else the stand-in."""
    real = backend.cupy_or_none()
    if real is not None and not getattr(real, "FAKE", False):
        return real
    return _fakecupy.install(monkeypatch, n_devices=2)


CUDA0 = cr.device("cuda", 0)


def _close(a, b, tol=1e-6):
    np.testing.assert_allclose(a.cpu().detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------------ devices and creation
def test_the_cuda_module_sees_the_gpus(cp):
    assert cr.cuda.is_available() and cr.cuda.device_count() >= 1
    assert cr.cuda.current_device() == 0
    assert isinstance(cr.cuda.get_device_name(), str) and cr.cuda.get_device_name(0)
    cr.cuda.synchronize()
    before = cr.cuda.memory_allocated()
    x = cr.ones(1000, device="cuda")
    assert cr.cuda.memory_allocated() >= before + 4000
    del x
    cr.cuda.empty_cache()
    assert cr.device(0) == CUDA0


@pytest.mark.parametrize(
    "make",
    [
        lambda d: cr.zeros(2, 3, device=d),
        lambda d: cr.ones(2, device=d, dtype=cr.float64),
        lambda d: cr.empty(2, device=d),
        lambda d: cr.full((2,), 7, device=d),
        lambda d: cr.eye(3, device=d),
        lambda d: cr.tensor([[1.0, 2.0]], device=d),
        lambda d: cr.as_tensor([1, 2], device=d),
        lambda d: cr.arange(0, 5, 1.5, device=d),
        lambda d: cr.linspace(0, 1, 5, device=d),
        lambda d: cr.logspace(0, 2, 3, device=d),
        lambda d: cr.zeros_like(cr.ones(2), device=d),
        lambda d: cr.full_like(cr.ones(2, dtype=cr.int32), 3, device=d),
        lambda d: (
            cr.ones(2, 2).new_zeros(3) if d == "cpu" else cr.ones(2, 2, device=d).new_zeros(3)
        ),
    ],
)
def test_creation_on_the_gpu_gives_the_cpu_values_there(cp, make):
    g, c = make("cuda"), make("cpu")
    assert g.device == CUDA0 and g.is_cuda and g.get_device() == 0
    assert c.device == cr.device("cpu")
    assert g.dtype == c.dtype and g.shape == c.shape
    assert type(g._data).__module__.startswith("cupy")
    assert g.cpu().tolist() == c.tolist()


def test_like_functions_keep_the_inputs_device(cp):
    x = cr.ones(2, 3, device="cuda")
    for f in (cr.zeros_like, cr.ones_like, cr.empty_like, cr.rand_like, cr.randn_like):
        assert f(x).device == CUDA0 and f(x, device="cpu").device == cr.device("cpu")
    assert cr.full_like(x, 2.0).device == CUDA0
    assert cr.randint_like(x, 5).device == CUDA0
    assert cr.tensor(x).device == CUDA0  # a copy of a tensor stays on its device


def test_gpu_random_numbers_follow_their_own_seeded_generator(cp):
    cr.manual_seed(3)
    a = cr.rand(4, device="cuda")
    cr.cuda.manual_seed(3)
    b = cr.rand(4, device="cuda")
    assert a.cpu().tolist() == b.cpu().tolist()
    cr.cuda.manual_seed_all(5)
    c = cr.randn(3, device="cuda")
    cr.manual_seed(5)  # seeds the GPUs too, as in PyTorch
    d = cr.randn(3, device="cuda")
    assert c.cpu().tolist() == d.cpu().tolist()
    cr.manual_seed(0)
    cpu_draw = cr.rand(3)
    cr.manual_seed(0)
    cr.rand(3, device="cuda")  # draws from the GPU's generator: the CPU's stream is untouched
    assert cr.rand(3).tolist() == cpu_draw.tolist()
    e = cr.randint(0, 10, (50,), device="cuda")
    assert e.dtype == cr.int64 and 0 <= e.min().item() and e.max().item() < 10
    assert sorted(cr.randperm(6, device="cuda").cpu().tolist()) == list(range(6))
    n = cr.normal(cr.zeros(3, device="cuda"), 1.0)
    assert n.device == CUDA0


def test_a_gpu_index_past_the_last_gpu_is_refused(cp):
    n = cr.cuda.device_count()
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        cr.zeros(1, device=f"cuda:{n}")


# ------------------------------------------------------------------ printing and numpy
def test_printing_shows_the_device_as_pytorch_does(cp):
    assert repr(cr.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], device='cuda:0')"
    assert (
        repr(cr.tensor([1, 2], dtype=cr.int32, device="cuda"))
        == "tensor([1, 2], device='cuda:0', dtype=torch.int32)"
    )
    x = cr.ones(2, device="cuda", requires_grad=True)
    assert repr(x) == "tensor([1., 1.], device='cuda:0', requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 2.], device='cuda:0', grad_fn=<MulBackward0>)"
    assert repr(cr.zeros(0, 3, device="cuda")) == "tensor([], device='cuda:0', size=(0, 3))"
    assert repr(cr.tensor(1.5, device="cuda")) == "tensor(1.5000, device='cuda:0')"


def test_gpu_multinomial_and_random_fills_draw_from_the_gpus_generator(cp):
    p = [[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 1.0, 1.0]]
    draws = [
        lambda d: cr.multinomial(cr.tensor(p, device=d), 2),
        lambda d: cr.multinomial(cr.tensor(p, device=d), 6, True),
        lambda d: cr.tensor(p, device=d)[0].multinomial(1),
        lambda d: cr.empty(2, 3, device=d).exponential_(),
        lambda d: cr.empty(5, device=d).geometric_(0.3),
        lambda d: cr.empty(5, device=d, dtype=cr.float64).cauchy_(),
        lambda d: cr.empty(5, device=d).log_normal_(),
        lambda d: cr.empty(5, device=d, dtype=cr.int64).random_(0, 9),
        lambda d: cr.distributions.Categorical(cr.tensor(p, device=d)).sample((3,)),
        lambda d: cr.distributions.Multinomial(7, cr.tensor(p, device=d)).sample(),
    ]
    cr.manual_seed(4)  # (the GPU's generator starts as the CPU's after one manual_seed)
    on_cpu = [f("cpu") for f in draws]
    cr.manual_seed(4)
    cpu_state = cr.get_rng_state()
    for f, expected in zip(draws, on_cpu, strict=True):
        x = f("cuda")
        assert x.device == CUDA0 and x.dtype == expected.dtype
        assert x.cpu().tolist() == expected.tolist()
    assert cr.equal(cr.get_rng_state(), cpu_state)  # the CPU's stream is untouched


def test_numpy_of_a_gpu_tensor_is_refused_as_in_pytorch(cp):
    x = cr.ones(2, device="cuda")
    msg = "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu()"
    with pytest.raises(TypeError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        x.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0"):
        np.asarray(x)
    assert x.numpy(force=True).tolist() == [1.0, 1.0]  # force copies to the host
    assert x.cpu().numpy().tolist() == [1.0, 1.0]
    assert x.tolist() == [1.0, 1.0] and x.sum().item() == 2.0 and float(x[0]) == 1.0


# ------------------------------------------------------------------ moves and gradients
def test_to_cuda_and_back_is_recorded_and_the_gradient_goes_home(cp):
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.cuda()
    assert y.device == CUDA0 and y.grad_fn.name() == "ToCopyBackward0"
    z = (y * y).sum()
    assert z.device == CUDA0
    z.backward()
    assert x.grad.device == cr.device("cpu")
    assert x.grad.tolist() == [2.0, -4.0, 6.0]
    w = cr.ones(2, device="cuda", requires_grad=True)
    (w.cpu() * 3).sum().backward()
    assert w.grad.device == CUDA0 and w.grad.cpu().tolist() == [3.0, 3.0]


def test_to_takes_every_form_and_moves_only_when_needed(cp):
    x = cr.tensor([1.5, 2.5])
    g = x.to("cuda")
    assert g.to("cuda") is g and g.cuda() is g and g.to(CUDA0) is g and x.cpu() is x
    assert x.to("cuda", cr.float64).dtype == cr.float64
    assert x.to(device="cuda", dtype=cr.float16).device == CUDA0
    assert x.to(cr.zeros(1, dtype=cr.float64, device="cuda")).device == CUDA0
    assert x.cuda(0).device == CUDA0 and x.to(0).device == CUDA0
    c = g.to("cuda", copy=True)
    assert c is not g and c.tolist() == g.tolist()
    assert g.to(cr.float64).device == CUDA0  # a dtype change stays on the device


def test_gradients_on_the_gpu_equal_the_cpus(cp):
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    results = []
    for dev in ("cpu", "cuda"):
        a = cr.tensor(a_np, device=dev, requires_grad=True)
        b = cr.tensor(b_np, device=dev, requires_grad=True)
        h = cr.tanh(a @ b) + a.sum(1, keepdim=True) * b[0].exp()
        loss = (h**2).mean() + cr.nn.functional.softmax(h, dim=1).max()
        loss.backward()
        results.append((loss, a.grad, b.grad))
    for g, c in zip(results[1], results[0], strict=True):
        assert g.device == CUDA0
        _close(g, c)


def test_backward_and_create_graph_through_a_device_move(cp):
    x = cr.tensor([0.5, 1.5], dtype=cr.float64, requires_grad=True)
    y = (x.cuda() ** 3).sum()
    (g,) = cr.autograd.grad(y, x, create_graph=True)
    assert g.device == cr.device("cpu") and g.tolist() == pytest.approx([0.75, 6.75])
    (gg,) = cr.autograd.grad(g.sum(), x)
    assert gg.tolist() == pytest.approx([3.0, 9.0])


def test_gradcheck_through_moves_between_devices(cp):
    x = cr.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(lambda t: (t.cuda().sin() * 2).cpu(), (x,))
    assert cr.autograd.gradgradcheck(lambda t: (t.cuda() ** 2).cpu(), (x,))


def test_forward_mode_tangents_follow_a_move(cp):
    import chainrule.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        x = fwAD.make_dual(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 0.5]))
        y = (x.cuda() * 3).cpu()
        t = fwAD.unpack_dual(y).tangent
    assert t.device == cr.device("cpu") and t.tolist() == [3.0, 1.5]


# ------------------------------------------------------------------ mixing devices
def test_mixing_devices_in_one_op_raises_pytorchs_error(cp):
    g, c = cr.ones(2, device="cuda"), cr.ones(2)
    msg = "Expected all tensors to be on the same device, but found at least two devices"
    for f in (
        lambda: g + c,
        lambda: c * g,
        lambda: cr.matmul(g, c),
        lambda: cr.cat([g, c]),
        lambda: cr.where(g > 0, g, c),
    ):
        with pytest.raises(RuntimeError, match=msg):
            f()
    with pytest.raises(RuntimeError, match="cuda:0 and cpu!"):
        g + c
    with pytest.raises(RuntimeError, match="cpu and cuda:0!"):
        c + g
    before = g.tolist()
    with pytest.raises(RuntimeError, match=msg):
        g.add_(c)
    assert g.tolist() == before  # the refused write changed nothing


def test_a_0d_cpu_tensor_combines_with_a_gpu_tensor_as_in_pytorch(cp):
    g = cr.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    s = cr.tensor(3.0, requires_grad=True)
    y = g * s
    assert y.device == CUDA0 and y.cpu().tolist() == [3.0, 6.0]
    y.sum().backward()
    assert g.grad.cpu().tolist() == [3.0, 3.0]
    assert s.grad.device == cr.device("cpu") and s.grad.item() == 3.0


# ------------------------------------------------------------------ nn, optim, save/load
def _mlp():
    cr.manual_seed(0)
    return cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 3))


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_training_on_the_gpu_reaches_the_cpus_weights(cp, opt):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((16, 4)).astype(np.float32), rng.integers(0, 3, 16)
    finals = []
    for dev in ("cpu", "cuda"):
        net = _mlp().to(dev)
        kw = {"lr": 0.1, "momentum": 0.9} if opt == "SGD" else {"lr": 0.01}
        o = getattr(cr.optim, opt)(net.parameters(), **kw)
        xs, ys = cr.tensor(X).to(dev), cr.tensor(y).to(dev)
        for _ in range(5):
            o.zero_grad()
            loss = cr.nn.functional.cross_entropy(net(xs), ys)
            loss.backward()
            o.step()
        finals.append([p.detach() for p in net.parameters()])
        assert all(p.device == cr.device(dev if dev == "cpu" else "cuda:0") for p in finals[-1])
        if dev == "cuda":
            assert all(
                v.device == CUDA0
                for st in o.state.values()
                for k, v in st.items()
                if isinstance(v, cr.Tensor) and k != "step"
            )
    for g, c in zip(finals[1], finals[0], strict=True):
        _close(g, c, 1e-5)


def test_module_to_moves_parameters_buffers_and_grads_in_place(cp):
    net = _mlp()
    w = net[0].weight
    net(cr.ones(1, 4)).sum().backward()
    assert net.cuda() is net and net[0].weight is w
    assert w.device == CUDA0 and w.grad.device == CUDA0 and w.requires_grad
    assert net.to("cpu") is net and w.device == cr.device("cpu") and w.grad.device.type == "cpu"
    net.to("cuda", cr.float64)
    assert w.dtype == cr.float64 and w.device == CUDA0


def test_optimizer_state_follows_the_parameters_when_loaded(cp):
    net = _mlp()
    o = cr.optim.Adam(net.parameters(), lr=0.01)
    net(cr.ones(2, 4)).sum().backward()
    o.step()
    saved = o.state_dict()
    net.cuda()
    o2 = cr.optim.Adam(net.parameters(), lr=0.01)
    o2.load_state_dict(saved)
    for st in o2.state.values():
        assert st["exp_avg"].device == CUDA0 and st["exp_avg_sq"].device == CUDA0
    net(cr.ones(2, 4, device="cuda")).sum().backward()
    o2.step()  # runs on the GPU with the loaded state


def test_save_and_load_of_gpu_tensors_with_map_location(cp):
    buf = io.BytesIO()
    x = cr.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    cr.save({"x": x, "c": cr.ones(1)}, buf)
    raw = buf.getvalue()
    out = cr.load(io.BytesIO(raw))
    assert out["x"].device == CUDA0 and out["x"].requires_grad and out["c"].device.type == "cpu"
    for loc in ("cpu", cr.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        out = cr.load(io.BytesIO(raw), map_location=loc)
        assert out["x"].device == cr.device("cpu") and out["x"].tolist() == [1.0, 2.0]
    out = cr.load(io.BytesIO(raw), map_location="cuda:0")
    assert out["c"].device == CUDA0
    net = _mlp().cuda()
    buf = io.BytesIO()
    cr.save(net.state_dict(), buf)
    cpu_net = _mlp()
    cpu_net.load_state_dict(cr.load(io.BytesIO(buf.getvalue()), map_location="cpu"))
    assert cpu_net[0].weight.device.type == "cpu"


def test_loading_gpu_tensors_without_a_gpu_says_how(cp, monkeypatch):
    buf = io.BytesIO()
    cr.save(cr.ones(2, device="cuda"), buf)
    monkeypatch.setattr(backend, "cuda_count", lambda: 0)
    with pytest.raises(RuntimeError, match=r"map_location=torch.device\('cpu'\)"):
        cr.load(io.BytesIO(buf.getvalue()))
    assert cr.load(io.BytesIO(buf.getvalue()), map_location="cpu").tolist() == [1.0, 1.0]


def test_d2l_style_device_helpers_work(cp):
    def try_gpu(i=0):
        if cr.cuda.device_count() >= i + 1:
            return cr.device(f"cuda:{i}")
        return cr.device("cpu")

    dev = try_gpu()
    assert dev == CUDA0
    X = cr.ones(2, 3, device=dev)
    net = cr.nn.Sequential(cr.nn.Linear(3, 1)).to(device=dev)
    assert net(X).device == dev
    assert math.isfinite(net(X).sum().item())


def test_a_second_gpu_runs_its_ops_while_it_is_the_current_device(cp):
    if cr.cuda.device_count() < 2:
        pytest.skip("one GPU")
    x = cr.ones(3, device="cuda:1", requires_grad=True)
    assert x.device == cr.device("cuda:1") and x.get_device() == 1
    with pytest.raises(RuntimeError, match=r"call chainrule.cuda.set_device\(1\) first"):
        x * 2
    cr.cuda.set_device(1)
    try:
        (x * 2).sum().backward()
        assert x.grad.device == cr.device("cuda:1") and x.grad.cpu().tolist() == [2.0] * 3
        assert cr.ones(1, device="cuda").device == cr.device("cuda:1")  # 'cuda': the current
    finally:
        cr.cuda.set_device(0)
    with pytest.raises(RuntimeError, match="same device, but found at least two devices"):
        x.cpu().cuda(0) + x


def test_set_default_device_puts_new_tensors_there(cp):
    cr.set_default_device("cuda")
    try:
        assert cr.get_default_device() == CUDA0
        assert cr.zeros(2).device == CUDA0 and cr.tensor([1, 2]).device == CUDA0
        assert cr.rand(2).device == CUDA0 and cr.arange(3).device == CUDA0
        assert cr.zeros(2, device="cpu").device.type == "cpu"  # an explicit device wins
        assert cr.from_numpy(np.zeros(2)).device.type == "cpu"  # as PyTorch: always the CPU
        assert cr.zeros_like(cr.ones(2, device="cpu")).device.type == "cpu"  # like its input
    finally:
        cr.set_default_device(None)
    assert cr.zeros(1).device.type == "cpu" and cr.get_default_device() == cr.device("cpu")


def test_func_transforms_gradcheck_and_pictures_on_the_gpu(cp):
    from chainrule import func

    x = cr.tensor([0.5, 1.0, 2.0], dtype=cr.float64)
    g = x.cuda()

    def f(t):
        return (t.sin() * t).sum()

    def h(t):
        return t.exp() * t

    for transform in (func.grad(f), func.jacrev(h), func.jacfwd(h), func.hessian(f)):
        ours = transform(g)
        assert ours.device == CUDA0
        _close(ours, transform(x), 1e-10)
    _, tangent = func.jvp(f, (g,), (cr.ones_like(g),))
    assert tangent.device == CUDA0
    jac = func.jacobian(h, g, layout="numerator")
    _close(jac, func.jacobian(h, x, layout="numerator"), 1e-10)
    leaf = g.detach().requires_grad_()
    assert cr.autograd.gradcheck(lambda t: t.exp() * t.sin(), (leaf,))
    assert cr.autograd.gradgradcheck(lambda t: (t**3).sum(), (leaf,))
    y = (leaf * 2).sum()
    assert "MulBackward0" in cr.viz.graph(y).source
    assert "SumBackward0" in str(cr.viz.trace(y))


def test_data_parallel_and_scatter_as_d2l_uses_them(cp):
    import warnings

    net = _mlp()
    X = cr.randn(6, 4)
    dp = cr.nn.DataParallel(net, device_ids=[]).to("cpu")
    assert dp.module is net and list(dp.state_dict())[0] == "module.0.weight"
    _close(dp(X), net(X))
    ids = [cr.device("cuda:0")]
    gpu_net = cr.nn.DataParallel(_mlp(), device_ids=ids).to(ids[0])
    out = gpu_net(X)
    assert out.device == CUDA0
    _close(out, net(X), 1e-5)
    if cr.cuda.device_count() >= 2:
        two = cr.nn.DataParallel(_mlp().cuda(), device_ids=[0, 1])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            _close(two(X), net(X), 1e-5)
        assert any("first GPU" in str(x.message) for x in w)
        parts = cr.nn.parallel.scatter(X, ["cuda:0", "cuda:1"])
        assert [p.device for p in parts] == [CUDA0, cr.device("cuda:1")]
        assert [tuple(p.shape) for p in parts] == [(3, 4), (3, 4)]
    with pytest.raises(ValueError, match="Expected a non cpu device, but got: cpu"):
        cr.nn.parallel.scatter(X, ["cpu"])


def test_losses_norms_embeddings_convs_and_distributions_on_the_gpu(cp):
    F = cr.nn.functional

    def run(dev):
        cr.manual_seed(0)
        x = cr.randn(4, 3).to(dev).requires_grad_()
        t = cr.tensor([0, 2, 1, 2], device=dev)
        w = cr.tensor([1.0, 2.0, 0.5], device=dev)
        p = cr.rand(4, 3).to(dev)
        bn, ln = cr.nn.BatchNorm1d(3).to(dev), cr.nn.LayerNorm(3).to(dev)
        emb = cr.nn.Embedding(5, 3).to(dev)
        conv = cr.nn.Conv2d(1, 2, 3, padding=1).to(dev)
        img = x.reshape(1, 1, 4, 3)
        loss = (
            F.nll_loss(F.log_softmax(x, 1), t, weight=w, ignore_index=1)
            + F.binary_cross_entropy(x.sigmoid(), p, weight=w)
            + F.binary_cross_entropy_with_logits(x, p, pos_weight=w)
            + bn(x).pow(2).sum()
            + ln(x).sum()
            + (emb(t) * x).sum()
            + F.max_pool2d(conv(img), 2).sum()
            + cr.distributions.Normal(x, 1.0).log_prob(p).sum()
        )
        bn.eval()
        loss = loss + bn(x).sum()
        loss.backward()
        return loss, x.grad, conv.weight.grad, bn.running_mean

    for g, c in zip(run("cuda"), run("cpu"), strict=True):
        assert g.device == CUDA0
        _close(g, c, 1e-5)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_layers_on_the_gpu(cp, kind):
    def run(dev):
        cr.manual_seed(0)
        layer = getattr(cr.nn, kind)(3, 4, num_layers=2, batch_first=True, bidirectional=True)
        layer = layer.to(dev)
        x = cr.randn(2, 5, 3).to(dev).requires_grad_()
        out, _ = layer(x)
        out.pow(2).sum().backward()
        return out, x.grad, layer.weight_hh_l0.grad

    for g, c in zip(run("cuda"), run("cpu"), strict=True):
        assert g.device == CUDA0
        _close(g, c, 1e-5)
