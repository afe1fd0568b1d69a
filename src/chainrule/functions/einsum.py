"""Contractions named by their indices: ``einsum`` and ``tensordot``, composites over the
table's products (``bmm``, ``mm``), ``mul``, ``sum`` and views (``permute``, ``reshape``,
``diagonal``). They have no rule of their own: their gradients (reverse, forward and
higher order) are the primitives', as in PyTorch, which builds them the same way.

einsum follows PyTorch's algorithm, so its results, dtypes, errors, ``grad_fn`` names and
bmm layouts are PyTorch's: the indices get places in one aligned order (output dims
first, then the dims to sum), repeated indices in an operand take its diagonal; the
operands are then contracted left to right, two at a time, each pair as one batched
matrix product (``bmm``) over the dims they share (never a broadcast product of
everything); an index left in one operand only is summed there first. Where PyTorch
unsqueezes and permutes every operand to the aligned order first, here each operand
keeps its own dims with their places noted, and is permuted and reshaped once, into
bmm's (shared, kept, summed) layout: the same numbers, with fewer nodes.

>>> import chainrule as torch
>>> a, b = torch.arange(6.0).reshape(2, 3), torch.ones(3, 2)
>>> torch.einsum("ij,jk->ik", a, b)
tensor([[ 3.,  3.],
        [12., 12.]])
>>> torch.tensordot(a, b, dims=([1], [0])).shape
torch.Size([2, 2])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .._convert import type_name
from ..tensor_base import TensorBase
from .linalg import _bmm

if TYPE_CHECKING:
    from ..tensor import Tensor

_ELLIPSIS = 52  # labels are 0..51 (A-Z, then a-z, as PyTorch numbers them); this is "..."
_ARGS = (
    "einsum(): must specify the equation string and at least one operand, or at least one "
    "operand and its subscripts list"
)


def _label(c: int) -> int:
    """An ASCII letter's number: A-Z are 0..25, a-z 26..51 (so implicit outputs put
    capitals first, as PyTorch's do)."""
    return c - 65 if c <= 90 else c - 97 + 26


def _letter(s: int) -> str:
    return chr(s + 65) if s < 26 else chr(s - 26 + 97)


def _is_letter(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


def _sublist(n) -> str:
    """One entry of a subscripts list (``einsum(a, [0, 1], b, [1, 2])``) as a letter."""
    if n is Ellipsis:
        return "..."
    if 0 <= n < 26:
        return chr(65 + n)
    if 26 <= n < 52:
        return chr(97 + n - 26)
    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")


def _equation_and_operands(args: tuple) -> tuple[str, list]:
    """PyTorch's three ways to call einsum, as (equation, operands): ``(equation, *operands)``,
    ``(equation, [operands])`` and the subscripts lists ``(op, [0, 1], op, [1, 2], [0, 2])``."""
    if len(args) < 2:
        raise ValueError(_ARGS)
    if isinstance(args[0], TensorBase):
        equation = ",".join("".join(_sublist(s) for s in sub) for sub in args[1::2])
        if len(args) % 2:  # an odd count ends with the output's subscripts
            equation += "->" + "".join(_sublist(s) for s in args[-1])
            operands = list(args[:-1:2])
        else:
            operands = list(args[::2])
    else:
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            return _equation_and_operands((equation, *operands[0]))
    if not isinstance(equation, str):
        raise TypeError(
            f"einsum(): argument 'equation' (position 1) must be str, not {type_name(equation)}"
        )
    for i, op in enumerate(operands):
        if not isinstance(op, TensorBase):
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got {type_name(op)}"
            )
    return equation, operands


