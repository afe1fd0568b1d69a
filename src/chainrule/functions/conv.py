"""The PyTorch-named convolution, pooling and padding functions (``torch.nn.functional``'s
conv1d, conv2d, conv_transpose2d, max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool2d,
adaptive_max_pool2d, unfold, fold, pad): PyTorch's arguments, defaults and errors over the
table's entries (``chainrule.ops.conv``).

What is a composite, not a table entry (a bias is part of the convolution's node, as in
PyTorch: the table's ``conv2d_bias``, ``conv2d_input_bias``): conv1d and the 1-d pools are
the 2-d ones on an added axis of size 1; ``conv_transpose2d`` is conv2d's vjp in its input
(the table's ``conv2d_input``); adaptive average pooling is a mean (output 1 x 1), an
avg_pool2d (sizes that divide) or two products with averaging matrices; ``pad`` is cat
(constant) or an index (reflect, replicate, circular).

>>> import chainrule as torch
>>> import chainrule.nn.functional as F
>>> x = torch.ones(1, 1, 4, 4)
>>> F.conv2d(x, torch.ones(2, 1, 3, 3), padding=1)[0, 0]
tensor([[4., 6., 6., 4.],
        [6., 9., 9., 6.],
        [6., 9., 9., 6.],
        [4., 6., 6., 4.]])
>>> F.max_pool2d(x, 2).shape, F.avg_pool2d(x, 3, stride=1).shape
(torch.Size([1, 1, 2, 2]), torch.Size([1, 1, 2, 2]))
"""

from __future__ import annotations

from .. import backend as _backend
from ..ops.apply import apply
from ..ops.conv import (
    ADAPTIVE_AVG_POOL2D,
    ADAPTIVE_MAX_POOL2D,
    AVG_POOL2D,
    CONV2D,
    CONV2D_BIAS,
    CONV2D_INPUT,
    CONV2D_INPUT_BIAS,
    FOLD,
    MAX_POOL2D,
    MAX_POOL2D_INDICES,
    UNFOLD,
    WINDOW_ARGMAX,
    max_pool2d_indices,
    pool_size,
    window_argmax,
)
from ..ops.indexing import PAD_INDEX
from ..ops.shape import CONSTANT_PAD
from ..ops.symbolic import SymArray
from . import reduction as R
from . import shape as S
from .linalg import CPP_NAMES

_TYPE_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def _tuple(v, n: int, name: str = "") -> tuple:
    """An int or a sequence of n ints (PyTorch's _pair / _single) as a tuple of n ints."""
    if isinstance(v, int):
        return (v,) * n
    t = tuple(int(a) for a in v)
    if len(t) == 1 and n > 1:
        return t * n
    if len(t) != n:
        raise RuntimeError(f"expected {name or 'argument'} to be a single integer or a {n}-tuple")
    return t


def _size(t) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _type_name(t) -> str:
    return _TYPE_NAMES.get(t.dtype.name, t.dtype.name)


