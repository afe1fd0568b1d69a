"""Lazy modules against PyTorch: UninitializedParameter / UninitializedBuffer (their
reprs, what they allow and PyTorch's errors for the rest), the first call that infers
the shapes, initializes from the seeded random stream as PyTorch does and changes the
module's class, load_state_dict materializing from a state dict's shapes, state_dict
round trips, and an optimizer built before the first call. Skipped without torch."""

from __future__ import annotations

import copy
import pickle
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.nn.lazy import LazyModuleMixin  # noqa: E402

# (constructor, args, kwargs, input shape): every lazy module chainrule has
MODULES = [
    ("LazyLinear", (3,), {}, (2, 4)),
    ("LazyLinear", (3,), {"bias": False}, (5, 2, 6)),
    ("LazyConv1d", (4, 3), {}, (2, 5, 9)),
    ("LazyConv1d", (4, 3), {"padding": 1, "bias": False}, (5, 9)),
    ("LazyConv2d", (6, 5), {"padding": 2}, (2, 3, 8, 8)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (1, 4, 7, 7)),
    ("LazyConv2d", (2, 3), {}, (3, 6, 6)),
    ("LazyConvTranspose2d", (2, 2), {"stride": 2}, (1, 3, 4, 4)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "bias": False}, (2, 4, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (6, 3)),
    ("LazyBatchNorm1d", (), {"affine": False}, (4, 3, 5)),
    ("LazyBatchNorm1d", (), {"track_running_stats": False}, (6, 3)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (3, 2, 4, 4)),
]
IDS = [f"{m[0]}-{i}" for i, m in enumerate(MODULES)]


def pair_input(shape, seed=1):
    x = np.random.default_rng(seed).standard_normal(shape).astype("float32")
    return cr.tensor(x), torch.tensor(x)


def as_np(t):
    return t.detach().cpu().numpy()


def same_repr(ours, theirs):
    assert repr(ours) == repr(theirs).replace("torch.nn.parameter.", "")


def op_error_text(e: BaseException) -> str:
    """An 'Attempted to use an uninitialized parameter in <f>' error without the
    function's name (PyTorch's names its C++ function, chainrule its own)."""
    return re.sub(r" in <[^>]*>\. ", " in <f>. ", str(e))


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES, ids=IDS)
def test_lazy_module_before_and_after_the_first_call(name, args, kwargs, shape):
    mods = []
    for lib in (cr, torch):
        lib.manual_seed(0)
        mods.append(getattr(lib.nn, name)(*args, **kwargs))
    ours, theirs = mods
    same_repr(ours, theirs)
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    # the state dict holds the uninitialized tensors themselves
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    assert [repr(v) for v in sd.values()] == [repr(v) for v in tsd.values()]
    for k, v in sd.items():
        if nn.parameter.is_lazy(v):
            assert v is dict(ours.named_parameters(), **dict(ours.named_buffers()))[k]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [repr(p) for p in ours.parameters()] == [repr(p) for p in theirs.parameters()]

    # the first call: shapes from the input, PyTorch's seeded initialization, class change
    x, tx = pair_input(shape)
    cr.manual_seed(1), torch.manual_seed(1)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(as_np(y), as_np(ty), rtol=1e-5, atol=1e-6)
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    assert type(ours) is getattr(nn, name[4:])
    assert not isinstance(ours, LazyModuleMixin)
    same_repr(ours, theirs)
    assert not ours._forward_pre_hooks and not hasattr(ours, "_initialize_hook")
    for (k, v), (tk, tv) in zip(
        ours.state_dict().items(), theirs.state_dict().items(), strict=True
    ):
        assert k == tk and type(v) is cr.Tensor
        np.testing.assert_allclose(as_np(v), as_np(tv), rtol=1e-6, atol=1e-7)
    for p in ours.parameters():
        assert type(p) is nn.Parameter and p.requires_grad
    for b in ours.buffers():
        assert type(b) is cr.Tensor
    # a second call is an ordinary one
    np.testing.assert_allclose(as_np(ours(x)), as_np(theirs(tx)), rtol=1e-5, atol=1e-6)


