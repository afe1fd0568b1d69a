"""The convolution part of the table (chainrule/ops/conv.py) on its own terms.

- conv2d against a direct loop over output pixels (the definition, in float64);
- the three products are adjoints of one another: <conv2d(x, w), gy> = <x, conv2d_input(gy,
  w)> = <w, conv2d_weight(x, gy)>, and <unfold(x), c> = <x, fold(c)>, and avg_pool2d with
  its backward, on random geometries (stride, padding, dilation, groups, ceil_mode);
- Jacobians through the batched rules (chainrule.func's jacrev / jacfwd, which push a whole
  basis through one pass) equal the ones taken one row at a time;
- max pooling's subgradient at ties: the first maximum of the window (row-major) gets it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.ops.conv import (
    _avg_back_fwd,
    _avg_fwd,
    _conv_fwd,
    _conv_input_fwd,
    _conv_weight_fwd,
    _fold_fwd,
    _unfold_fwd,
)

F = cr.nn.functional


def _direct_conv(x, w, stride, padding, dilation, groups):
    """conv2d by its definition: one dot product per output element."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for b in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    r, s = i * stride[0], j * stride[1]
                    patch = xp[
                        b,
                        g * cg : (g + 1) * cg,
                        r : r + dilation[0] * (kh - 1) + 1 : dilation[0],
                        s : s + dilation[1] * (kw - 1) + 1 : dilation[1],
                    ]
                    out[b, oc, i, j] = (patch * w[oc]).sum()
    return out


@st.composite
def geometry(draw):
    g = draw(st.sampled_from([1, 2, 3]))
    cg, og, n = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    hw = tuple(
        draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 7))
        for kk, dd, pp in zip(k, d, p, strict=True)
    )
    params = {"stride": s, "padding": p, "dilation": d, "groups": g}
    return (n, g * cg) + hw, (g * og, cg) + k, params


@settings(max_examples=40, deadline=None)
@given(geometry(), st.integers(0, 2**31))
def test_conv2d_is_the_definition(geo, seed):
    xs, ws, p = geo
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    np.testing.assert_allclose(_conv_fwd(np, x, w, **p), _direct_conv(x, w, **p), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(geometry(), st.integers(0, 2**31))
def test_the_three_products_are_adjoints(geo, seed):
    xs, ws, p = geo
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    y = _conv_fwd(np, x, w, **p)
    gy = rng.standard_normal(y.shape)
    lhs = (y * gy).sum()
    dx = _conv_input_fwd(np, gy, w, x_hw=xs[2:], **p)
    dw = _conv_weight_fwd(np, x, gy, kernel=ws[2:], **p)
    assert dx.shape == x.shape and dw.shape == w.shape
    np.testing.assert_allclose((x * dx).sum(), lhs, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose((w * dw).sum(), lhs, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(geometry(), st.integers(0, 2**31))
def test_unfold_and_fold_are_adjoints(geo, seed):
    xs, ws, p = geo
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs)
    q = {"kernel": ws[2:], "dilation": p["dilation"], "padding": p["padding"]}
    q["stride"] = p["stride"]
    cols = _unfold_fwd(np, x, **q)
    c = rng.standard_normal(cols.shape)
    back = _fold_fwd(np, c, out_hw=xs[2:], **q)
    np.testing.assert_allclose((cols * c).sum(), (x * back).sum(), rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(1, 3),
    st.integers(1, 3),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_avg_pool2d_and_its_backward_are_adjoints(h, w, k, s, ceil, include, seed):
    k = min(k, h, w)
    p = {
        "kernel": (k, k),
        "stride": (s, s),
        "padding": (k // 2, 0),
        "ceil_mode": ceil,
        "count_include_pad": include,
        "divisor_override": None,
    }
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, h, w))
    y = _avg_fwd(np, x, **p)
    gy = rng.standard_normal(y.shape)
    dx = _avg_back_fwd(np, gy, x_hw=(h, w), **p)
    np.testing.assert_allclose((y * gy).sum(), (x * dx).sum(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "f",
    [
        lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
        lambda x, w: F.conv2d(x, w, groups=2, dilation=(1, 2)),
        lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1),
    ],
)
def test_batched_rules_give_the_jacobian(f):
    """jacrev and jacfwd push a basis through the batched rules (weights with batch axes
    go through ``_per_batch``); both equal the Jacobian taken one output at a time."""
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((1, 4, 5, 5)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((4, 2, 2, 2)), requires_grad=True)
    out = f(x, w)
    rows_x, rows_w = [], []
    for k in range(out.numel()):
        gx, gw = cr.autograd.grad(out.reshape(-1)[k], (x, w), retain_graph=True)
        rows_x.append(gx.numpy().reshape(-1))
        rows_w.append(gw.numpy().reshape(-1))
    jx, jw = np.stack(rows_x), np.stack(rows_w)
    for jac in (cr.func.jacrev, cr.func.jacfwd):
        ax, aw = jac(f, argnums=(0, 1))(x.detach(), w.detach())
        np.testing.assert_allclose(ax.numpy().reshape(jx.shape), jx, atol=1e-12)
        np.testing.assert_allclose(aw.numpy().reshape(jw.shape), jw, atol=1e-12)


def test_max_pool_ties_go_to_the_first_maximum():
    x = cr.tensor([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [2.0, 3.0, 1.0]]]], requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    # windows (row-major): [1 3; 3 0] -> (0,1), [3 3; 0 3] -> (0,1), [3 0; 2 3] -> (1,0),
    # [0 3; 3 1] -> (1,2)
    expect = [[[[0.0, 2.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]]
    np.testing.assert_array_equal(x.grad.numpy(), expect)
