"""Writes where memory overlaps, pinned against PyTorch: expanded tensors are writable
views (a write that would hit one element twice is refused, except fill_/zero_ without
history), an in-place op reading a tensor that partly shares the written memory is
refused, and T / t() are views at every dim."""

from __future__ import annotations

import warnings

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def outcome(lib, program):
    """What ``program(lib)`` returns as plain lists, or the error's type and first words."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = program(lib)
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return type(e).__name__, str(e).split(".")[0]
    return [x.tolist() if hasattr(x, "tolist") else x for x in r]


def expanded(op, src=(2,), to=(3, 2), rg=False):
    def program(lib):
        x = lib.ones(src, dtype=lib.float64, requires_grad=rg)
        z = x * 1 if rg else x
        v = z.expand(to)
        op(lib, v)
        out = [z, v]
        if rg:
            v.sum().backward()
            out.append(x.grad)
        return out

    return program


WRITES = {
    "mul_": lambda lib, v: v.mul_(2),
    "add_": lambda lib, v: v.add_(1),
    "fill_": lambda lib, v: v.fill_(3),
    "zero_": lambda lib, v: v.zero_(),
    "relu_": lambda lib, v: v.relu_(),
    "copy_": lambda lib, v: v.copy_(lib.zeros(v.shape, dtype=lib.float64)),
    "v[0] = 5": lambda lib, v: v.__setitem__(0, 5.0),
    "v[:] = 5": lambda lib, v: v.__setitem__(slice(None), 5.0),
    "v[0, 0] = 7": lambda lib, v: v.__setitem__((0, 0), 7.0),
    "v[0] = tensor": lambda lib, v: v.__setitem__(0, lib.full(v.shape[1:], 4.0)),
}
SHAPES = {"overlapping": ((2,), (3, 2)), "same shape": ((2, 2), (2, 2)), "new 1": ((2,), (1, 2))}


@pytest.mark.parametrize("rg", [False, True], ids=["no history", "history"])
@pytest.mark.parametrize("shapes", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("op", WRITES.values(), ids=WRITES.keys())
def test_writes_to_expanded_tensors_as_pytorch(op, shapes, rg):
    program = expanded(op, *shapes, rg=rg)
    assert outcome(cr, program) == outcome(torch, program)


MORE = {
    "leaf view": lambda lib: lib.ones(2, requires_grad=True).expand(3, 2).mul_(2),
    "0-d fill": lambda lib: (lambda x: (x.expand(3).fill_(2), x))(lib.tensor(1.0)),
    "0-d add": lambda lib: (lambda x: (x.expand(1).add_(2), x))(lib.tensor(1.0)),
    "column write": lambda lib: (
        lambda x: (x.expand(2, 3).__setitem__((slice(None), 0), lib.tensor([1.0, 2.0])), x)
    )(lib.zeros(2, 1)),
    "row add_": lambda lib: (lambda x: (x.expand(2, 3)[1].add_(1), x, x._version))(lib.zeros(3)),
    "advanced index": lambda lib: (lambda x: (x.expand(2, 3).__setitem__([0, 1], 1.0), x))(
        lib.zeros(3)
    ),
    "empty": lambda lib: (lambda x: (x.expand(0, 3).add_(1), x))(lib.zeros(3)),
    "expand_as itself": lambda lib: (lambda x: (x.expand_as(x).sin_().add_(1), x))(lib.zeros(2, 3)),
    "clone writable": lambda lib: (lambda x: (x.expand(2, 3).clone().add_(1), x))(lib.zeros(3)),
}


@pytest.mark.parametrize("program", MORE.values(), ids=MORE.keys())
def test_more_expanded_writes_as_pytorch(program):
    assert outcome(cr, program) == outcome(torch, program)


def test_advanced_index_write_to_expanded_warns_as_pytorch():
    x = cr.zeros(3)
    with pytest.warns(UserWarning, match="index_put_ on expanded tensors is deprecated"):
        x.expand(2, 3)[[0, 1]] = 1.0
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_a_write_through_an_expanded_view_rebases_its_base():
    x = cr.zeros(2, 1, dtype=cr.float64, requires_grad=True)
    z = x * 1
    v = z.expand(2, 3)
    v[:, 1] = cr.tensor([1.0, 2.0], dtype=cr.float64)
    assert type(z.grad_fn).__name__ == "CopySlices"
    (v * cr.arange(6.0, dtype=cr.float64).reshape(2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0], [0.0]]  # every element of z was overwritten


OVERLAPS = {
    "add_ a row": lambda x: x.add_(x[0]),
    "add_ its transpose": lambda x: x.add_(x.T),
    "add_ itself": lambda x: x.add_(x),
    "add_ a same view": lambda x: x.add_(x.view(2, 2)),
    "rows apart": lambda x: x[1].mul_(x[0]),
    "strided columns": lambda x: x[:, 0].mul_(x[:, 1]),
    "copy_ transpose": lambda x: x.copy_(x.T),
    "copy_ a row": lambda x: x.copy_(x[0]),
    "copy_ itself": lambda x: x.copy_(x),
    "x[1] = x[0]": lambda x: x.__setitem__(1, x[0]),
    "x[:] = x.T": lambda x: x.__setitem__(slice(None), x.T),
    "x[None] += x": lambda x: x[None].__iadd__(x),
    "clamp_ by transpose": lambda x: x.clamp_(min=x.T),
    "copy_ a flip": lambda x: x.copy_(x.flip(0)),
    "halves": lambda x: x.view(-1)[:2].add_(x.view(-1)[2:]),
    "shifted": lambda x: x.view(-1)[:3].add_(x.view(-1)[1:]),
}


@pytest.mark.parametrize("op", OVERLAPS.values(), ids=OVERLAPS.keys())
def test_in_place_from_an_overlapping_operand_as_pytorch(op):
    def program(lib):
        x = lib.arange(4.0).reshape(2, 2)
        op(x)
        return [x]

    assert outcome(cr, program) == outcome(torch, program)


def test_partial_overlap_refused_before_anything_is_written():
    x = cr.arange(4.0).reshape(2, 2)
    with pytest.raises(RuntimeError, match="some elements of the input tensor"):
        x.add_(x.T)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]] and x._version == 0


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("spell", ["T", "t()", "transpose(0, 0)"])
def test_transposes_are_views_at_every_dim(shape, spell):
    def program(lib):
        x = lib.ones(shape, requires_grad=True)
        if spell == "transpose(0, 0)" and not shape:
            y = x.transpose(0, -1)
        else:
            y = x.T if spell == "T" else x.t() if spell == "t()" else x.transpose(0, 0)
        return [y is x, y.is_leaf, type(y.grad_fn).__name__, y._base is x]

    assert outcome(cr, program) == outcome(torch, program)


INDEX_WRITES = {
    "x[..., None] += x*2 (0-d)": lambda lib: (
        lambda x: (x.__setitem__((Ellipsis, None), x[..., None].__iadd__(x * 2)), x)
    )(lib.tensor(1.0)),
    "x[[0, 1]] = x[2:4]": lambda lib: (lambda x: (x.__setitem__([0, 1], x[2:4]), x))(
        lib.arange(4.0)
    ),
    "x[[0, 1]] = x[0:2]": lambda lib: (lambda x: (x.__setitem__([0, 1], x[0:2]), x))(
        lib.arange(4.0)
    ),
    "x[1:] += 1": lambda lib: (lambda x: (x[1:].__iadd__(1), x))(lib.arange(4.0)),
    "x[1:3] = x[1:3]": lambda lib: (lambda x: (x.__setitem__(slice(1, 3), x[1:3]), x))(
        lib.arange(4.0)
    ),
}


@pytest.mark.parametrize("program", INDEX_WRITES.values(), ids=INDEX_WRITES.keys())
def test_index_writes_from_overlapping_values_as_pytorch(program):
    assert outcome(cr, program) == outcome(torch, program)


HISTORY_WRITES = {
    "v[:] = 5": lambda lib, v: v.__setitem__(slice(None), 5.0),
    "fill_": lambda lib, v: v.fill_(5.0),
    "zero_": lambda lib, v: v.zero_(),
    "v[[0], [0]] = 5": lambda lib, v: v.__setitem__(([0], [0]), 5.0),
    "v[v > 0] = 5": lambda lib, v: v.__setitem__(v > 0, 5.0),
    "v[[0], [1]] = w": lambda lib, v: v.__setitem__(
        ([0], [1]), lib.tensor(7.0, dtype=lib.float64, requires_grad=True)
    ),
}


@pytest.mark.parametrize("through", ["view", "base"])
@pytest.mark.parametrize("op", HISTORY_WRITES.values(), ids=HISTORY_WRITES.keys())
def test_overlapping_writes_with_history_as_pytorch(op, through):
    """PyTorch writes these, and then refuses the gradient of the base before the write."""

    def program(lib):
        x = lib.ones(2, dtype=lib.float64, requires_grad=True)
        z = x * 1
        v = z.expand(3, 2)
        op(lib, v)
        out = [z, v, v.requires_grad]
        (v if through == "view" else z).sum().backward()
        return [*out, x.grad]

    assert outcome(cr, program) == outcome(torch, program)


def test_an_overlapping_write_gives_the_value_its_gradient():
    def program(lib):
        x = lib.ones(2, dtype=lib.float64)
        w = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        v = x.expand(3, 2)
        v[[0], [0]] = w
        out = [v, v.requires_grad, x.requires_grad, type(x.grad_fn).__name__]
        (x * lib.tensor([2.0, 5.0], dtype=lib.float64)).sum().backward()
        return [*out, w.grad]

    assert outcome(cr, program) == outcome(torch, program)


SETITEM_SAME = {
    "x[None, None] = x (0-d)": lambda lib: lib.tensor(1.0),
    "x[None] = x": lambda lib: lib.arange(4.0),
    "x[...] = x": lambda lib: lib.arange(4.0),
    "x[None] = x (2-d)": lambda lib: lib.arange(4.0).reshape(2, 2),
}
SETITEM_INDEX = {
    "x[None, None] = x (0-d)": (None, None),
    "x[None] = x": None,
    "x[...] = x": Ellipsis,
    "x[None] = x (2-d)": None,
}


@pytest.mark.parametrize("name", SETITEM_SAME)
def test_setitem_of_the_same_elements_is_allowed_as_pytorch(name):
    def program(lib):
        x = SETITEM_SAME[name](lib)
        x[SETITEM_INDEX[name]] = x
        return [x]

    assert outcome(cr, program) == outcome(torch, program)


MASK_WRITES = {
    "x[[0, 1, 2, 3]] = x": lambda lib, x: x.__setitem__([0, 1, 2, 3], x),
    "x[mask] = x[0:2]": lambda lib, x: x.__setitem__(
        lib.tensor([True, False, True, False]), x[0:2]
    ),
    "x[no] = x[0:1]": lambda lib, x: x.__setitem__(lib.tensor([False] * 4), x[0:1]),
    "x[no] = x": lambda lib, x: x.__setitem__(lib.tensor([False] * 4), x),
    "x[all] = x": lambda lib, x: x.__setitem__(lib.tensor([True] * 4), x),
    "x[[0, 1]] = clone": lambda lib, x: x.__setitem__([0, 1], x[2:4].clone()),
    "y[no] = y": lambda lib, x: x[:1].__setitem__(lib.tensor([False]), x[:1]),
    "y[yes] = y": lambda lib, x: x[:1].__setitem__(lib.tensor([True]), x[:1]),
    "y[[0]] = y": lambda lib, x: x[:1].__setitem__([0], x[:1]),
}


@pytest.mark.parametrize("op", MASK_WRITES.values(), ids=MASK_WRITES.keys())
def test_advanced_index_writes_from_overlapping_values_as_pytorch(op):
    def program(lib):
        x = lib.arange(4.0)
        op(lib, x)
        return [x]

    assert outcome(cr, program) == outcome(torch, program)
