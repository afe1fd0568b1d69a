"""Every gradcheck case of the derivative table, run again with its inputs on a GPU: the
forward values and the gradients must equal the CPU's, and stay on the GPU.

On real CuPy where a GPU is present, otherwise on the stand-in of tests/_fakecupy.py
(which refuses NumPy's functions on its arrays as CuPy does), so that an op or a rule
that reaches for NumPy directly fails in CI. Tensors the cases make themselves (index
arrays, masks) are made on the GPU too (``set_default_device``), as PyTorch code would.
"""

from __future__ import annotations

import _fakecupy
import numpy as np
import pytest
from _table_cases import table_cases
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import backend

TABLE = table_cases()
# cases whose draw captures a CPU tensor (a mask, an index) made by from_numpy, which
# always gives a CPU tensor: on a GPU, PyTorch's device error is the right answer
CPU_CAPTURED = {
    "where:where(cond, x, y)",
    "where:x.where(cond, y)",
    "where:where(cond, x, scalar)",
    "masked_fill:masked_fill",
    "masked_fill:masked_fill, the mask broadcasting x",
    "masked_fill_tensor:masked_fill(mask, 0-d tensor)",
    "take_along:gather(dim, index) with repeats",
    "take_along:gather(dim, permutation)",
    "scatter:scatter(dim, index, src), distinct indices",
    "scatter_value:scatter(dim, index, value) with repeats",
    "scatter_add:scatter_add(dim, index, src) with repeats",
    "index_add:index_add(dim, index, source, alpha) with repeats",
    "index_copy:index_copy(dim, index, source), distinct indices",
    "index_fill:index_fill(dim, index, number)",
    "index_fill_t:index_fill(dim, index, 0-d tensor)",
    "masked_scatter:masked_scatter(mask, source)",
    "scatter_reduce:scatter_reduce('sum') with repeats",
    "scatter_reduce:scatter_reduce('mean') with repeats",
    "scatter_reduce:scatter_reduce('amax') with repeats",
    "scatter_reduce:scatter_reduce('amin') with repeats",
    "scatter_reduce_prod:scatter_reduce('prod') with repeats",
    # targets and class weights drawn as CPU tensors (the losses themselves run on a GPU
    # with theirs there: tests/test_devices.py)
    "binary_cross_entropy:F.binary_cross_entropy(weight)",
    "binary_cross_entropy_with_logits:F.binary_cross_entropy_with_logits(weight, pos_weight)",
    "nll_loss2d:F.nll_loss(N, C, ...)",
    "nll_loss2d:F.nll_loss(N, C, ..., weight, ignored)",
    "nll_loss:F.nll_loss(mean)",
    "nll_loss:F.nll_loss(none)",
    "nll_loss:F.nll_loss(sum)",
    "nll_loss:F.nll_loss(weight, an ignored target)",
    "nll_loss:F.nll_loss(weight, sum)",
    "batch_norm_eval:F.batch_norm(eval)",
}
CPU_ONLY = {"to_device:to_device cpu -> cpu"}  # moves to the CPU by construction
CASES = [c for c in TABLE.CASES if c.id not in CPU_ONLY]


@pytest.fixture(scope="module")
def gpu():
    real = backend.cupy_or_none()
    if real is not None and not getattr(real, "FAKE", False):
        yield real
        return
    mp = pytest.MonkeyPatch()
    try:
        yield _fakecupy.install(mp, n_devices=1)
    finally:
        mp.undo()


def _tensors(out):
    return [
        o for o in (out if isinstance(out, (tuple, list)) else [out]) if isinstance(o, cr.Tensor)
    ]


def _on_gpu(f, *args):
    cr.set_default_device("cuda")
    try:
        return f(*args)
    finally:
        cr.set_default_device(None)


def _same(g, c):
    assert g.device.type == "cuda", f"a result on {g.device}"
    np.testing.assert_allclose(
        g.detach().cpu().numpy(), c.detach().numpy(), rtol=1e-6, atol=1e-9, equal_nan=True
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@settings(max_examples=2)
@given(data=st.data())
def test_case_on_the_gpu_equals_the_cpu(gpu, case, data):
    fn, leaves = TABLE.draw_check(case, data)
    outs = _tensors(fn(*leaves))
    gleaves = [x.detach().cuda().requires_grad_(x.requires_grad) for x in leaves]
    if case.id in CPU_CAPTURED:
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            _on_gpu(fn, *gleaves)
        return
    gouts = _tensors(_on_gpu(fn, *gleaves))
    assert len(gouts) == len(outs)
    for g, c in zip(gouts, outs, strict=True):
        _same(g, c)
    wanted = [i for i, o in enumerate(outs) if o.requires_grad]
    if not wanted:
        return
    seeds = [cr.ones_like(outs[i]) for i in wanted]
    wrt = [i for i, x in enumerate(leaves) if x.requires_grad]
    cpu_grads = cr.autograd.grad(
        [outs[i] for i in wanted], [leaves[i] for i in wrt], seeds, allow_unused=True
    )
    gpu_grads = _on_gpu(
        lambda: cr.autograd.grad(
            [gouts[i] for i in wanted],
            [gleaves[i] for i in wrt],
            [s.cuda() for s in seeds],
            allow_unused=True,
        )
    )
    for g, c in zip(gpu_grads, cpu_grads, strict=True):
        assert (g is None) == (c is None)
        if c is not None:
            _same(g, c)
