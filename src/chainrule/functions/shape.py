"""The PyTorch-named shape functions, and the Tensor methods that share them
(``ShapeMethods``): reshape and view (with -1 inferred), transpose/permute/movedim,
expand/repeat, cat/stack/split, with PyTorch's errors. The rules are the table's
(``chainrule.ops.shape``).

>>> import chainrule as torch
>>> x = torch.arange(6).reshape(2, 3)
>>> x.T.shape, torch.cat((x, x)).shape, x.view(-1).shape
(torch.Size([3, 2]), torch.Size([4, 3]), torch.Size([6]))
"""

from __future__ import annotations

import builtins
import warnings

from .. import backend as _backend
from .. import dtypes as _dt
from .._convert import type_name
from .._print import cpp_repr
from ..backend import device_key
from ..ops.apply import (
    apply,
    dask_c_contiguous,
    mark_multi_output,
    symbolic_layout,
    symbolic_unknown_layout,
)
from ..ops.indexing import DIAGONAL_VIEW
from ..ops.shape import (
    CAT,
    CLONE,
    CONTIGUOUS,
    EXPAND,
    FLIP,
    PERMUTE,
    REPEAT,
    RESHAPE,
    SQUEEZE,
    SQUEEZE_DIM,
    SQUEEZE_DIMS,
    STACK,
    TO_COPY,
    TRANSPOSE,
    UNSQUEEZE,
    VIEW,
)
from ..ops.shape import (
    T as T_OP,
)
from ..ops.symbolic import SymArray
from ..tensor_base import TensorBase
from .args import dims_arg, wrap_dim
from .indexing import getitem


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    elif len(shape) == 1 and hasattr(shape[0], "__iter__") and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer(shape, numel):
    """Resolve one -1 in ``shape``, with PyTorch's errors (``numel`` None: a symbolic
    value's size is known only at bind time, and the -1 stays for the forward to resolve)."""
    if builtins.sum(1 for s in shape if s == -1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if numel is None:  # a symbolic value's size known at bind time: the forward infers -1
        return shape
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(input, *shape):
    """The same elements in a new shape (-1 inferred); a view when possible, else a copy.

    >>> import chainrule as torch
    >>> torch.arange(12).reshape(3, -1).shape
    torch.Size([3, 4])
    """
    shape = _infer(_shape_arg(shape), input._data.size)
    return apply(RESHAPE, input, shape=shape)


def view(input, *shape):
    """A view with a new shape; refuses (like PyTorch) when the strides don't allow it.

    >>> import chainrule as torch
    >>> torch.arange(6).view(2, 3)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        d = _dt.to_dtype(shape[0])
        if d.itemsize != input._data.itemsize:
            raise RuntimeError("view(dtype) with a different element size is not supported")
        return input._new(input._data.view(d.np))
    shape = _infer(_shape_arg(shape), input._data.size)
    return apply(VIEW, input, shape=shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim into one.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3, 4).flatten(1).shape
    torch.Size([2, 12])
    """
    shape = input._data.shape
    n = len(shape)
    if n == 0:
        return reshape(input, (1,))
    s, e = start_dim % n, end_dim % n
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    mid = 1
    for d in shape[s : e + 1]:
        mid *= d
    return reshape(input, shape[:s] + (mid,) + shape[e + 1 :])


def squeeze(input, dim=None):
    """Drop dims of size 1 (all, or those in ``dim`` that have size 1).

    >>> import chainrule as torch
    >>> torch.zeros(1, 3, 1).squeeze().shape
    torch.Size([3])
    """
    shape = input._data.shape
    if dim is None:
        return apply(SQUEEZE, input, dim=tuple(i for i, s in enumerate(shape) if s == 1))
    # (an empty tuple squeezes nothing; a 0-d tensor's dim 0 or -1 is no dim at all)
    d = () if isinstance(dim, (tuple, list)) and not dim else dims_arg(dim, None, len(shape))
    d = tuple(i for i in d or () if shape[i] == 1)
    return apply(SQUEEZE_DIMS if isinstance(dim, (tuple, list)) else SQUEEZE_DIM, input, dim=d)


def unsqueeze(input, dim: int):
    """Insert a dim of size 1 at ``dim``.

    >>> import chainrule as torch
    >>> torch.zeros(3).unsqueeze(0).shape
    torch.Size([1, 3])
    """
    n = input._data.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return apply(UNSQUEEZE, input, dim=dim % n)


def transpose(input, dim0: int, dim1: int):
    """Swap two dims (a view).

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).transpose(0, 1).shape
    torch.Size([3, 2])
    """
    n = input._data.ndim
    d0, d1 = (_wrap(d, n) for d in (dim0, dim1))
    return apply(TRANSPOSE, input, dim0=d0, dim1=d1)


swapaxes = swapdims = transpose


_wrap = wrap_dim


def t(input):
    """Transpose of a tensor with at most 2 dims.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3).t().shape
    torch.Size([3, 2])
    """
    if input._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D"
        )
    n = input._data.ndim
    return apply(T_OP, input, dim0=0, dim1=1 if n == 2 else 0)  # a view even below 2-D


