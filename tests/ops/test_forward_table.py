"""Forward mode and batched rules of the derivative table, checked numerically.

Every case of tests/ops/test_gradcheck_table.py is run again through
``chainrule.autograd.gradcheck`` with:

- ``check_forward_ad``: the jvp rules (one dual pass per input element, a Jacobian
  column each) against central differences;
- ``check_batched_forward_grad``: the same jvp rules carrying every basis tangent at
  once along a leading batch axis (how chainrule.func.jacfwd computes a Jacobian);
- ``check_batched_grad``: the vjp rules carrying every basis cotangent at once (how
  chainrule.func.jacrev does), so rules must keep leading batch axes.

Forward over reverse (the jvp of a vjp, as hessian computes) is checked on the
second-order cases with ``gradgradcheck(check_fwd_over_rev=True)``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradcheck_table import CASES, draw_check
from test_gradgradcheck_table import GG_CASES, SMALL

from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.ops import REGISTRY


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@settings(max_examples=8)
@given(data=st.data())
def test_forward_and_batched(case, data):
    fn, leaves = draw_check(case, data)
    assert gradcheck(
        fn,
        leaves,
        check_backward_ad=False,
        check_forward_ad=True,
        check_batched_forward_grad=True,
        check_batched_grad=True,
        **case.tol,
    )


@pytest.mark.parametrize("case", GG_CASES, ids=[c.id for c in GG_CASES])
@settings(max_examples=3)
@given(data=st.data())
def test_forward_over_reverse(case, data):
    fn, leaves = draw_check(case, data, SMALL)
    assert gradgradcheck(fn, leaves, check_rev_over_rev=False, check_fwd_over_rev=True, **case.tol)


def test_every_differentiable_primitive_has_a_jvp():
    missing = sorted(n for n, p in REGISTRY.items() if p.vjp is not None and p.jvp is None)
    assert not missing, f"differentiable primitives without a jvp rule: {missing}"
