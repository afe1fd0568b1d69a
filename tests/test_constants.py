"""torch.pi, torch.e, torch.inf and torch.nan: Python floats, as in PyTorch (d2l uses them)."""

import math

import pytest

import chainrule as cr


@pytest.mark.parametrize("name", ["pi", "e", "inf", "nan"])
def test_constants_are_the_python_floats(name):
    v = getattr(cr, name)
    assert type(v) is float
    assert v == getattr(math, name) or (math.isnan(v) and math.isnan(getattr(math, name)))
    torch = pytest.importorskip("torch")
    t = getattr(torch, name)
    assert type(t) is type(v) and (v == t or math.isnan(v) and math.isnan(t))


def test_constants_in_use():
    x = cr.tensor([0.0, cr.pi / 2, cr.inf, cr.nan])
    assert cr.sin(x)[1].item() == 1.0
    assert x.isinf().tolist() == [False, False, True, False]
    assert x.isnan().tolist() == [False, False, False, True]
    assert cr.log(cr.tensor(cr.e)).item() == pytest.approx(1.0)
