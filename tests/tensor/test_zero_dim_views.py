"""x[i] that takes every axis is a 0-d view, as in PyTorch: writes through it reach x."""

from __future__ import annotations

import pytest

import chainrule as cr
import chainrule.autograd.forward_ad as fwAD


def test_write_through_a_0d_view_reaches_the_base():
    y = cr.tensor([1.0, 2.0])
    v = y[1]
    v.mul_(2)
    assert y.tolist() == [1.0, 4.0] and v.item() == 4.0
    x = cr.arange(6.0).reshape(2, 3)
    x[1][2] = 100
    assert x[1, 2].item() == 100.0


def test_0d_view_matches_torch():
    torch = pytest.importorskip("torch")
    for lib in (cr, torch):
        y = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        y[1, 0].add_(10)
        y[0][1].zero_()
        assert y.tolist() == [[1.0, 0.0], [13.0, 4.0]]


def test_tangents_follow_a_write_through_a_view():
    # the base's tangent takes the write (as its history does), and the other views'
    # tangents are its again, viewed (PyTorch's forward AD does the same)
    with fwAD.dual_level():
        d = fwAD.make_dual(cr.tensor([[1.0, 2.0], [3.0, 4.0]]), cr.ones(2, 2))
        y = d * 1.0
        u = y[0]
        v = y[1]
        v.mul_(2.0)
        assert fwAD.unpack_dual(v).tangent.tolist() == [2.0, 2.0]
        assert fwAD.unpack_dual(y).tangent.tolist() == [[1.0, 1.0], [2.0, 2.0]]
        assert fwAD.unpack_dual(y + 1).tangent.tolist() == [[1.0, 1.0], [2.0, 2.0]]
        u.mul_(3.0)
        assert fwAD.unpack_dual(y).tangent.tolist() == [[3.0, 3.0], [2.0, 2.0]]
        assert fwAD.unpack_dual(v * 1).tangent.tolist() == [2.0, 2.0]