def permute(input, *dims):
    """Reorder dims (a view).

    >>> import chainrule as torch
    >>> torch.zeros(2, 3, 4).permute(2, 0, 1).shape
    torch.Size([4, 2, 3])
    """
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(PERMUTE, input, dims=dims)


def movedim(input, source, destination):
    """Move dims from ``source`` to ``destination`` positions.

    >>> import chainrule as torch
    >>> torch.zeros(2, 3, 4).movedim(0, -1).shape
    torch.Size([3, 4, 2])
    """
    n = input._data.ndim
    if n == 0:
        _wrap(source if isinstance(source, int) else 0, 0)
        return apply(VIEW, input, shape=())
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src, dst = [_wrap(s, n) for s in src], [_wrap(d, n) for d in dst]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def T(input):
    n = input._data.ndim  # a view at any dim, as PyTorch's (PermuteBackward0)
    return apply(PERMUTE, input, dims=tuple(range(n - 1, -1, -1)))


_WARNED: set[str] = set()  # PyTorch warns of each deprecation once per process


def _deprecated_0d(name: str, hint: str, stacklevel: int = 4) -> None:
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(
            f"{name} is deprecated on 0-D tensors. {hint}", UserWarning, stacklevel=stacklevel
        )


def _matrix_transpose(input, name: str, hint: str):
    """The last two dims swapped (a real tensor is its own conjugate): mT, mH, adjoint().
    A 0-d tensor is returned itself, with PyTorch's deprecation warning."""
    n = input._data.ndim
    if n == 0:
        _deprecated_0d(
            name.replace("tensor.", "Tensor.").replace("Tensor.adjoint", "adjoint"), hint
        )
        return input
    if n == 1:
        raise RuntimeError(
            f"{name} is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return transpose(input, -2, -1)


_CONJ = "Consider using x.conj()."


def mT(input):
    return _matrix_transpose(input, "tensor.mT", "This function is the identity in these cases.")


def mH(input):
    return _matrix_transpose(input, "tensor.mH", _CONJ)


def adjoint(input):
    """The conjugate transpose of the last two dims (the transpose, for real tensors).

    >>> import chainrule as torch
    >>> torch.adjoint(torch.zeros(5, 2, 3)).shape
    torch.Size([5, 3, 2])
    """
    return _matrix_transpose(input, "tensor.adjoint()", _CONJ)


def H(input):
    n = input._data.ndim
    if n == 0:
        _deprecated_0d("Tensor.H", _CONJ, stacklevel=3)
        return input
    if n != 2:
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor."
            + (" For batches of matrices, consider using tensor.mH" if n > 2 else "")
        )
    return transpose(input, 0, 1)


def expand(input, *sizes):
    """Broadcast to a larger shape without copying (-1 keeps a size).

    >>> import chainrule as torch
    >>> torch.tensor([[1], [2]]).expand(2, 3)
    tensor([[1, 1, 1],
            [2, 2, 2]])
    """
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(shape)})"
        )
    target = list(sizes)
    for i in reversed(range(len(sizes))):  # from the last dim, as PyTorch checks them
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError("expand: -1 not allowed in leading, non-existing dimension")
            continue
        cur = shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}"
            )
        target[i] = s
    return apply(EXPAND, input, shape=tuple(target))


def expand_as(input, other):
    """expand to ``other``'s shape."""
    return expand(input, other._data.shape)


def broadcast_to(input, shape):
    """Same as expand."""
    return expand(input, tuple(shape))


