"""THE TABLE, part 9: convolution and pooling over the last two axes (N, C, H, W).

Convolution is bilinear in its input x and weight w. With ``F(x, w, gy) = <conv(x, w), gy>``
the three products below are the three partial derivatives of one form, so each one's
rules are the other two:

    conv2d(x, w)            = dF/dgy    (the layer)
    conv2d_input(gy, w)     = dF/dx     (its vjp in x; also conv_transpose2d)
    conv2d_weight(x, gy)    = dF/dw     (its vjp in w)

and, as each is linear in each input, its jvp in an input is the same product with that
input's tangent. ``conv2d_bias`` and ``conv2d_input_bias`` add a bias in the same node
(PyTorch's ConvolutionBackward0 has it as a third input): its gradient is g summed over
samples and positions. The forwards are im2col: the windows of the padded input as a
strided view (``backend.windows``), copied once into a (C/G * kh * kw, N * OH * OW)
matrix, and one BLAS product per group; the input gradient scatters its columns back
with one strided add per kernel offset (col2im: kh * kw adds, never a loop over pixels),
or, with stride 1, is itself such a convolution with the flipped kernel.
``unfold`` and ``fold`` are im2col and col2im as PyTorch lays them out, each the other's
adjoint.

Pooling: ``max_pool2d`` gathers the selected elements by index (found beforehand by
``max_pool2d_indices``: the first maximum of each window, row-major, as PyTorch); its
gradient goes back to those indices. ``avg_pool2d`` and ``avg_pool2d_backward`` are each
other's adjoints (sums over windows, and their spreading back), both linear.

Gradients and tangents may carry leading batch axes (``batch``): where that axis is the
data's (x, gy) it rides along as more samples; where it is the weight's, the rule runs
once per batch element (``_per_batch``: only chainrule.func's Jacobians get there).
The PyTorch-named functions (argument parsing, errors) are ``chainrule.functions.conv``.
"""

from __future__ import annotations

import math

from .. import backend as _backend
from .apply import apply
from .primitive import LINEAR, alias, defop


def _call(ns, prim, *args, **params):
    """A table entry inside a rule: recorded on Tensors (create_graph, forward mode), its
    forward on raw arrays (first-order backward)."""
    if ns.graph:
        return apply(prim, *args, **params)
    return prim.fwd(ns.xp, *args, **params)


def _per_batch(ns, batch, f, t):
    """``f`` of each element of ``t`` along its leading batch axes, stacked back."""
    if not batch:
        return f(t)
    n = math.prod(batch)
    flat = ns.reshape(t, (n,) + tuple(t.shape[len(batch) :]))
    parts = [ns.expand_dims(f(flat[i]), 0) for i in range(n)]
    r = ns.concatenate(parts, axis=0)
    return ns.reshape(r, tuple(batch) + tuple(r.shape[1:]))


# ------------------------------------------------------------------ the three products
def _pad(xp, x, ph, pw, value=0, eh=0, ew=0):
    """x with ``ph`` rows above, ``ph + eh`` below, ``pw`` columns left, ``pw + ew`` right."""
    if not (ph or pw or eh or ew):
        return x
    h, w = x.shape[-2:]
    out = xp.full(x.shape[:-2] + (h + 2 * ph + eh, w + 2 * pw + ew), value, dtype=x.dtype)
    out[..., ph : ph + h, pw : pw + w] = x
    return out


