"""``chainrule.autograd.forward_ad`` against ``torch.autograd.forward_ad``: dual_level,
make_dual and unpack_dual, their printing and errors, tangents dropped when a level
exits, in-place ops on dual tensors, forward mode under no_grad, and forward over reverse.

Each scenario is written once with the module and its forward_ad as arguments and returns
a dict of results (tensors, None, strings) that must match between the two libraries."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from func_helpers import assert_tree_close

import chainrule as cr
import chainrule.autograd.forward_ad as crAD

torch = pytest.importorskip("torch")
tAD = importlib.import_module("torch.autograd.forward_ad")


def both(scenario):
    got = scenario(cr, crAD)
    want = scenario(torch, tAD)
    assert_tree_close(got, want, rtol=1e-6, atol=1e-7)  # float32 libms differ in the last bit
    return got


def _plain(m, t):
    """A copy of ``t`` with neither tangent nor history (for comparing values)."""
    return None if t is None else m.tensor(t.detach().numpy().copy())


def _unpacked(m, fw, t):
    p, tan = fw.unpack_dual(t)
    return [_plain(m, p), _plain(m, tan)]


# --------------------------------------------------------------------------- printing


REPRS = {
    "vector": lambda m: (m.tensor([1.0, 2.0]), m.tensor([0.0, 1.0])),
    "scalar": lambda m: (m.tensor(3.0), m.tensor(1.0)),
    "matrix float64": lambda m: (
        m.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=m.float64),
        m.ones(2, 2, dtype=m.float64),
    ),
}


@pytest.mark.parametrize("name", sorted(REPRS))
def test_repr_of_a_dual_tensor(name):
    def scenario(m, fw):
        p, t = REPRS[name](m)
        with fw.dual_level():
            d = fw.make_dual(p, t)
            inside = [repr(d), repr(d * 2), str(d)]
        return {"inside": inside, "after": repr(d)}

    both(scenario)


# --------------------------------------------------------------------------- make/unpack


def test_make_dual_and_unpack_dual():
    def scenario(m, fw):
        x = m.tensor([1.0, 2.0])
        with fw.dual_level():
            d = fw.make_dual(x, m.tensor([0.0, 1.0]))
            un = fw.unpack_dual(d * d)
            plain = fw.unpack_dual(x)
            return {
                "type": type(un).__name__,
                "fields": list(un._fields),
                "dd": _unpacked(m, fw, d * d),
                "named": [_plain(m, un.primal), _plain(m, un.tangent)],
                "plain": _plain(m, plain.primal),
                "plain_tangent": plain.tangent,
                "primal_is_not_dual": fw.unpack_dual(d).primal is not d,
                "primal_has_no_tangent": fw.unpack_dual(fw.unpack_dual(d).primal).tangent,
                "requires_grad": d.requires_grad,
            }

    both(scenario)


def test_make_dual_is_a_view_of_its_primal():
    """The dual shares the primal's storage. (Its tangent after the primal is changed in
    place is not compared: torch keeps it, chainrule refuses to read a tangent made stale
    through another view.)"""

    def scenario(m, fw):
        p = m.tensor([1.0, 2.0])
        with fw.dual_level():
            d = fw.make_dual(p, m.ones(2))
            p.mul_(10)
        return {"d": _plain(m, d), "tangent after exit": fw.unpack_dual(d).tangent}

    both(scenario)


def test_make_dual_keeps_the_primals_history():
    def scenario(m, fw):
        x = m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)
        with fw.dual_level():
            d = fw.make_dual(x, m.tensor([1.0, 0.0], dtype=m.float64))
            y = (d.sin() * d).sum()
            tan = _plain(m, fw.unpack_dual(y).tangent)
            y.backward()
        return {"rg": d.requires_grad, "tan": tan, "grad": _plain(m, x.grad)}

    both(scenario)


# --------------------------------------------------------------------------- errors


def _err(call, m, fw):
    with pytest.raises(Exception) as e:
        call(m, fw)
    return type(e.value).__name__, str(e.value)


def _in_level(body):
    def call(m, fw):
        with fw.dual_level():
            body(m, fw)

    return call


ERRORS = {
    "make_dual outside a level": lambda m, fw: fw.make_dual(m.ones(2), m.ones(2)),
    "tangent of another size": _in_level(lambda m, fw: fw.make_dual(m.ones(2), m.ones(3))),
    "tangent of another shape": _in_level(lambda m, fw: fw.make_dual(m.ones(2, 3), m.ones(3, 2))),
    "integer primal": _in_level(lambda m, fw: fw.make_dual(m.tensor([1, 2]), m.ones(2))),
    "integer tangent": _in_level(lambda m, fw: fw.make_dual(m.ones(2), m.tensor([1, 2]))),
    "nested dual_level": _in_level(lambda m, fw: fw.dual_level().__enter__()),
    "make_dual after the level exits": lambda m, fw: (
        _in_level(lambda m, fw: None)(m, fw),
        fw.make_dual(m.ones(2), m.ones(2)),
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(name):
    got = _err(ERRORS[name], cr, crAD)
    want = _err(ERRORS[name], torch, tAD)
    assert got == want


def test_a_failed_nested_level_leaves_the_outer_one_working():
    with crAD.dual_level():
        with pytest.raises(RuntimeError):
            with crAD.dual_level():
                pass
        d = crAD.make_dual(cr.tensor(2.0), cr.tensor(1.0))
        assert crAD.unpack_dual(d * d).tangent.item() == 4.0
    with crAD.dual_level():  # and a new level can be entered afterwards
        pass


# --------------------------------------------------------------------------- lifetime


def test_tangents_are_dropped_when_the_level_exits():
    def scenario(m, fw):
        x = m.tensor([1.0, 2.0])
        with fw.dual_level():
            d = fw.make_dual(x, m.tensor([3.0, 4.0]))
            y = d.exp()
        after = {
            "d": fw.unpack_dual(d).tangent,
            "y": fw.unpack_dual(y).tangent,
            "op after": fw.unpack_dual(d * 2).tangent,
            "values": [_plain(m, d), _plain(m, y)],
        }
        with fw.dual_level():  # a new level does not bring old tangents back
            after["new level"] = fw.unpack_dual(d).tangent
            after["new level op"] = fw.unpack_dual(y * d).tangent
        return after

    got = both(scenario)
    assert got["d"] is None and got["new level"] is None


# --------------------------------------------------------------------------- in place


def test_in_place_ops_update_tangents():
    def scenario(m, fw):
        out = {}
        with fw.dual_level():
            d = fw.make_dual(m.tensor([1.0, 2.0]), m.tensor([0.5, 1.0]))
            y = d.clone()
            y.mul_(3)
            out["mul_"] = _unpacked(m, fw, y)
            y.sin_()
            out["sin_"] = _unpacked(m, fw, y)
            w = m.tensor([1.0, 1.0])
            w.add_(d)  # a plain tensor gains the dual's tangent
            out["plain add_ dual"] = _unpacked(m, fw, w)
            s = m.zeros(3)
            s[1:] = d
            out["setitem"] = _unpacked(m, fw, s)
            c = m.zeros(2)
            c.copy_(d * d)
            out["copy_"] = _unpacked(m, fw, c)
            e = fw.make_dual(m.tensor([1.0, 2.0]), m.ones(2))
            e += e * 2
            out["iadd"] = _unpacked(m, fw, e)
            v = d.clone()
            v[0] = 5.0  # overwritten with a constant: its tangent there is zero
            out["setitem constant"] = _unpacked(m, fw, v)
        return out

    both(scenario)


# --------------------------------------------------------------------------- modes


def test_forward_mode_under_no_grad():
    def scenario(m, fw):
        with m.no_grad():
            with fw.dual_level():
                d = fw.make_dual(m.tensor([0.5, 1.5]), m.tensor([1.0, -1.0]))
                y = (d.sin() * d.exp()).sum()
                return {"y": _unpacked(m, fw, y), "rg": y.requires_grad}

    both(scenario)


def test_forward_mode_through_a_chain_and_control_flow():
    def scenario(m, fw):
        W = m.tensor(np.arange(6.0).reshape(2, 3) / 5 - 0.4)
        p, t = m.tensor([0.3, -0.7, 1.1]), m.tensor([1.0, 2.0, -1.0])
        with fw.dual_level():
            x = fw.make_dual(p.double(), t.double())
            h = (W @ x).tanh()
            for _ in range(3):
                h = h * 1.5 if h.sum() < 2 else h - 0.1
            z = m.cat([h, x[::2] ** 2]).reshape(2, 2).T.sum(dim=0).sigmoid()
            return {"z": _unpacked(m, fw, z)}

    both(scenario)


def test_forward_over_reverse_hessian_vector_product():
    def scenario(m, fw):
        x = m.tensor([0.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
        v = m.tensor([1.0, 0.5, -0.25], dtype=m.float64)
        with fw.dual_level():
            xd = fw.make_dual(x, v)
            y = (xd**3).sum() * xd[0] + (xd.sin() * xd).sum()
            (g,) = m.autograd.grad(y, xd, create_graph=True)
            return {"g": _unpacked(m, fw, g)}

    both(scenario)