def repeat(input, *sizes):
    """Tile the tensor ``sizes`` times along each dim (copies, unlike expand).

    >>> import chainrule as torch
    >>> torch.tensor([1, 2]).repeat(2)
    tensor([1, 2, 1, 2])
    """
    sizes = _shape_arg(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    if any(k < 0 for k in sizes):  # (NumPy's tile would say only 'negative dimensions')
        shape = (1,) * (len(sizes) - input._data.ndim) + tuple(input._data.shape)
        out = [s * k for s, k in zip(shape, sizes, strict=True)]
        bad = next(s for s in out if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {out}")
    return apply(REPEAT, input, sizes=sizes)


def flip(input, dims):
    """Reverse the order of elements along ``dims``.

    >>> import chainrule as torch
    >>> torch.flip(torch.arange(3), dims=[0])
    tensor([2, 1, 0])
    """
    if isinstance(dims, int):
        dims = (dims,)
    d = dims_arg(tuple(dims), None, input._data.ndim)
    return apply(FLIP, input, dims=d if d is not None else ())


def clone(input):
    """A copy with its own storage (recorded: the gradient passes through).

    >>> import chainrule as torch
    >>> torch.tensor([1, 2]).clone()
    tensor([1, 2])
    """
    return apply(CLONE, input)


def contiguous(input):
    """self when already contiguous (row-major), else a contiguous copy."""
    d = input._data
    if type(d) is SymArray:  # (it has no layout: the one eager chainrule would give it)
        return _symbolic_contiguous(input)
    if _backend.c_contiguous(d) and (type(d) is _backend.ndarray or dask_c_contiguous(input)):
        return input  # (a view on 'dask': C order as the CPU's would be, ops.dask_views)
    return apply(CONTIGUOUS, input)


def _symbolic_contiguous(input):
    a = symbolic_layout(input)
    if a is None:  # self or a copy, not known: writes to it are refused from now on
        symbolic_unknown_layout(input, "contiguous() of a value of unknown memory layout")
        return input
    return input if a.flags.c_contiguous else apply(CONTIGUOUS, input)


def cat(tensors, dim: int = 0, *, axis=None):
    """Concatenate along an existing dim.

    >>> import chainrule as torch
    >>> X = torch.arange(4).reshape(2, 2)
    >>> torch.cat((X, X), dim=1)
    tensor([[0, 1, 0, 1],
            [2, 3, 2, 3]])
    """
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # PyTorch leaves 1-d empty tensors out of the shape checks (legacy behaviour), though
    # not out of the result's dtype and requires_grad
    skip = tuple(i for i, t in enumerate(tensors) if t._data.shape == (0,))
    kept = [(i, t) for i, t in enumerate(tensors) if i not in skip]
    if not kept:  # only 1-d empty tensors: dim is not checked
        return apply(CAT, *tensors, dim=0, skip=())
    ref = kept[0][1]._data.shape
    n = len(ref)
    d = _wrap(dim, n)
    for i, t in kept:
        s = t._data.shape
        if len(s) != n:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {n} and {len(s)}")
        for k in range(n):
            if k != d and s[k] != ref[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref[k]} but got size {s[k]} for tensor number {i} in the list."
                )
    return apply(CAT, *tensors, dim=d, skip=skip)


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, axis=None):
    """Join tensors of equal shape along a new dim (``axis=`` is NumPy's spelling of
    ``dim``, which PyTorch accepts too).

    >>> import chainrule as torch
    >>> torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])], dim=1)
    tensor([[1, 3],
            [2, 4]])
    """
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    d = _wrap(dim, len(ref) + 1)
    return apply(STACK, *tensors, dim=d)