def test_d2l_lazy_mlp():
    """d2l's concise MLP: the weight prints as uninitialized until the first call."""
    outs = []
    for lib in (cr, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.LazyLinear(256), lib.nn.ReLU(), lib.nn.LazyLinear(10))
        assert repr(net[0].weight) == "<UninitializedParameter>"
        X = lib.rand(2, 20)
        outs.append((net, net(X)))
        assert tuple(net[0].weight.shape) == (256, 20)
    (net, y), (tnet, ty) = outs
    assert repr(net[0].weight.shape) == "torch.Size([256, 20])"
    assert repr(net) == repr(tnet)
    np.testing.assert_allclose(as_np(y), as_np(ty), rtol=1e-5, atol=1e-6)

    # d2l's init after a forward (its Module.apply_init: a dry run, then net.apply(init))
    def init_normal(lib):
        def init(m):
            if type(m) is lib.nn.Linear:
                lib.nn.init.normal_(m.weight, mean=0, std=0.01)
                lib.nn.init.zeros_(m.bias)

        return init

    cr.manual_seed(3), torch.manual_seed(3)
    net.apply(init_normal(cr)), tnet.apply(init_normal(torch))
    for p, tp in zip(net.parameters(), tnet.parameters(), strict=True):
        np.testing.assert_allclose(as_np(p), as_np(tp), rtol=1e-6, atol=1e-8)


def test_a_lazy_network_draws_after_the_eager_layers_as_pytorch():
    nets = []
    for lib in (cr, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.LazyLinear(5), lib.nn.Tanh(), lib.nn.Linear(5, 2))
        net(lib.ones(3, 4))
        nets.append(net)
    for p, tp in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        np.testing.assert_allclose(as_np(p), as_np(tp), rtol=1e-6, atol=1e-7)


def test_uninitialized_parameter_and_buffer_reprs_and_what_they_allow():
    for lib in (cr, torch):
        w, b = lib.nn.UninitializedParameter(), lib.nn.UninitializedBuffer()
        assert lib.nn.UninitializedParameter is lib.nn.parameter.UninitializedParameter
        assert lib.nn.UninitializedBuffer is lib.nn.parameter.UninitializedBuffer
        assert repr(w) == str(w) == "<UninitializedParameter>"
        assert repr(b) == str(b) == "<UninitializedBuffer>"
        assert isinstance(w, lib.nn.Parameter) and not isinstance(b, lib.nn.Parameter)
        assert lib.nn.parameter.is_lazy(w) and lib.nn.parameter.is_lazy(b)
        assert not lib.nn.parameter.is_lazy(lib.nn.Parameter(lib.ones(1)))
        assert w.requires_grad and not b.requires_grad and w.is_leaf and w.grad is None
        assert str(w.dtype) == "torch.float32" and w.device.type == "cpu"
        assert w.is_floating_point() and not w.is_complex() and w.get_device() == -1
        assert repr(w.size()) == "torch.Size([0])"
        assert b.persistent
        w.requires_grad = False
        assert not w.requires_grad
        v = lib.nn.UninitializedParameter(requires_grad=False, dtype=lib.float64)
        assert not v.requires_grad and str(v.dtype) == "torch.float64"
        assert w.float() is w and w.cpu() is w
        assert repr(b.to(lib.float64)) == "<UninitializedBuffer>"
        assert str(b.to(lib.float64).dtype) == "torch.float64"
    # PyTorch's UninitializedParameter.to(dtype) gives an empty plain tensor (with a
    # grad_fn); chainrule's, as its buffer's, an uninitialized one in that dtype
    w = nn.UninitializedParameter().to(cr.float64)
    assert type(w) is nn.UninitializedParameter and w.dtype == cr.float64 and w.requires_grad
    with pytest.raises(RuntimeError) as ours:
        nn.UninitializedParameter(dtype=cr.int64)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.UninitializedParameter(dtype=torch.int64)
    assert str(ours.value) == str(theirs.value)


def test_materialize_turns_the_same_object_into_a_parameter_or_tensor():
    for lib in (cr, torch):
        w = lib.nn.UninitializedParameter(requires_grad=False)
        w.materialize((2, 3), dtype=lib.float64)
        assert type(w) is lib.nn.Parameter and tuple(w.shape) == (2, 3)
        assert str(w.dtype) == "torch.float64" and not w.requires_grad
        assert not hasattr(w, "materialize")
        b = lib.nn.UninitializedBuffer()
        b.materialize(4)
        assert type(b) is lib.Tensor and tuple(b.shape) == (4,) and not b.requires_grad
        b.fill_(2.0)  # an ordinary tensor now
        assert float(b.sum()) == 8.0


def test_the_shape_and_share_memory_errors_are_pytorchs():
    for attr in ("shape", "share_memory_"):
        texts = []
        for lib in (cr, torch):
            for t in (lib.nn.UninitializedParameter(), lib.nn.UninitializedBuffer()):
                with pytest.raises(RuntimeError) as e:
                    value = getattr(t, attr)
                    value()
                texts.append(str(e.value))
        assert len(set(texts)) == 1, texts
    assert texts[0].startswith("Can't share memory on an uninitialized parameter")