def _parse_inputs(lhs: bytes, n_ops: int) -> list[list[int]]:
    """The labels of each operand (``_ELLIPSIS`` for ``...``), from the equation's left side;
    PyTorch's errors for bad characters and operand counts, at PyTorch's positions."""
    labels: list[list[int]] = [[] for _ in range(n_ops)]
    cur, ell, i = 0, False, 0
    while i < len(lhs):
        c = lhs[i]
        if c == 32:  # a space
            pass
        elif c == 46:  # '.'
            if ell:
                raise RuntimeError(
                    f"einsum(): found '.' for operand {cur} for which an ellipsis was already found"
                )
            if not (i + 2 < len(lhs) and lhs[i + 1] == 46 and lhs[i + 2] == 46):
                raise RuntimeError(
                    f"einsum(): found '.' for operand {cur} that is not part of any ellipsis"
                )
            i += 2
            labels[cur].append(_ELLIPSIS)
            ell = True
        elif c == 44:  # ','
            cur += 1
            if cur >= n_ops:
                raise RuntimeError(
                    "einsum(): fewer operands were provided than specified in the equation"
                )
            ell = False
        elif _is_letter(c):
            labels[cur].append(_label(c))
        else:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )
        i += 1
    if cur != n_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def einsum(*args: Any) -> Tensor:
    """Sums of products over the indices of an Einstein-summation equation.

    ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; the operands may also come as one list
    (``einsum("ij,jk", [a, b])``) or as subscripts lists (``einsum(a, [0, 1], b, [1, 2])``).
    Without ``->`` the output holds the indices that appear once, in alphabetical order
    (capitals first), after the ``...`` dims. ``...`` stands for dims that broadcast; an
    index repeated in one operand takes its diagonal (``"ii->i"``); spaces are ignored;
    an index of size 1 broadcasts against the others. The operands are contracted left to
    right, each pair as one batched matrix product.

    >>> import chainrule as torch
    >>> x = torch.arange(9.0).reshape(3, 3)
    >>> torch.einsum("ii", x), torch.einsum("ii->i", x)
    (tensor(12.), tensor([0., 4., 8.]))
    >>> torch.einsum("i,j", torch.tensor([1, 2]), torch.tensor([1, 10]))
    tensor([[ 1, 10],
            [ 2, 20]])
    >>> torch.einsum("b...ij,bjk->b...ik", torch.ones(2, 5, 3, 4), torch.ones(2, 4, 6)).shape
    torch.Size([2, 5, 3, 6])
    """
    equation, operands = _equation_and_operands(args)
    eq = equation.encode()  # positions in errors count bytes, as PyTorch's do
    arrow = eq.find(b"->")
    lhs = eq if arrow < 0 else eq[:arrow]
    n_ops = len(operands)
    op_labels = _parse_inputs(lhs, n_ops)

    # how often each label appears, and how many dims the widest ellipsis covers
    count = [0] * _ELLIPSIS
    ell_ndim = 0
    for i, (op, labels) in enumerate(zip(operands, op_labels, strict=True)):
        ndim = op._data.ndim
        n = len(labels)
        has_ell = _ELLIPSIS in labels
        if has_ell:
            n -= 1
            ell_ndim = max(ell_ndim, ndim - n)
        for s in labels:
            if s != _ELLIPSIS:
                count[s] += 1
        if (n > ndim) if has_ell else (n != ndim):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n}) "
                + ("is more than" if has_ell else "does not match")
                + f" the number of dimensions ({ndim}) for operand {i}"
                + ("" if has_ell else " and no ellipsis was given")
            )

    used = [s for s in range(_ELLIPSIS) if count[s]]  # in label order: A-Z, then a-z

    # where each label goes in the aligned shape: the output's dims, then the ones to sum
    pos = [-1] * _ELLIPSIS
    n_pos = ell_at = 0
    ell_out = False
    if arrow < 0:  # implicit output: the ellipsis, then the labels seen once
        n_pos, ell_out = ell_ndim, True
        for s in used:
            if count[s] == 1:
                pos[s] = n_pos
                n_pos += 1
    else:
        rhs = eq[arrow + 2 :]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == 32:
                pass
            elif c == 46:
                if ell_out:
                    raise RuntimeError(
                        "einsum(): found '.' for output but an ellipsis (...) was already found"
                    )
                if not (i + 2 < len(rhs) and rhs[i + 1] == 46 and rhs[i + 2] == 46):
                    raise RuntimeError(
                        "einsum(): found '.' for output that is not part of any ellipsis (...)"
                    )
                i += 2
                ell_at, ell_out = n_pos, True
                n_pos += ell_ndim
            elif _is_letter(c):
                s = _label(c)
                if count[s] == 0 or pos[s] != -1:
                    raise RuntimeError(
                        f"einsum(): output subscript {chr(c)}"
                        + (
                            " appears more than once in the output"
                            if pos[s] != -1
                            else " does not appear in the equation for any input operand"
                        )
                    )
                pos[s] = n_pos
                n_pos += 1
            else:
                raise RuntimeError(
                    f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the "
                    "equation string, subscripts must be in [a-zA-Z]"
                )
            i += 1
    n_out = n_pos
    if not ell_out:  # an ellipsis missing from the output is summed
        ell_at = n_pos
        n_pos += ell_ndim
    for s in used:
        if pos[s] == -1:
            pos[s] = n_pos
            n_pos += 1

    # each operand: its sizes checked, diagonals taken for repeated labels, and ``dims``,
    # the aligned position of each of its dims (a label it lacks is a size-1 dim PyTorch
    # adds; here it is only absent). ``nontrivial`` counts, per position, the operands
    # where its size is not 1: a dim in one operand only is summed there.
    size = [1] * _ELLIPSIS
    ell_size = [1] * ell_ndim
    nontrivial = [0] * n_pos
    ops = []
    for i, (op, labels) in enumerate(zip(operands, op_labels, strict=True)):
        dims: list[int] = []
        shape = op._data.shape
        covered = op._data.ndim - (len(labels) - 1)  # by its ellipsis, if it has one
        for s in labels:
            d = len(dims)
            if s == _ELLIPSIS:
                for j in range(ell_ndim - covered, ell_ndim):
                    if shape[d] != 1:
                        if ell_size[j] not in (1, shape[d]):
                            raise RuntimeError(
                                f"einsum(): dimension {d} covered by ellipsis in operand {i}"
                                f"has size {shape[d]} which does not broadcast with previously "
                                f"seen ellipsis with size {ell_size[j]} for the respective "
                                "dimension"
                            )
                        ell_size[j] = shape[d]
                        nontrivial[ell_at + j] += 1
                    dims.append(ell_at + j)
                    d += 1
            elif pos[s] not in dims:
                if shape[d] != 1:
                    if size[s] not in (1, shape[d]):
                        raise RuntimeError(
                            f"einsum(): subscript {_letter(s)} has size {shape[d]} for operand "
                            f"{i} which does not broadcast with previously seen size {size[s]}"
                        )
                    size[s] = shape[d]
                    nontrivial[pos[s]] += 1
                dims.append(pos[s])
            else:  # a repeated label: its diagonal, in the place of the first
                first = dims.index(pos[s])
                if shape[d] != shape[first]:
                    raise RuntimeError(
                        f"einsum(): subscript {_letter(s)} is repeated for operand {i} but the "
                        f"sizes don't match, {shape[d]} != {shape[first]}"
                    )
                op = op.diagonal(0, first, d).movedim(-1, first)
                shape = op._data.shape
        ops.append((op, dims))

    if n_ops == 1:  # permuted to the output's order, then summed over the rest
        op, dims = ops[0]
        out = op.permute(*(dims.index(k) for k in range(n_pos)))
        return out.sum(list(range(n_out, n_pos))) if n_pos > n_out else out

    # contract left to right, summing each position as soon as no operand to come has it
    while len(ops) > 1:
        (a, da), (b, db) = ops[0], ops[1]
        sa = dict(zip(da, a._data.shape, strict=True))
        sb = dict(zip(db, b._data.shape, strict=True))
        sum_dims, a_only, b_only = [], [], []
        for k in range(n_out, n_pos):
            if sa.get(k, 1) != 1 and sb.get(k, 1) != 1:
                nontrivial[k] -= 1
                if nontrivial[k] == 1:
                    sum_dims.append(k)
                    nontrivial[k] = 0
            elif nontrivial[k] == 1:
                if sa.get(k, 1) != 1:
                    a_only.append(k)
                    nontrivial[k] = 0
                elif sb.get(k, 1) != 1:
                    b_only.append(k)
                    nontrivial[k] = 0
        if a_only:
            a, da = _sum_out(a, da, a_only)
        if b_only:
            b, db = _sum_out(b, db, b_only)
        ops[:2] = [_sum_product(a, da, b, db, sum_dims)]

    # the output's order, then its shape (the size-1 positions PyTorch keeps, added or
    # dropped): a view, as PyTorch's result is
    out, dims = ops[0]
    out = _permute(out, sorted(range(len(dims)), key=dims.__getitem__))
    if n_pos > n_out or out._data.ndim != n_out:
        present = dict(zip(sorted(dims), out._data.shape, strict=True))
        out = out.reshape(tuple(present.get(k, 1) for k in range(n_out)))
    return out