def _columns(xp, x, kernel, stride, padding, dilation, groups, out_hw=None):
    """im2col: x (N, C, H, W) as the matrix (G, C/G * kh * kw, N * OH * OW), and (OH, OW):
    one row per (channel, kernel offset), one column per (sample, output position), so
    that a convolution is one BLAS product per group. ``out_hw``: only the first windows
    (an input grown by conv_transpose2d's output_padding has rows no output saw)."""
    n, c = x.shape[:2]
    v = _backend.windows(xp, _pad(xp, x, *padding), kernel, stride, dilation)
    if out_hw is not None:
        v = v[..., : out_hw[0], : out_hw[1]]
    oh, ow = v.shape[-2:]
    v = _backend.permute(
        v, (1, 2, 3, 0, 4, 5)
    )  # (C, kh, kw, N, OH, OW): the one copy is the reshape
    return _backend.reshape(v, (groups, c // groups * kernel[0] * kernel[1], n * oh * ow)), (oh, ow)


def _row_shift_ok(xp, x, w_shape, stride, dilation, groups) -> bool:
    """Whether the row-shift products below apply: NumPy, stride and dilation 1, one
    group, more than one channel (with one, channels-last rows are one number wide)."""
    return (
        stride == (1, 1)
        and dilation == (1, 1)
        and groups == 1
        and len(w_shape) == 4
        and x.shape[1] > 1
        and x.size > 0
        and xp is _backend.numpy
    )


def _row_columns(xp, x, kh, kw, padding):
    """x (N, C, H, W), padded, as the matrix (Hp * N * OW, kw * C): row (r, n, j) holds
    padded row r of sample n from column j on, ``kw`` columns by C channels, channels
    last. It is three times x (kw times), not im2col's kh * kw times: the rows for kernel
    row a are rows a * N * OW onward, one contiguous block, so each kernel row is one BLAS
    product on a block of this matrix."""
    n, c, h, w = x.shape
    (ph, pw) = padding
    hp, wp = h + 2 * ph, w + 2 * pw
    ow = wp - kw + 1
    t = xp.zeros((hp, n, wp, c), dtype=x.dtype)
    t[ph : ph + h, :, pw : pw + w, :] = _backend.permute(x, (2, 0, 3, 1))
    s = t.strides
    v = xp.lib.stride_tricks.as_strided(t, (hp, n, ow, kw, c), (s[0], s[1], s[2], s[2], s[3]))
    return _backend.reshape(v, (hp * n * ow, kw * c)), (hp - kh + 1, ow)


def _row_shift_fwd(xp, x, w, padding):
    """conv2d with stride 1 as kh products: out^T (OH * N * OW, O) is the sum over kernel
    rows a of a block of the row matrix times w's row a (kw * C, O)."""
    n = x.shape[0]
    o, c, kh, kw = w.shape
    rows, (oh, ow) = _row_columns(xp, x, kh, kw, padding)
    wt = _backend.reshape(xp.ascontiguousarray(_backend.permute(w, (2, 3, 1, 0))), (kh, kw * c, o))
    step, m = n * ow, oh * n * ow
    out = xp.matmul(rows[:m], wt[0])
    for a in range(1, kh):
        out += xp.matmul(rows[a * step : a * step + m], wt[a])
    return xp.ascontiguousarray(
        _backend.permute(_backend.reshape(out, (oh, n, ow, o)), (1, 3, 0, 2))
    )


def _row_shift_weight(xp, x, gy, kernel, padding):
    """conv2d's weight gradient with stride 1: for each kernel row a, gy (O, OH * N * OW)
    times that row's block of the row matrix."""
    n, c = x.shape[:2]
    o = gy.shape[1]
    kh, kw = kernel
    rows, (oh, ow) = _row_columns(xp, x, kh, kw, padding)
    g = _backend.reshape(xp.ascontiguousarray(_backend.permute(gy, (1, 2, 0, 3))), (o, oh * n * ow))
    step, m = n * ow, oh * n * ow
    dw = xp.empty((kh, o, kw * c), dtype=x.dtype)
    for a in range(kh):
        dw[a] = xp.matmul(g, rows[a * step : a * step + m])
    return xp.ascontiguousarray(
        _backend.permute(_backend.reshape(dw, (kh, o, kw, c)), (1, 3, 0, 2))
    )


def _samples(x, k: int):
    """x with its leading axes (a batch of tangents, or none: one sample) as one axis N."""
    return _backend.reshape(x, (math.prod(x.shape[:-k]),) + x.shape[-k:])


def _channels_first(xp, gy, groups):
    """gy (N, O, OH, OW) as (G, O/G, N * OH * OW), the layout of the column products."""
    n, o, oh, ow = gy.shape
    return _backend.reshape(
        xp.ascontiguousarray(_backend.permute(gy, (1, 0, 2, 3))), (groups, o // groups, -1)
    )


def _conv_fwd(xp, x, w, *, stride, padding, dilation, groups):
    if w.ndim == 3:  # 1-d: the 2-d product on an added axis of size 1
        out = _conv_fwd(
            xp, x[..., None, :], w[:, :, None, :], stride=stride, padding=padding,
            dilation=dilation, groups=groups,
        )  # fmt: skip
        return _backend.reshape(out, out.shape[:-2] + out.shape[-1:])
    lead = x.shape[:-3]
    x = _samples(x, 3)
    if _row_shift_ok(xp, x, w.shape, stride, dilation, groups):
        out = _row_shift_fwd(xp, x, w, padding)
        return _backend.reshape(out, lead + out.shape[1:])
    n, o = x.shape[0], w.shape[0]
    cols, (oh, ow) = _columns(xp, x, w.shape[2:], stride, padding, dilation, groups)
    out = xp.matmul(
        _backend.reshape(w, (groups, o // groups, cols.shape[1])), cols
    )  # (G, O/G, N*OH*OW)
    out = _backend.permute(_backend.reshape(out, (o, n, oh, ow)), (1, 0, 2, 3))
    return _backend.reshape(xp.ascontiguousarray(out), lead + (o, oh, ow))


def _conv_input_fwd(xp, gy, w, *, x_hw, stride, padding, dilation, groups):
    """The adjoint of conv2d in x: gy's columns w^T gy scattered back onto the padded
    input (col2im), one strided add per kernel offset, then the padding cut off."""
    if w.ndim == 3:  # 1-d
        out = _conv_input_fwd(
            xp, gy[..., None, :], w[:, :, None, :], x_hw=x_hw, stride=stride,
            padding=padding, dilation=dilation, groups=groups,
        )  # fmt: skip
        return _backend.reshape(out, out.shape[:-2] + out.shape[-1:])
    lead = gy.shape[:-3]
    gy = _samples(gy, 3)
    n, o, oh, ow = gy.shape
    cg, kh, kw = w.shape[1:]
    back = tuple(d * (k - 1) - p for d, k, p in zip(dilation, (kh, kw), padding, strict=True))
    if stride == (1, 1) and min(back) >= 0 and o <= groups * cg:
        # with stride 1 the adjoint is itself a convolution: of gy, padded by d (k - 1) - p,
        # with the kernel flipped and its in/out channels swapped (per group). Where gy has
        # no more channels than x, its im2col product (inner dimension O/G * kh * kw) beats
        # the product with inner dimension O/G and the scatter of its larger columns.
        wf = _backend.swapaxes(
            _backend.reshape(w, (groups, o // groups, cg, kh, kw))[..., ::-1, ::-1], 1, 2
        )
        wf = _backend.reshape(xp.ascontiguousarray(wf), (groups * cg, o // groups, kh, kw))
        # (an input grown by output_padding: gy padded further below and right)
        eh, ew = (h - (m + b - p) for h, m, b, p in zip(x_hw, (oh, ow), back, padding, strict=True))
        if (eh, ew) == (0, 0) and _row_shift_ok(xp, gy, wf.shape, stride, dilation, groups):
            out = _row_shift_fwd(xp, gy, wf, back)  # (which pads as it lays out its rows)
            return _backend.reshape(out, lead + out.shape[1:])
        gy = _pad(xp, gy, back[0], back[1], 0, eh, ew)
        out = _conv_fwd(xp, gy, wf, stride=stride, padding=(0, 0), dilation=dilation, groups=groups)
        return _backend.reshape(out, lead + out.shape[1:])
    wt = xp.ascontiguousarray(
        _backend.swapaxes(_backend.reshape(w, (groups, o // groups, cg * kh * kw)), -1, -2)
    )
    cols = xp.matmul(wt, _channels_first(xp, gy, groups))  # (G, C/G * kh * kw, N*OH*OW)
    cols = _backend.permute(
        _backend.reshape(cols, (groups * cg, kh, kw, n, oh, ow)), (0, 3, 1, 2, 4, 5)
    )
    out = _col2im(xp, cols, x_hw, stride, padding, dilation)  # (C, N, H, W)
    return _backend.reshape(
        xp.ascontiguousarray(_backend.permute(out, (1, 0, 2, 3))), lead + out.shape[:1] + x_hw
    )


def _col2im(xp, cols, hw, stride, padding, dilation):
    """The adjoint of the windows view: cols (..., kh, kw, OH, OW) added back onto the
    padded (..., H, W), one strided add per kernel offset, the padding cut off (a view)."""
    kh, kw, oh, ow = cols.shape[-4:]
    (h, w), (sh, sw), (ph, pw), (dh, dw) = hw, stride, padding, dilation
    out = xp.zeros(cols.shape[:-4] + (h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    if oh and ow:
        for i in range(kh):
            for j in range(kw):
                r, c = i * dh, j * dw
                out[..., r : r + sh * (oh - 1) + 1 : sh, c : c + sw * (ow - 1) + 1 : sw] += cols[
                    ..., i, j, :, :
                ]
    return out[..., ph : ph + h, pw : pw + w]


def _conv_weight_fwd(xp, x, gy, *, kernel, stride, padding, dilation, groups):
    """The adjoint of conv2d in w: sum over samples and positions of gy times x's columns,
    one product per group with N * OH * OW as the contracted axis."""
    if len(kernel) == 1:  # 1-d
        out = _conv_weight_fwd(
            xp, x[..., None, :], gy[..., None, :], kernel=(1,) + tuple(kernel), stride=stride,
            padding=padding, dilation=dilation, groups=groups,
        )  # fmt: skip
        return _backend.reshape(out, out.shape[:2] + out.shape[-1:])
    x, gy = _samples(x, 3), _samples(gy, 3)
    c, o = x.shape[1], gy.shape[1]
    if _row_shift_ok(xp, x, (o, c) + tuple(kernel), stride, dilation, groups) and gy.shape[-2:] == (
        x.shape[2] + 2 * padding[0] - kernel[0] + 1,
        x.shape[3] + 2 * padding[1] - kernel[1] + 1,
    ):  # (not where gy covers only part of the output: conv_transpose2d's output_padding)
        return _row_shift_weight(xp, x, gy, kernel, padding)
    cols, _ = _columns(xp, x, kernel, stride, padding, dilation, groups, gy.shape[-2:])
    dw = xp.matmul(
        _channels_first(xp, gy, groups), _backend.swapaxes(cols, -1, -2)
    )  # (G, O/G, CgK)
    return _backend.reshape(dw, (o, c // groups) + tuple(kernel))


def _hw(x_shape, nk: int) -> tuple:
    """The input's spatial size as the 2-d products take it ((1, L) for 1-d)."""
    return (1,) * (2 - nk) + tuple(x_shape[-nk:])


def _p(stride, padding, dilation, groups):
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def _conv(ns, x, w, stride, padding, dilation, groups, batch_w=(), crop=None):
    """conv2d(x, w); ``crop``: the output's spatial size where x may be larger than the
    input that made it (conv_transpose2d's output_padding)."""
    p = _p(stride, padding, dilation, groups)
    out = _per_batch(ns, batch_w, lambda wi: _call(ns, CONV2D, x, wi, **p), w)
    if crop is not None and tuple(out.shape[-len(crop) :]) != tuple(crop):
        cut = (Ellipsis,) + tuple(slice(0, n) for n in crop)
        out = ns.getitem(out, cut)
    return out


def _conv_input(ns, gy, w, x_hw, stride, padding, dilation, groups, batch_w=()):
    p = _p(stride, padding, dilation, groups)
    return _per_batch(
        ns, batch_w, lambda wi: _call(ns, CONV2D_INPUT, gy, wi, x_hw=tuple(x_hw), **p), w
    )


def _conv_weight(ns, x, gy, kernel, stride, padding, dilation, groups, batch=(), on_x=False):
    p = _p(stride, padding, dilation, groups)
    if on_x:  # the batch axes are x's
        return _per_batch(
            ns, batch, lambda xi: _call(ns, CONV2D_WEIGHT, xi, gy, kernel=tuple(kernel), **p), x
        )
    return _per_batch(
        ns, batch, lambda gi: _call(ns, CONV2D_WEIGHT, x, gi, kernel=tuple(kernel), **p), gy
    )


# conv2d: (x, w) -> (conv2d_input(g, w), conv2d_weight(x, g)); tangent: conv(t, w) + conv(x, t)
CONV2D = defop(
    "conv2d",
    _conv_fwd,
    (
        lambda ns, g, w, x_shape, stride, padding, dilation, groups: _conv_input(
            ns, g, w, _hw(x_shape, w.ndim - 2), stride, padding, dilation, groups
        ),
        lambda ns, g, x, w_shape, stride, padding, dilation, groups, batch: _conv_weight(
            ns, x, g, w_shape[2:], stride, padding, dilation, groups, batch
        ),
    ),
    grad_fn="ConvolutionBackward0",
    jvp=(
        lambda ns, t, w, stride, padding, dilation, groups: _conv(
            ns, t, w, stride, padding, dilation, groups
        ),
        lambda ns, t, x, stride, padding, dilation, groups, batch: _conv(
            ns, x, t, stride, padding, dilation, groups, batch
        ),
    ),
)


def _bias_fwd(xp, x, w, b, *, stride, padding, dilation, groups):
    out = _conv_fwd(xp, x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    out += _backend.reshape(b, b.shape + (1,) * (w.ndim - 2))
    return out


def _bias_vjp(ns, g, w_shape, batch):
    # the bias is added at every sample and position: its gradient sums g over them
    nd = len(w_shape) - 2
    nb = len(batch)
    c = g.ndim - nd - 1
    return ns.sum(g, axis=tuple(a for a in range(nb, g.ndim) if a != c))


def _bias_jvp(ns, t, w_shape, batch):
    # (batch..., O) against the output (batch..., N, O, H, W): broadcast over N, H, W
    return ns.reshape(t, tuple(batch) + (1, t.shape[-1]) + (1,) * (len(w_shape) - 2))


# conv2d with a bias, one node as PyTorch's (ConvolutionBackward0 with three inputs): the
# x and w rules are conv2d's; the bias rule sums g over samples and positions
CONV2D_BIAS = defop(
    "conv2d_bias",
    _bias_fwd,
    CONV2D.vjp + (_bias_vjp,),
    grad_fn="ConvolutionBackward0",
    jvp=CONV2D.jvp + (_bias_jvp,),
)

# conv2d_input: (gy, w) -> x-shaped. <conv2d_input(gy, w), h> = <gy, conv2d(h, w)>, so its
# vjps are conv2d(g, w) and conv2d_weight(g, gy); PyTorch's conv_transpose2d is this op.
CONV2D_INPUT = defop(
    "conv2d_input",
    _conv_input_fwd,
    (
        lambda ns, g, w, gy_shape, stride, padding, dilation, groups: _conv(
            ns, g, w, stride, padding, dilation, groups, crop=gy_shape[2 - w.ndim :]
        ),
        lambda ns, g, gy, w_shape, stride, padding, dilation, groups, batch: _conv_weight(
            ns, g, gy, w_shape[2:], stride, padding, dilation, groups, batch, on_x=True
        ),
    ),
    grad_fn="ConvolutionBackward0",  # PyTorch's conv_transpose2d prints this name too
    jvp=(
        lambda ns, t, w, x_hw, stride, padding, dilation, groups: _conv_input(
            ns, t, w, x_hw, stride, padding, dilation, groups
        ),
        lambda ns, t, gy, x_hw, stride, padding, dilation, groups, batch: _conv_input(
            ns, gy, t, x_hw, stride, padding, dilation, groups, batch
        ),
    ),
)


def _input_bias_fwd(xp, gy, w, b, *, x_hw, stride, padding, dilation, groups):
    out = _conv_input_fwd(
        xp, gy, w, x_hw=x_hw, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    out += _backend.reshape(b, b.shape + (1,) * (w.ndim - 2))
    return out


# conv_transpose2d with a bias, one node as PyTorch's: conv2d_input's rules, and the bias's
CONV2D_INPUT_BIAS = defop(
    "conv2d_input_bias",
    _input_bias_fwd,
    CONV2D_INPUT.vjp + (_bias_vjp,),
    grad_fn="ConvolutionBackward0",
    jvp=CONV2D_INPUT.jvp + (_bias_jvp,),
)

# conv2d_weight: (x, gy) -> w-shaped. <conv2d_weight(x, gy), h> = <gy, conv2d(x, h)>, so
# its vjps are conv2d_input(gy, g) and conv2d(x, g)
CONV2D_WEIGHT = defop(
    "conv2d_weight",
    _conv_weight_fwd,
    (
        lambda ns, g, gy, x_shape, kernel, stride, padding, dilation, groups, batch: _conv_input(
            ns, gy, g, _hw(x_shape, len(kernel)), stride, padding, dilation, groups, batch
        ),
        lambda ns, g, x, gy_shape, kernel, stride, padding, dilation, groups, batch: _conv(
            ns, x, g, stride, padding, dilation, groups, batch, crop=gy_shape[-len(kernel) :]
        ),
    ),
    grad_fn="ConvolutionBackwardBackward0",
    jvp=(
        lambda ns, t, gy, kernel, stride, padding, dilation, groups, batch: _conv_weight(
            ns, t, gy, kernel, stride, padding, dilation, groups, batch, on_x=True
        ),
        lambda ns, t, x, kernel, stride, padding, dilation, groups, batch: _conv_weight(
            ns, x, t, kernel, stride, padding, dilation, groups, batch
        ),
    ),
)


# ------------------------------------------------------------------ unfold and fold
def _unfold_fwd(xp, x, *, kernel, dilation, padding, stride):
    """im2col as PyTorch's unfold lays it out: (..., C * kh * kw, OH * OW)."""
    v = _backend.windows(xp, _pad(xp, x, *padding), kernel, stride, dilation)
    c, k = x.shape[-3], kernel[0] * kernel[1]
    return _backend.reshape(v, x.shape[:-3] + (c * k, v.shape[-2] * v.shape[-1]))


def _fold_fwd(xp, cols, *, out_hw, kernel, dilation, padding, stride):
    """col2im: (..., C * kh * kw, L) summed back onto (..., C, H, W)."""
    oh, ow = (
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, p, d, k, s in zip(out_hw, padding, dilation, kernel, stride, strict=True)
    )
    k = kernel[0] * kernel[1]
    c = cols.shape[-2] // k
    cols = _backend.reshape(cols, cols.shape[:-2] + (c,) + tuple(kernel) + (oh, ow))
    return xp.ascontiguousarray(_col2im(xp, cols, out_hw, stride, padding, dilation))


def _uf(kernel, dilation, padding, stride):
    return {"kernel": kernel, "dilation": dilation, "padding": padding, "stride": stride}


# unfold (im2col) and fold (col2im) are each other's adjoints; both linear
UNFOLD = defop(
    "unfold",
    _unfold_fwd,
    lambda ns, g, x_shape, kernel, dilation, padding, stride: _call(
        ns, FOLD, g, out_hw=tuple(x_shape[-2:]), **_uf(kernel, dilation, padding, stride)
    ),
    grad_fn="Im2ColBackward0",
    jvp=LINEAR,
)
FOLD = defop(
    "fold",
    _fold_fwd,
    lambda ns, g, kernel, dilation, padding, stride: _call(
        ns, UNFOLD, g, **_uf(kernel, dilation, padding, stride)
    ),
    grad_fn="Col2ImBackward0",
    jvp=LINEAR,
)


# ------------------------------------------------------------------ pooling
def pool_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length: floor (or ceil) of the window count, where a last
    window in ceil mode must start inside the input or its left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _starts(xp, out_len, s, p):
    return xp.arange(out_len) * s - p


def max_pool2d_indices(xp, x, kernel, stride, padding, dilation, ceil_mode):
    """For each window of max pooling, the flat index (into H * W) of its first maximum in
    row-major order, as PyTorch: it starts at the window's first element inside the input
    and moves on to a later one that is larger, or NaN (which then propagates). One pass
    per kernel offset over a strided view of x padded with -inf; no gradient."""
    h, w = x.shape[-2:]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh = pool_size(h, kh, sh, ph, dh, ceil_mode)
    ow = pool_size(w, kw, sw, pw, dw, ceil_mode)
    eh = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - h - 2 * ph)
    ew = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - w - 2 * pw)
    low = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
    xpad = _pad(xp, x, ph, pw, low, eh, ew)
    r0, c0 = _starts(xp, oh, sh, ph), _starts(xp, ow, sw, pw)
    # the first element inside the input of each window (padding is never selected)
    fr = xp.where(r0 < 0, r0 + (-r0 + dh - 1) // dh * dh, r0)
    fc = xp.where(c0 < 0, c0 + (-c0 + dw - 1) // dw * dw, c0)
    idx = _backend.copy(xp.broadcast_to(fr[:, None] * w + fc[None, :], x.shape[:-2] + (oh, ow)))
    best = _backend.reshape(
        xp.take_along_axis(
            _backend.reshape(x, x.shape[:-2] + (h * w,)),
            _backend.reshape(idx, idx.shape[:-2] + (oh * ow,)),
            axis=-1,
        ),
        idx.shape,
    )
    for i in range(kh):
        for j in range(kw):
            a, b = i * dh, j * dw
            v = xpad[..., a : a + sh * (oh - 1) + 1 : sh, b : b + sw * (ow - 1) + 1 : sw]
            upd = v > best
            if x.dtype.kind == "f":
                upd |= v != v  # NaN
            best = xp.where(upd, v, best)
            idx = xp.where(upd, (r0 + a)[:, None] * w + (c0 + b)[None, :], idx)
    return idx


def window_argmax(xp, x, rows, cols):
    """The argmax of x over windows: ``rows[i]`` (length OH) is the row of offset i of
    every window, ``cols[j]`` the column; out of range means padding (never selected)."""
    h, w = x.shape[-2:]
    oh, ow = rows[0].shape[0], cols[0].shape[0]
    best = xp.full(x.shape[:-2] + (oh, ow), -xp.inf, dtype=x.dtype)
    idx = xp.full(x.shape[:-2] + (oh, ow), -1, dtype=xp.int64)
    for r in rows:
        rv = (r >= 0) & (r < h)
        rc = xp.clip(r, 0, max(h - 1, 0))
        for c in cols:
            cv = (c >= 0) & (c < w)
            cc = xp.clip(c, 0, max(w - 1, 0))
            v = _backend.getitem(xp, x, (..., rc[:, None], cc[None, :]))
            upd = (rv[:, None] & cv[None, :]) & ((v > best) | xp.isnan(v) | (idx < 0))
            best = xp.where(upd, v, best)
            idx = xp.where(upd, rc[:, None] * w + cc[None, :], idx)
    return idx


def _gather_fwd(xp, x, *, idx):
    lead = x.shape[:-2]
    flat = _backend.reshape(x, lead + (x.shape[-2] * x.shape[-1],))
    i = _backend.reshape(idx, idx.shape[:-2] + (idx.shape[-2] * idx.shape[-1],))
    if i.shape[:-1] != lead:  # a batch of tangents in front
        i = xp.broadcast_to(i, lead + i.shape[-1:])
    return _backend.reshape(xp.take_along_axis(flat, i, axis=-1), lead + idx.shape[-2:])


def _gather_vjp(ns, g, x_shape, idx, batch):
    xp = _backend.namespace(idx)
    full = tuple(batch) + tuple(x_shape)
    lead = full[:-2]
    i = xp.broadcast_to(
        _backend.reshape(idx, idx.shape[:-2] + (idx.shape[-2] * idx.shape[-1],)),
        lead + (idx.shape[-2] * idx.shape[-1],),
    )
    gf = ns.reshape(g, lead + (i.shape[-1],))
    r = ns.put_along(gf, i, len(lead), lead + (x_shape[-2] * x_shape[-1],))
    return ns.reshape(r, full)


def _gather_jvp(ns, t, idx, batch):
    xp = _backend.namespace(idx)
    lead = tuple(t.shape[:-2])
    i = xp.broadcast_to(
        _backend.reshape(idx, idx.shape[:-2] + (idx.shape[-2] * idx.shape[-1],)),
        lead + (idx.shape[-2] * idx.shape[-1],),
    )
    tf = ns.reshape(t, lead + (t.shape[-2] * t.shape[-1],))
    return ns.reshape(ns.take_along(tf, i, len(lead)), lead + tuple(idx.shape[-2:]))


# max_pool2d: x -> x at the index of each window's first maximum; g goes back to that index
MAX_POOL2D = defop(
    "max_pool2d",
    _gather_fwd,
    _gather_vjp,
    grad_fn="MaxPool2DWithIndicesBackward0",
    jvp=_gather_jvp,
    tensor_params=("idx",),
    kink="the first maximum of the window (row-major) gets the gradient",
)
ADAPTIVE_MAX_POOL2D = defop(
    "adaptive_max_pool2d",
    _gather_fwd,
    _gather_vjp,
    grad_fn="AdaptiveMaxPool2DBackward0",
    jvp=_gather_jvp,
    tensor_params=("idx",),
    kink="the first maximum of the window (row-major) gets the gradient",
)


# The windows' indices found from values (integers, no derivative): the functions compute
# them on the data before their primitive; an explicit graph (chainrule.sym) holds them as
# these nodes.
MAX_POOL2D_INDICES = defop(
    "max_pool2d_indices",
    lambda xp, x, *, kernel, stride, padding, dilation, ceil_mode: max_pool2d_indices(
        xp, x, kernel, stride, padding, dilation, ceil_mode
    ),
)
WINDOW_ARGMAX = defop(
    "window_argmax", lambda xp, x, *, rows, cols: window_argmax(xp, x, rows, cols)
)


def avg_divisor(xp, hw, kernel, stride, padding, ceil_mode, count_include_pad, divisor):
    """The (OH, OW) divisors of average pooling, as PyTorch: the window clipped to the
    padded input (count_include_pad) or to the input itself; or ``divisor``."""
    out = []
    for n, k, s, p in zip(hw, kernel, stride, padding, strict=True):
        m = pool_size(n, k, s, p, 1, ceil_mode)
        start = xp.arange(m) * s - p
        end = xp.minimum(start + k, n + p)
        size = end - start
        if not count_include_pad:
            size = xp.minimum(end, n) - xp.maximum(start, 0)
        out.append(size)
    if divisor:
        return divisor
    return out[0][:, None] * out[1][None, :]


def _pool_geometry(hw, kernel, stride, padding, ceil_mode):
    oh = pool_size(hw[0], kernel[0], stride[0], padding[0], 1, ceil_mode)
    ow = pool_size(hw[1], kernel[1], stride[1], padding[1], 1, ceil_mode)
    # extra rows/columns below/right so that every (ceil mode) window lies in the array
    eh = max(0, (oh - 1) * stride[0] + kernel[0] - hw[0] - 2 * padding[0])
    ew = max(0, (ow - 1) * stride[1] + kernel[1] - hw[1] - 2 * padding[1])
    return oh, ow, eh, ew


def _avg_fwd(xp, x, *, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    hw = x.shape[-2:]
    oh, ow, eh, ew = _pool_geometry(hw, kernel, stride, padding, ceil_mode)
    xpad = _pad(xp, x, padding[0], padding[1], 0, eh, ew)
    out = xp.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype)
    (kh, kw), (sh, sw) = kernel, stride
    if oh and ow:
        for i in range(kh):
            for j in range(kw):
                out += xpad[..., i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
    d = avg_divisor(xp, hw, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    if x.dtype.kind in "iub":  # integers: the quotient truncated toward zero, as PyTorch's
        return _backend.astype(xp.sign(out) * (xp.abs(out) // d), x.dtype)
    out /= d if isinstance(d, int) else _backend.astype(d, x.dtype)
    return out


def _avg_back_fwd(
    xp, gy, *, x_hw, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    """avg_pool2d's adjoint: each output's gradient, divided by its divisor, spread evenly
    over its window (one strided add per kernel offset), the padding cut off."""
    oh, ow, eh, ew = _pool_geometry(x_hw, kernel, stride, padding, ceil_mode)
    d = avg_divisor(
        xp, x_hw, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    gy = gy / (d if isinstance(d, int) else _backend.astype(d, gy.dtype))
    (h, w), (kh, kw), (sh, sw), (ph, pw) = x_hw, kernel, stride, padding
    out = xp.zeros(gy.shape[:-2] + (h + 2 * ph + eh, w + 2 * pw + ew), dtype=gy.dtype)
    if oh and ow:
        for i in range(kh):
            for j in range(kw):
                out[..., i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += gy
    return xp.ascontiguousarray(out[..., ph : ph + h, pw : pw + w])


def _pool_p(kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    return {
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": ceil_mode,
        "count_include_pad": count_include_pad,
        "divisor_override": divisor_override,
    }


def _avg_vjp(
    ns, g, x_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    p = _pool_p(kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return _call(ns, AVG_POOL2D_BACKWARD, g, x_hw=tuple(x_shape[-2:]), **p)


def _avg_back_vjp(ns, g, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    p = _pool_p(kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return _call(ns, AVG_POOL2D, g, **p)


# avg_pool2d: window means -> g / divisor spread back over each window; linear
AVG_POOL2D = defop("avg_pool2d", _avg_fwd, _avg_vjp, grad_fn="AvgPool2DBackward0", jvp=LINEAR)
# adaptive_avg_pool2d where the output size divides the input's: the same windows
ADAPTIVE_AVG_POOL2D = alias(AVG_POOL2D, "adaptive_avg_pool2d", grad_fn="AdaptiveAvgPool2DBackward0")
# avg_pool2d_backward: its adjoint is avg_pool2d again; linear
AVG_POOL2D_BACKWARD = defop(
    "avg_pool2d_backward",
    _avg_back_fwd,
    _avg_back_vjp,
    grad_fn="AvgPool2DBackwardBackward0",
    jvp=LINEAR,
)