USES = [
    ("add", lambda lib, w: w + 1),
    ("radd", lambda lib, w: 1 + w),
    ("mul", lambda lib, w: lib.ones(2) * w),
    ("method", lambda lib, w: w.sum()),
    ("function", lambda lib, w: lib.add(w, 1)),
    ("eq", lambda lib, w: lib.eq(w, w)),
    ("linear", lambda lib, w: lib.nn.functional.linear(lib.ones(2, 3), w)),
    ("init", lambda lib, w: lib.nn.init.uniform_(w)),
    ("numel", lambda lib, w: w.numel()),
    ("dim", lambda lib, w: w.dim()),
    ("len", lambda lib, w: len(w)),
    ("index", lambda lib, w: w[0]),
    ("detach", lambda lib, w: w.detach()),
    ("clone", lambda lib, w: w.clone()),
    ("requires_grad_", lambda lib, w: w.requires_grad_(False)),
    ("numpy", lambda lib, w: w.numpy()),
    ("bool", lambda lib, w: bool(w)),
    ("format", lambda lib, w: f"{w:.2f}"),
    ("stack", lambda lib, w: lib.stack([w, w])),
]


@pytest.mark.parametrize("kind", ["UninitializedParameter", "UninitializedBuffer"])
@pytest.mark.parametrize("name,use", USES, ids=[u[0] for u in USES])
def test_computing_with_an_uninitialized_tensor_raises_pytorchs_error(kind, name, use):
    texts = []
    for lib in (cr, torch):
        with pytest.raises(ValueError, match="^Attempted to use an uninitialized parameter in"):
            use(lib, getattr(lib.nn, kind)())
        with pytest.raises(ValueError) as e:
            use(lib, getattr(lib.nn, kind)())
        texts.append(op_error_text(e.value))
    assert texts[0] == texts[1]
    assert f"`torch.nn.parameter.{kind}`" in texts[0]


def test_the_error_names_what_was_called():
    w = nn.UninitializedParameter()
    with pytest.raises(ValueError, match=r"in <method 'sum' of 'chainrule.Tensor' objects>\."):
        w.sum()
    with pytest.raises(ValueError, match=r"in <function linear at 0x[0-9a-f]+>\."):
        nn.functional.linear(cr.ones(2, 3), w)


def test_lazy_module_errors_are_pytorchs():
    def both(make, call):
        texts = []
        for lib in (cr, torch):
            with pytest.raises(Exception) as e:
                call(lib, make(lib))
            texts.append((type(e.value).__name__, str(e.value)))
        assert texts[0] == texts[1]
        return texts[0]

    err = both(lambda lib: lib.nn.LazyConv2d(4, 3), lambda lib, m: m(lib.ones(3, 3)))
    assert err[0] == "RuntimeError" and "Expected 3D (unbatched) or 4D (batched)" in err[1]
    both(lambda lib: lib.nn.LazyConv1d(4, 3), lambda lib, m: m(lib.ones(2, 3, 4, 5)))
    both(lambda lib: lib.nn.LazyConv2d(4, 3, groups=2), lambda lib, m: m(lib.ones(1, 3, 5, 5)))
    # BatchNorm2d checks its input after it materialized (its class has changed then)
    mods = []

    def keep(lib):
        mods.append(lib.nn.LazyBatchNorm2d())
        return mods[-1]

    err = both(keep, lambda lib, m: m(lib.ones(2, 3)))
    assert err == ("ValueError", "expected 4D input (got 2D input)")
    assert [type(m).__name__ for m in mods] == ["BatchNorm2d"] * 2
    both(lambda lib: lib.nn.LazyLinear(3), lambda lib, m: m.initialize_parameters())