# --------------------------------------------------------------------------- convolution
def _check_conv(input, weight, bias, stride, padding, dilation, groups, nd, transposed=False):
    """PyTorch's checks of a convolution's arguments, in its words."""
    name = f"conv{nd}d" if not transposed else f"conv_transpose{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, "
            f"but got input of size: {_size(input)}"
        )
    if weight.dim() != nd + 2:
        raise RuntimeError(
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input "
            f"{_size(input)}, but got {weight.dim()}-dimensional weight of size "
            f"{_size(weight)} instead"
        )
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    shown = _size(input) if input.dim() == nd + 2 else "[1, " + _size(input)[1:]
    c = input.shape[-nd - 1]
    if transposed:
        if weight.shape[0] != c:
            raise RuntimeError(
                f"Given transposed=1, weight of size {_size(weight)}, expected "
                f"input{shown} to have {weight.shape[0]} channels, but got {c} channels instead"
            )
    else:
        if weight.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at "
                f"dimension 0, but got weight of size [{_size(weight)}] instead"
            )
        if weight.shape[1] * groups != c:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {_size(weight)}, expected "
                f"input{shown} to have {weight.shape[1] * groups} channels, but got {c} "
                "channels instead"
            )
        hw = input.shape[-nd:]
        padded = [n + 2 * p for n, p in zip(hw, padding, strict=True)]
        eff = [d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation, strict=True)]
        if any(k > n for k, n in zip(eff, padded, strict=True)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater "
                "than actual input size"
            )
    if input.dtype != weight.dtype:
        if input.dtype.name == "float32":  # PyTorch's float32 path names the tensor types
            raise RuntimeError(
                f"Input type (torch.{_type_name(input)}Tensor) and weight type "
                f"(torch.{_type_name(weight)}Tensor) should be the same or input should be a "
                "MKLDNN tensor and weight is a dense tensor"
            )
        raise RuntimeError(
            f"expected scalar type {_type_name(input)} but found {_type_name(weight)}"
        )
    if bias is not None and bias.dtype != input.dtype:
        a, b = (CPP_NAMES.get(t.dtype.name, t.dtype.name) for t in (input, bias))
        raise RuntimeError(f"Input type ({a}) and bias type ({b}) should be the same")
    if bias is not None:
        o = weight.shape[0] if not transposed else weight.shape[1] * groups
        if bias.dim() != 1 or bias.shape[0] != o:
            raise RuntimeError(
                f"Given weight of size {_size(weight)}, expected bias to be 1-dimensional "
                f"with {o} elements, but got bias of size {_size(bias)} instead"
            )