def _sum_product(left, dl: list[int], right, dr: list[int], sum_dims: list[int]):
    """(left * right) summed over the positions ``sum_dims``, for operands whose dims sit at
    the aligned positions ``dl`` and ``dr`` (a position one lacks broadcasts): one ``bmm``
    of (shared, left-only, summed) by (shared, summed, right-only) dims, as PyTorch's
    einsum does it; a plain product that broadcasts when nothing is summed. Returns the
    result and the positions of its dims."""
    if not sum_dims:
        order = sorted(set(dl) | set(dr))
        return _aligned(left, dl, order) * _aligned(right, dr, order), order
    sl = dict(zip(dl, left._data.shape, strict=True))
    sr = dict(zip(dr, right._data.shape, strict=True))
    both, lo, ro = [], [], []
    for k in sorted(set(dl) | set(dr)):
        if k in sum_dims:
            continue
        if sl.get(k, 1) != 1 and sr.get(k, 1) != 1:
            both.append(k)
        elif sl.get(k, 1) != 1:
            lo.append(k)
        elif sr.get(k, 1) != 1:
            ro.append(k)
    if lo and ro and ro[-1] < lo[0]:  # right's output dims all come first: swapped, the
        left, dl, sl, right, dr, sr = right, dr, sr, left, dl, sl  # bmm writes them so
        lo, ro = ro, lo
    n_both = math.prod(sl[k] for k in both)
    n_sum = math.prod(sl[k] for k in sum_dims)
    n_lo = math.prod(sl[k] for k in lo)
    n_ro = math.prod(sr[k] for k in ro)
    lhs = _reshape(_permute(left, _order(dl, both + lo + sum_dims)), (n_both, n_lo, n_sum))
    rhs = _reshape(_permute(right, _order(dr, both + sum_dims + ro)), (n_both, n_sum, n_ro))
    out = _bmm(lhs, rhs, "bmm")
    keep = both + lo + ro
    sizes = tuple(sl[k] for k in both + lo) + tuple(sr[k] for k in ro)
    return _reshape(out, sizes), keep