def scale_module(lib, initialize):
    """A lazy module of one's own: a per-feature scale, initialized to 2 by
    ``initialize(module, x)`` (None: no initialize_parameters)."""
    mixin = lib.nn.modules.lazy.LazyModuleMixin if lib is torch else LazyModuleMixin

    class Scale(mixin, lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.UninitializedParameter()

        if initialize is not None:

            def initialize_parameters(self, x):
                initialize(self, x)

        def forward(self, x):
            return x * self.w

    return Scale()


def fill_with_two(m, x):
    m.w.materialize(x.shape[-1:])
    with torch.no_grad() if isinstance(x, torch.Tensor) else cr.no_grad():
        m.w.fill_(2.0)


def test_a_lazy_module_of_ones_own():
    for initialize, err in ((None, NotImplementedError), (lambda m, x: None, RuntimeError)):
        texts = []
        for lib in (cr, torch):
            with pytest.raises(err) as e:
                scale_module(lib, initialize)(lib.ones(3))
            texts.append(str(e.value))
        assert texts[0] == texts[1]
    assert texts[0] == "module Scale has not been fully initialized"
    for lib in (cr, torch):
        m = scale_module(lib, fill_with_two)
        np.testing.assert_array_equal(as_np(m(lib.ones(2, 3))), np.full((2, 3), 2.0))
        assert type(m).__name__ == "Scale" and not m.has_uninitialized_params()


def test_load_state_dict_materializes_a_lazy_module():
    results = []
    for lib in (cr, torch):
        lib.manual_seed(0)
        trained = lib.nn.Sequential(
            lib.nn.Linear(4, 8), lib.nn.BatchNorm1d(8), lib.nn.ReLU(), lib.nn.Linear(8, 2)
        )
        if lib is cr:
            ours = trained
        trained(lib.randn(5, 4))  # running statistics that are not the defaults
        lazy = lib.nn.Sequential(
            lib.nn.LazyLinear(8), lib.nn.LazyBatchNorm1d(), lib.nn.ReLU(), lib.nn.LazyLinear(2)
        )
        assert repr(lazy.load_state_dict(trained.state_dict())) == "<All keys matched successfully>"
        # materialized, but still lazy modules until their first call (PyTorch's too)
        assert [type(m).__name__ for m in lazy] == [
            "LazyLinear",
            "LazyBatchNorm1d",
            "ReLU",
            "LazyLinear",
        ]
        assert not lazy[0].has_uninitialized_params() and lazy[0].in_features == 0
        results.append((repr(lazy), lazy.state_dict(), trained.state_dict()))
        x = lib.ones(3, 4)
        lazy.eval(), trained.eval()
        np.testing.assert_array_equal(as_np(lazy(x)), as_np(trained(x)))  # not re-drawn
        results.append(repr(lazy))
    # PyTorch's BatchNorm keeps num_features=0 here (its LazyLinear takes in_features
    # from the input); chainrule's lazy layers all take it from the input
    assert results[1] == repr(ours)
    assert results[3].replace("BatchNorm1d(0,", "BatchNorm1d(8,") == results[1]
    assert results[0][0] == results[2][0]
    for (k, v), (tk, tv) in zip(results[0][1].items(), results[2][1].items(), strict=True):
        assert k == tk
        np.testing.assert_allclose(as_np(v), as_np(tv), rtol=1e-6, atol=1e-7)


def test_state_dict_round_trips_through_lazy_modules():
    cr.manual_seed(0)
    net = nn.Sequential(nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d(), nn.ReLU())
    fresh = copy.deepcopy(net)
    # uninitialized into uninitialized: nothing to load, still lazy
    assert repr(fresh.load_state_dict(net.state_dict())) == "<All keys matched successfully>"
    assert (
        fresh[0].has_uninitialized_params() and repr(fresh[1].weight) == "<UninitializedParameter>"
    )
    x = cr.randn(2, 4, 6, 6)
    y = net(x)
    fresh.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(as_np(fresh(x)), as_np(y))
    assert [type(m) for m in fresh] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]


def test_loading_an_uninitialized_state_into_an_initialized_module_raises_as_pytorch():
    texts = []
    for lib in (cr, torch):
        with pytest.raises(RuntimeError) as e:
            lib.nn.Linear(4, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict())
        texts.append(str(e.value))
        m = lib.nn.LazyLinear(3)
        m(lib.ones(1, 2))
        with pytest.raises(RuntimeError) as e:
            m.load_state_dict(lib.nn.LazyLinear(3).state_dict())
        texts.append(str(e.value))
    assert len(set(texts)) == 1 and "`load_state_dict`" in texts[0]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_an_optimizer_built_before_the_first_call_trains_as_pytorchs(optimizer):
    runs = []
    for lib in (cr, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.LazyLinear(6), lib.nn.ReLU(), lib.nn.LazyLinear(1))
        params = list(net.parameters())
        opt = getattr(lib.optim, optimizer)(net.parameters(), lr=0.05)
        X, Y = lib.rand(8, 3), lib.rand(8, 1)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = ((net(X) - Y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(float(loss))
        assert all(p is q for p, q in zip(params, net.parameters(), strict=True))
        assert all(type(p) is lib.nn.Parameter for p in params)
        runs.append((losses, [as_np(p) for p in params]))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-5)
    for p, tp in zip(runs[0][1], runs[1][1], strict=True):
        np.testing.assert_allclose(p, tp, rtol=1e-5, atol=1e-6)


def test_module_methods_on_an_uninitialized_module():
    for lib in (cr, torch):
        net = lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.LazyBatchNorm1d())
        w = net[0].weight
        assert net.to(lib.float64) is net and net[0].weight is w
        assert repr(w) == "<UninitializedParameter>" and str(w.dtype) == "torch.float64"
        assert str(net[1].running_mean.dtype) == "torch.float64"
        assert str(net[1].num_batches_tracked.dtype) == "torch.int64"
        net.float().cpu().train().eval().zero_grad()
        seen = []
        net.apply(lambda m, seen=seen: seen.append(type(m).__name__))
        assert seen == ["LazyLinear", "LazyBatchNorm1d", "Sequential"]
        assert [type(b).__name__ for b in net.buffers()] == [
            "UninitializedBuffer",
            "UninitializedBuffer",
            "Tensor",
        ]
        with pytest.raises(ValueError, match="uninitialized parameter"):
            sum(p.numel() for p in net.parameters())
        net.train()
        net(lib.ones(3, 2))
        assert str(w.dtype) == "torch.float32" and tuple(w.shape) == (4, 2)
        assert sum(p.numel() for p in net.parameters()) == 4 * 2 + 4 + 4 + 4