_MESHGRID_INDEXING = (
    "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 1-d (or 0-d) tensors: with ``indexing='ij'`` output i varies along
    dim i; ``'xy'`` swaps the first two dims (x along the columns). The outputs are expanded
    views of the inputs (a view, then expand, as PyTorch): gradients flow back, summed.
    Without ``indexing`` it is 'ij', with PyTorch's warning (once per process).

    >>> import chainrule as torch
    >>> X, Y = torch.meshgrid(torch.tensor([1, 2, 3]), torch.tensor([4, 5]), indexing="xy")
    >>> X
    tensor([[1, 2, 3],
            [1, 2, 3]])
    >>> Y
    tensor([[4, 4, 4],
            [5, 5, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])  # the old form: one list of tensors
    for i, t in enumerate(tensors):
        if not isinstance(t, TensorBase):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type_name(t)}")
    if indexing is None:
        if "meshgrid" not in _WARNED:
            _WARNED.add("meshgrid")
            warnings.warn(_MESHGRID_INDEXING, UserWarning, stacklevel=2)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for a, b in zip(tensors, tensors[1:], strict=False):
        if a._data.dtype != b._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if device_key(a._data) != device_key(b._data):
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    if indexing not in ("xy", "ij"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    refs = list(tensors)
    swap = indexing == "xy" and len(refs) >= 2  # 'xy' is 'ij' with the first two swapped
    if swap:
        refs[0], refs[1] = refs[1], refs[0]
    for t in refs:
        if t._data.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                + cpp_repr(t)
            )
    shape = tuple(t._data.size for t in refs)  # a 0-d tensor counts as one element
    grids = []
    for i, t in enumerate(refs):
        along = [1] * len(refs)
        along[i] = -1
        grids.append(expand(view(t, along), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal over ``dim1`` and ``dim2`` (``offset`` above it, below if negative),
    as a view with the diagonal's axis last.

    >>> import chainrule as torch
    >>> torch.arange(9).reshape(3, 3).diagonal(1)
    tensor([1, 5])
    """
    n = input._data.ndim
    d1, d2 = _wrap(dim1, n), _wrap(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(DIAGONAL_VIEW, input, offset=int(offset), dim1=d1, dim2=d2)


def _multi(views: list, name: str) -> tuple:
    """The outputs of one function that returns several views (written in place with grad
    recording, PyTorch refuses them: ``mark_multi_output``)."""
    mark_multi_output(views, name)
    return tuple(views)


def _narrow(input, d, start, length):
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def split(tensor, split_size_or_sections, dim: int = 0):
    """Split into chunks of a given size (the last may be smaller) or of given sizes.

    >>> import chainrule as torch
    >>> [t.tolist() for t in torch.arange(5).split(2)]
    [[0, 1], [2, 3], [4]]
    """
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        if size == 0 and n > 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        starts = list(range(0, n, size)) if n else [0]  # an empty dim: one empty piece
        return _multi([_narrow(tensor, d, s, builtins.min(size, n - s)) for s in starts], "Split")
    sections = list(split_size_or_sections)
    if any(k < 0 for k in sections):
        raise RuntimeError(
            "split_with_sizes expects split_sizes have only non-negative entries, but got "
            f"split_sizes={sections}"
        )
    if builtins.sum(sections) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {dim}), but got split_sizes={sections}"
        )
    out, s = [], 0
    for k in sections:
        out.append(_narrow(tensor, d, s, k))
        s += k
    return _multi(out, "SplitWithSizes")


def chunk(input, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (fewer if it divides so).

    >>> import chainrule as torch
    >>> len(torch.arange(6).chunk(4))
    3
    """
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = _wrap(dim, input._data.ndim)
    n = input._data.shape[d]
    if n == 0:  # an empty dim: as many empty pieces as asked for
        return split(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


def unbind(input, dim: int = 0):
    """The slices along ``dim`` as a tuple.

    >>> import chainrule as torch
    >>> torch.unbind(torch.tensor([[1, 2], [3, 4]]))
    (tensor([1, 2]), tensor([3, 4]))
    """
    d = _wrap(dim, input._data.ndim)
    parts = [getitem(input, (slice(None),) * d + (i,)) for i in range(input._data.shape[d])]
    return _multi(parts, "Unbind")


def narrow(input, dim: int, start: int, length: int):
    """A view of ``length`` elements of ``dim`` from ``start``."""
    # PyTorch's checks, in its order: 0-d, the length's sign, dim, start's range, the end
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = _wrap(dim, input._data.ndim)
    size = input._data.shape[d]
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    start = start + size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _narrow(input, d, start, length)


def to_dtype(input, np_dtype):
    """``input`` cast to a backend dtype (recorded: ToCopyBackward0)."""
    return apply(TO_COPY, input, np_dtype=np_dtype)


def _reshape_as(self, other):
    return reshape(self, other._data.shape)


def _view_as(self, other):
    return view(self, other._data.shape)


class ShapeMethods:
    """The shape part of Tensor's API: ``x.reshape(2, -1)``, ``x.T``, ``x.split(2)``..."""

    __slots__ = ()

    reshape = reshape
    view = view
    flatten = flatten
    squeeze = squeeze
    unsqueeze = unsqueeze
    transpose = swapaxes = swapdims = transpose
    t = t
    permute = permute
    movedim = moveaxis = movedim
    expand = expand
    expand_as = expand_as
    repeat = repeat

    def flip(self, *args, dims=None):
        """Reverse the order along ``dims``: ``x.flip(0, 1)`` or ``x.flip((0, 1))``."""
        return flip(self, dims if dims is not None else args[0] if len(args) == 1 else args)

    clone = clone
    contiguous = contiguous
    split = split
    chunk = chunk
    unbind = unbind
    narrow = narrow
    diagonal = diagonal
    reshape_as = _reshape_as
    view_as = _view_as
    T = property(T)
    H = property(H)
    mT = property(mT)
    mH = property(mH)
    adjoint = adjoint