def _sum_out(t, dims: list[int], which: list[int]):
    """t summed over the dims at positions ``which``, in the aligned order first (so the
    sum is laid out as PyTorch's, which sums the aligned operand)."""
    t = _permute(t, sorted(range(len(dims)), key=dims.__getitem__))
    dims = sorted(dims)
    return t.sum([dims.index(k) for k in which]), [k for k in dims if k not in which]


def _order(dims: list[int], first: list[int]) -> list[int]:
    """A permutation of a tensor whose dims sit at positions ``dims``: the dims at the
    positions ``first``, in that order, then the rest (all of size 1)."""
    lead = [dims.index(k) for k in first]
    return lead + [d for d in range(len(dims)) if d not in lead]


def _aligned(t, dims: list[int], order: list[int]):
    """t with a dim per position of ``order`` (increasing): its own dims permuted into
    that order, size 1 where it lacks one."""
    t = _permute(t, sorted(range(len(dims)), key=dims.__getitem__))
    at = dict(zip(sorted(dims), t._data.shape, strict=True))
    return _reshape(t, tuple(at.get(k, 1) for k in order))


def _permute(t, perm: list[int]):
    """t permuted, or t itself where the permutation is the identity."""
    return t if all(p == k for k, p in enumerate(perm)) else t.permute(*perm)


def _reshape(t, shape: tuple):
    """t reshaped, or t itself where it has that shape."""
    return t if t._data.shape == shape else t.reshape(shape)


def _dim_list(v, name: str, position: int) -> list[int]:
    """One of tensordot's dim lists, checked as PyTorch's argument parser does."""
    if not isinstance(v, (list, tuple)):
        raise TypeError(
            f"tensordot(): argument '{name}' (position {position}) must be tuple of ints, not "
            f"{type_name(v)}"
        )
    for k, d in enumerate(v):
        if not isinstance(d, int) and not (hasattr(d, "__index__") and not hasattr(d, "_data")):
            raise TypeError(
                f"tensordot(): argument '{name}' (position {position}) must be tuple of ints, "
                f"but found element of type {type_name(d)} at pos {k}"
            )
    return [int(d) for d in v]