def test_lazy_module_with_dtype_materializes_in_it():
    for lib in (cr, torch):
        m = lib.nn.LazyLinear(2, dtype=lib.float64)
        assert str(m(lib.ones(1, 3, dtype=lib.float64)).dtype) == "torch.float64"
        assert str(m.weight.dtype) == "torch.float64"


def test_deepcopy_and_pickle_keep_modules_and_parameters_lazy():
    net = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    twin = copy.deepcopy(net)  # (PyTorch's deepcopy of an UninitializedBuffer raises)
    assert twin[0].weight is not net[0].weight and repr(twin[0].weight) == repr(net[0].weight)
    twin(cr.ones(2, 5))
    assert type(twin[0]) is nn.Linear and type(net[0]) is nn.LazyLinear
    assert net[0].has_uninitialized_params() and twin[0].weight.shape == (3, 5)
    w = pickle.loads(pickle.dumps(nn.UninitializedParameter(False, dtype=cr.float64)))
    assert type(w) is nn.UninitializedParameter and not w.requires_grad
    assert w.dtype == cr.float64
    b = pickle.loads(pickle.dumps(nn.UninitializedBuffer(persistent=False)))
    assert type(b) is nn.UninitializedBuffer and not b.persistent


def test_no_warning_at_construction_as_pytorch_2():
    # (PyTorch 1.x warned "Lazy modules are a new feature under heavy development ...")
    import warnings

    for lib in (cr, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.nn.LazyLinear(3), lib.nn.LazyConv2d(2, 3), lib.nn.LazyBatchNorm1d()


def test_d2l_lenet_apply_init_matches_torch():
    """d2l's LeNet (lazy layers) and its ``apply_init``: a dry run, then
    ``net.apply(init_cnn)`` with Xavier-uniform weights."""

    def lenet(lib):
        nn_ = lib.nn
        return nn_.Sequential(
            nn_.LazyConv2d(6, kernel_size=5, padding=2), nn_.Sigmoid(),
            nn_.AvgPool2d(kernel_size=2, stride=2),
            nn_.LazyConv2d(16, kernel_size=5), nn_.Sigmoid(),
            nn_.AvgPool2d(kernel_size=2, stride=2),
            nn_.Flatten(), nn_.LazyLinear(120), nn_.Sigmoid(),
            nn_.LazyLinear(84), nn_.Sigmoid(), nn_.LazyLinear(10),
        )  # fmt: skip

    def init_cnn(lib):
        def init(module):
            if type(module) is lib.nn.Linear or type(module) is lib.nn.Conv2d:
                lib.nn.init.xavier_uniform_(module.weight)

        return init

    outs = []
    for lib in (cr, torch):
        lib.manual_seed(0)
        net = lenet(lib)
        X = lib.randn(1, 1, 28, 28)
        net(X)  # apply_init's dry run
        net.apply(init_cnn(lib))
        outs.append((net, net(X)))
    (net, y), (tnet, ty) = outs
    assert repr(net) == repr(tnet)
    np.testing.assert_allclose(as_np(y), as_np(ty), rtol=1e-4, atol=1e-5)
    for p, tp in zip(net.parameters(), tnet.parameters(), strict=True):
        np.testing.assert_allclose(as_np(p), as_np(tp), rtol=1e-6, atol=1e-7)