def _same_padding(weight, dilation, nd):
    """'same': total padding d * (k - 1) per side pair; an odd total puts the extra one
    after (PyTorch pads the input by it first). Returns (symmetric, extra per dim)."""
    sym, extra = [], []
    for k, d in zip(weight.shape[2:], dilation, strict=True):
        total = d * (k - 1)
        sym.append(total // 2)
        extra.append(total - 2 * (total // 2))
    return tuple(sym), tuple(extra)


def _conv(input, weight, bias, stride, padding, dilation, groups, nd):
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            padding, extra = _same_padding(weight, dilation, nd)
            if any(extra):
                pads = []
                for e in reversed(extra):
                    pads += [0, e]
                input = pad(input, tuple(pads))
        else:
            raise RuntimeError(f"Invalid padding string: {padding!r}")
    else:
        padding = _tuple(padding, nd, "padding")
    _check_conv(input, weight, bias, stride, padding, dilation, groups, nd)
    unbatched = input.dim() == nd + 1  # as PyTorch: a batch of one, squeezed after
    if unbatched:
        input = S.unsqueeze(input, 0)
    if nd == 1:  # the 2-d product on an added axis of size 1 (the weight keeps 3 dims)
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
    p = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    if bias is None:
        out = apply(CONV2D, input, weight, **p)
    else:  # one node with the bias, as PyTorch's
        out = apply(CONV2D_BIAS, input, weight, bias, **p)
    return S.squeeze(out, 0) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as PyTorch) of input (N, C, H, W) or (C, H, W)
    with weight (O, C / groups, kH, kW); padding an int, a pair, 'valid' or 'same'.

    >>> import chainrule as torch
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> torch.nn.functional.conv2d(x, torch.ones(1, 1, 2, 2))
    tensor([[[[ 8., 12.],
              [20., 24.]]]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of input (N, C, L) or (C, L) with weight (O, C / groups, k).

    >>> import chainrule as torch
    >>> torch.nn.functional.conv1d(torch.arange(4.0).reshape(1, 1, 4), torch.ones(1, 1, 2))
    tensor([[[1., 3., 5.]]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Transposed 2-d convolution: the gradient of conv2d with respect to its input (the
    table's ``conv2d_input``), weight (C_in, C_out / groups, kH, kW) as PyTorch.

    >>> import chainrule as torch
    >>> torch.nn.functional.conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2))
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    nd = 2
    stride = _tuple(stride, nd, "stride")
    padding = _tuple(padding, nd, "padding")
    output_padding = _tuple(output_padding, nd, "output_padding")
    dilation = _tuple(dilation, nd, "dilation")
    _check_conv(input, weight, bias, stride, padding, dilation, groups, nd, transposed=True)
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if op >= s and op >= d:
            raise RuntimeError(
                "output padding must be smaller than either stride or dilation, but got "
                f"output_padding_height: {output_padding[0]} output_padding_width: "
                f"{output_padding[1]} stride_height: {stride[0]} stride_width: {stride[1]} "
                f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
            )
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = S.unsqueeze(input, 0)
    hw = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, s, p, d, k, op in zip(
            input.shape[-2:],
            stride,
            padding,
            dilation,
            weight.shape[2:],
            output_padding,
            strict=True,
        )
    )
    if any(n <= 0 for n in hw):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, input.shape[-2:]))}). "
            f"Calculated output size per channel: ({' x '.join(map(str, hw))}). "
            "Output size is too small"
        )
    p = {"x_hw": hw, "stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    if bias is None:
        out = apply(CONV2D_INPUT, input, weight, **p)
    else:  # one node with the bias, as PyTorch's
        out = apply(CONV2D_INPUT_BIAS, input, weight, bias, **p)
    return S.squeeze(out, 0) if unbatched else out


# ------------------------------------------------------------------------------ pooling
def _check_pool_input(
    input, name_ok_3d="non-empty 3D or 4D (batch mode) tensor expected for input"
):
    if input.dim() not in (3, 4):
        raise RuntimeError(name_ok_3d)
    if any(s == 0 for s in input.shape[-3:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{_size(input)}"
        )


def _pool_args(kernel_size, stride, padding, dilation):
    kernel = _tuple(kernel_size, 2, "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () else _tuple(stride, 2)
    padding = _tuple(padding, 2, "padding")
    dilation = _tuple(dilation, 2, "dilation")
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(
            "kernel size should be greater than zero, but got " + _pair_text(kernel, "k")
        )
    if any(s < 0 for s in stride):
        raise RuntimeError("stride should be greater than zero, but got " + _pair_text(stride))
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            "dilation should be greater than zero, but got "
            f"dilationH: {dilation[0]} dilationW: {dilation[1]}"
        )
    for p, k, d in zip(padding, kernel, dilation, strict=True):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    return kernel, stride, padding, dilation


def _pair_text(t, k="d"):
    return f"{k}H: {t[0]} {k}W: {t[1]}"


def _out_hw(input, kernel, stride, padding, dilation, ceil_mode):
    h, w = input.shape[-2:]
    oh = pool_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow = pool_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if oh < 1 or ow < 1:
        c = input.shape[-3]
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). "
            "Output size is too small"
        )
    return oh, ow


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """The maximum of each window; its gradient goes to the first maximum of the window
    (row-major), as PyTorch's. ``return_indices``: also the flat index into H * W.

    >>> import chainrule as torch
    >>> torch.nn.functional.max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    _check_pool_input(input)
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    _out_hw(input, kernel, stride, padding, dilation, ceil_mode)
    d = input._data
    if type(d) is SymArray:  # an explicit graph: the indices are a node of it
        found = apply(
            MAX_POOL2D_INDICES,
            input,
            kernel=kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=bool(ceil_mode),
        )
        out = apply(MAX_POOL2D, input, idx=found._data)
        return (out, found) if return_indices else out
    idx = max_pool2d_indices(
        _backend.namespace(d), d, kernel, stride, padding, dilation, bool(ceil_mode)
    )
    out = apply(MAX_POOL2D, input, idx=idx)
    return (out, input._new(idx)) if return_indices else out


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """max_pool2d over the last axis of (N, C, L) or (C, L) (an added axis of size 1).

    >>> import chainrule as torch
    >>> torch.nn.functional.max_pool1d(torch.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
    tensor([[3., 2.]])
    """
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"max_pool1d() Expected 2D or 3D input tensor, but got {input.dim()}D tensor"
        )
    k = _tuple(kernel_size, 1)
    s = k if stride is None or stride == [] or stride == () else _tuple(stride, 1)
    r = max_pool2d(
        S.unsqueeze(input, -2),
        (1,) + k,
        (1,) + s,
        (0,) + _tuple(padding, 1),
        (1,) + _tuple(dilation, 1),
        ceil_mode,
        return_indices,
    )
    if return_indices:
        return S.squeeze(r[0], -2), S.squeeze(r[1], -2)
    return S.squeeze(r, -2)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """The mean of each window (divided by the window's size clipped to the padded input,
    or to the input with count_include_pad=False, or by divisor_override).

    >>> import chainrule as torch
    >>> torch.nn.functional.avg_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    _check_pool_input(input)
    kernel, stride, padding, _ = _pool_args(kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _out_hw(input, kernel, stride, padding, (1, 1), ceil_mode)
    return apply(
        AVG_POOL2D,
        input,
        kernel=kernel,
        stride=stride,
        padding=padding,
        ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad),
        divisor_override=divisor_override,
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """avg_pool2d over the last axis of (N, C, L) or (C, L).

    >>> import chainrule as torch
    >>> torch.nn.functional.avg_pool1d(torch.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
    tensor([[2., 1.]])
    """
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"avg_pool1d() Expected 2D or 3D input tensor, but got {input.dim()}D tensor"
        )
    k = _tuple(kernel_size, 1)
    s = k if stride is None or stride == [] or stride == () else _tuple(stride, 1)
    r = avg_pool2d(
        S.unsqueeze(input, -2),
        (1,) + k,
        (1,) + s,
        (0,) + _tuple(padding, 1),
        ceil_mode,
        count_include_pad,
    )
    return S.squeeze(r, -2)


def _adaptive_sizes(input, output_size, name):
    if input.dim() not in (3, 4):
        colon = ":" if "max" in name else ""  # (PyTorch's two texts differ by this colon)
        raise RuntimeError(
            f"{name}(): Expected 3D or 4D tensor, but got{colon} {list(input.shape)}"
        )
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    out = tuple(
        n if o is None else int(o) for n, o in zip(input.shape[-2:], output_size, strict=True)
    )
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0")
    return out


def _bounds(n: int, m: int):
    """PyTorch's adaptive windows: output i covers [floor(i n / m), ceil((i + 1) n / m))."""
    return [((i * n) // m, -(-((i + 1) * n) // m)) for i in range(m)]


def _averaging(xp, n, m, dtype):
    a = xp.zeros((m, n), dtype=dtype)
    for i, (s, e) in enumerate(_bounds(n, m)):
        a[i, s:e] = 1.0 / (e - s)
    return a


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a given output size (windows by PyTorch's start/end formula).
    A mean for 1 x 1 (as PyTorch), avg_pool2d's row where the sizes divide, else a
    composite A_h x A_w^T with averaging matrices.

    >>> import chainrule as torch
    >>> torch.nn.functional.adaptive_avg_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 1)
    tensor([[[[7.5000]]]])
    """
    oh, ow = _adaptive_sizes(input, output_size, "adaptive_avg_pool2d")
    h, w = input.shape[-2:]
    if (oh, ow) == (1, 1):
        return R.mean(input, dim=(-2, -1), keepdim=True)  # as PyTorch (MeanBackward1)
    if oh and ow and h % oh == 0 and w % ow == 0:  # equal windows: avg_pool2d's row
        _check_pool_input(input)
        k = (h // oh, w // ow)
        return apply(
            ADAPTIVE_AVG_POOL2D,
            input,
            kernel=k,
            stride=k,
            padding=(0, 0),
            ceil_mode=False,
            count_include_pad=True,
            divisor_override=None,
        )
    d = input._data
    xp = _backend.namespace(d)
    ah = input._new(_averaging(xp, h, oh, d.dtype))
    aw = input._new(_backend.copy(_averaging(xp, w, ow, d.dtype).T))
    return ah @ input @ aw


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a given output size (windows by PyTorch's start/end formula); the
    gradient goes to the first maximum of each window.

    >>> import chainrule as torch
    >>> torch.nn.functional.adaptive_max_pool2d(torch.arange(9.0).reshape(1, 1, 3, 3), 2)
    tensor([[[[4., 5.],
              [7., 8.]]]])
    """
    oh, ow = _adaptive_sizes(input, output_size, "adaptive_max_pool2d")
    h, w = input.shape[-2:]
    d = input._data
    symbolic = type(d) is SymArray
    xp = _backend.default if symbolic else _backend.namespace(d)  # (offsets: constants)

    def offsets(n, m):
        b = _bounds(n, m)
        k = max((e - s for s, e in b), default=0)
        # offset i of every window; past a window's end: n, out of range (never selected)
        return [
            xp.asarray([s + i if s + i < e else n for s, e in b], dtype=xp.int64) for i in range(k)
        ]

    if symbolic:  # an explicit graph: the indices are a node of it
        found = apply(WINDOW_ARGMAX, input, rows=offsets(h, oh), cols=offsets(w, ow))
        out = apply(ADAPTIVE_MAX_POOL2D, input, idx=found._data)
        return (out, found) if return_indices else out
    idx = window_argmax(xp, d, offsets(h, oh), offsets(w, ow))
    out = apply(ADAPTIVE_MAX_POOL2D, input, idx=idx)
    return (out, input._new(idx)) if return_indices else out


# ------------------------------------------------------------------------ unfold, fold
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks as columns (im2col): (N, C, H, W) -> (N, C * kH * kW, L), L the
    number of blocks; a 3-d input is one sample. The table's ``unfold``.

    >>> import chainrule as torch
    >>> torch.nn.functional.unfold(torch.arange(9.0).reshape(1, 1, 3, 3), 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    if input.dim() not in (3, 4):
        n = input.dim()
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-max(n, 1)}, "
            f"{max(n, 1) - 1}], but got 2)"
        )
    p = _fold_args(kernel_size, dilation, padding, stride)
    blocks = _blocks(input.shape[-2:], p)
    if min(blocks) <= 0:
        raise RuntimeError(
            f"Given input with spatial size ({input.shape[-2]}, {input.shape[-1]}), "
            f"kernel_size={p['kernel']}, dilation={p['dilation']}, padding={p['padding']}, "
            f"calculated shape of the array of sliding blocks as {tuple(blocks)}, but its "
            "components must be at least one."
        )
    return apply(UNFOLD, input, **p)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns summed back into an image (col2im, the adjoint of unfold): (N, C * kH * kW,
    L) -> (N, C, H, W) with (H, W) = output_size; a 2-d input is one sample.

    >>> import chainrule as torch
    >>> cols = torch.nn.functional.unfold(torch.ones(1, 1, 3, 3), 2)
    >>> torch.nn.functional.fold(cols, (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    if input.dim() not in (2, 3) or any(s == 0 for s in input.shape[-2:]):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {_size(input)}"
        )
    p = _fold_args(kernel_size, dilation, padding, stride)
    out_hw = _tuple(output_size, 2, "output_size")
    k = p["kernel"][0] * p["kernel"][1]
    if input.shape[-2] % k:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={input.shape[-2]} and "
            f"kernel_size={p['kernel']}."
        )
    blocks = _blocks(out_hw, p)
    if blocks[0] * blocks[1] != input.shape[-1]:
        raise RuntimeError(
            f"Given output_size={out_hw}, kernel_size={p['kernel']}, dilation={p['dilation']}, "
            f"padding={p['padding']}, stride={p['stride']}, expected size of input's dimension "
            f"{input.dim() - 1} to match the calculated number of sliding blocks "
            f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size({input.dim() - 1})={input.shape[-1]}."
        )
    return apply(FOLD, input, out_hw=out_hw, **p)


def _blocks(hw, p) -> list:
    """The number of sliding blocks along each spatial dim."""
    return [
        (n + 2 * q - d * (k - 1) - 1) // s + 1
        for n, q, d, k, s in zip(
            hw, p["padding"], p["dilation"], p["kernel"], p["stride"], strict=True
        )
    ]


def _fold_args(kernel_size, dilation, padding, stride):
    return {
        "kernel": _tuple(kernel_size, 2, "kernel_size"),
        "dilation": _tuple(dilation, 2, "dilation"),
        "padding": _tuple(padding, 2, "padding"),
        "stride": _tuple(stride, 2, "stride"),
    }


# ------------------------------------------------------------------------------ padding
def _pad_index(xp, n, lo, hi, mode):
    i = xp.arange(-lo, n + hi)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    if mode == "circular":  # PyTorch's order: crop, then wrap what is left
        m = n + lo + hi
        a, b = max(lo, 0), m - max(hi, 0)  # where the kept part lands
        out = xp.zeros(m, dtype=i.dtype)
        out[a:b] = xp.arange(max(-lo, 0), n - max(-hi, 0))
        # element by element, as PyTorch's copies overlap where a pad outgrows the kept part
        for j in range(max(lo, 0)):
            out[j] = out[b - lo + j]
        for j in range(max(hi, 0)):
            out[b + j] = out[a + j]
        return out
    period = 2 * (n - 1)  # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    r = xp.abs(i) % period if period else xp.zeros_like(i)
    return xp.where(r > n - 1, period - r, r)


def _check_pad_sizes(input, pad, mode, k):
    """PyTorch's errors where negative pads crop a padded dim below nothing: 'too small'
    when every padded dim would be empty or less, else the negative size it would make."""
    shape = list(input._data.shape)
    ins = shape[-k:]
    outs = [shape[-1 - j] + pad[2 * j] + pad[2 * j + 1] for j in reversed(range(k))]
    if all(o < 1 for o in outs):
        names = "DHW"[3 - k :]
        out_txt = " ".join(f"{a}: {o}" for a, o in zip(names, outs, strict=True))
        if k == 1:
            in_txt = f"W: {ins[0]}"
        elif k == 2:
            in_txt = f"H: {ins[0]}, W: {ins[1]}" + (" " if mode == "replicate" else "")
        else:
            in_txt = f"D: {ins[0]} H: {ins[1]}, W: {ins[2]}"
        raise RuntimeError(f"input ({in_txt}) is too small. Calculated output {out_txt}")
    if any(o < 0 for o in outs):
        full = shape[:-k] + outs
        neg = next(o for o in full if o < 0)
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {neg}: [{', '.join(map(str, full))}]"
        )


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dims: pad = (left, right) of the last dim, then of the
    one before, ... ; mode 'constant' (value, default 0; negative pads crop), 'reflect',
    'replicate' or 'circular'. Constant padding is a row of the table; the others index.

    >>> import chainrule as torch
    >>> torch.nn.functional.pad(torch.ones(1, 2), (1, 2))
    tensor([[0., 1., 1., 0., 0.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {input.dim()}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return apply(CONSTANT_PAD, input, pad=pad, value=0 if value is None else value)
    k = len(pad) // 2
    if not (k + 1 <= input.dim() <= k + 2) or not 1 <= k <= 3:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    shape = input._data.shape
    if mode != "circular" and 0 in shape[input.dim() - k - 1 + (input.dim() == k + 1) :]:
        raise RuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size "
            f"and other non-zero dimensions for input, but got: {_size(input)}"
        )
    if mode == "reflect":  # (PyTorch checks these first)
        for j in range(k):
            lo, hi, n = pad[2 * j], pad[2 * j + 1], shape[input.dim() - 1 - j]
            if lo >= n or hi >= n:
                raise RuntimeError(
                    f"Argument #{4 + 2 * j}: Padding size should be less than the corresponding "
                    f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                    f"{input.dim() - 1 - j} of input {_size(input)}"
                )
    _check_pad_sizes(input, pad, mode, k)
    # one index over all padded dims (open-mesh index arrays): one node, PyTorch's name
    d = input._data
    xp = _backend.default if type(d) is SymArray else _backend.namespace(d)  # (constants)
    idx = []
    for j in range(k):
        dim = input.dim() - 1 - j
        lo, hi = pad[2 * j], pad[2 * j + 1]
        n = shape[dim]
        if mode == "circular":
            if lo > n or hi > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if n + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        i = _pad_index(xp, n, lo, hi, mode)
        idx.insert(0, xp.reshape(i, (-1,) + (1,) * j))
    prim = PAD_INDEX[mode, k]
    return apply(prim, input, idx=(slice(None),) * (input.dim() - k) + tuple(idx))