def tensordot(a, b, dims: int | tuple | list | Tensor = 2) -> Tensor:
    """Sum of products over the dims ``dims`` names: an int ``n`` contracts the last ``n``
    dims of ``a`` with the first ``n`` of ``b``; a pair of lists (or a 2-row tensor) names
    the dims of each. One ``mm`` of the two operands, permuted and flattened; a contracted
    dim of size 1 in one operand is summed in the other first.

    >>> import chainrule as torch
    >>> a, b = torch.ones(2, 3, 4), torch.ones(4, 3, 5)
    >>> torch.tensordot(a, b, dims=([1, 2], [1, 0])).shape
    torch.Size([2, 5])
    >>> torch.tensordot(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), dims=1)
    tensor(11.)
    """
    if not isinstance(dims, (tuple, list, TensorBase, int)):
        raise RuntimeError(
            "tensordot expects dims to be int or tuple[list[int], list[int]] or "
            f"list[list[int]] containing two lists, but got dims={dims}"
        )
    if isinstance(dims, (tuple, list)):
        dims_a, dims_b = dims
    elif isinstance(dims, TensorBase):
        if dims._data.size > 1:
            if dims._data.shape[0] != 2:
                raise AssertionError(
                    f"dims tensor must have size 2 in first dimension, got {dims._data.shape[0]}"
                )
            dims_a, dims_b = dims[0].tolist(), dims[1].tolist()
        else:
            n = int(dims.item())
            if n < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
            dims_a, dims_b = list(range(-n, 0)), list(range(n))
    else:
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    for name, position, v in (("self", 1, a), ("other", 2, b)):
        if not isinstance(v, TensorBase):
            raise TypeError(
                f"tensordot(): argument '{name}' (position {position}) must be Tensor, not "
                f"{type_name(v)}"
            )
    dims_a = _dim_list(dims_a, "dims_self", 3)
    dims_b = _dim_list(dims_b, "dims_other", 4)
    return _tensordot(a, b, dims_a, dims_b)


def _tensordot(a, b, dims_a: list[int], dims_b: list[int]):
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    t1, t2 = a, b
    contracted = 1
    for d1, d2 in zip(dims_a, dims_b, strict=True):
        s1, s2 = a.size(d1), b.size(d2)
        if s2 == 1:  # a size-1 dim broadcasts: the other operand is summed over it
            t1 = t1.sum(d1, True)
        elif s1 == 1:
            t2 = t2.sum(d2, True)
        elif s1 != s2:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {s1} in dim {d1} and "
                f"second has size {s2} in dim {d2}"
            )
        else:
            contracted *= s1
    cd1 = _dim_set(dims_a, a._data.ndim)
    cd2 = _dim_set(dims_b, b._data.ndim)
    keep1 = [d for d in range(a._data.ndim) if d not in cd1]
    keep2 = [d for d in range(b._data.ndim) if d not in cd2]
    sizes = [t1._data.shape[d] for d in keep1] + [t2._data.shape[d] for d in keep2]
    n1 = n2 = 1
    for d in keep1:
        n1 *= t1._data.shape[d]
    for d in keep2:
        n2 *= t2._data.shape[d]
    if a._data.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    wrapped_a = [d % max(a._data.ndim, 1) for d in dims_a]
    wrapped_b = [d % max(b._data.ndim, 1) for d in dims_b]
    x = _reshape(_permute(t1, keep1 + wrapped_a), (n1, contracted))
    y = _reshape(_permute(t2, wrapped_b + keep2), (contracted, n2))
    return x.mm(y).reshape(tuple(sizes))


def _dim_set(dims: list[int], ndim: int) -> set[int]:
    """The dims wrapped, with PyTorch's error for one named twice."""
    out: set[int] = set()
    for d in dims:
        w = d % max(ndim, 1) if -max(ndim, 1) <= d < max(ndim, 1) else d
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.add(w)
    return out
