"""Python numbers as operands: ``torch.add(x, 3, alpha=2)`` scales the number, and
``torch.mul(2, 3)`` makes a tensor, as in PyTorch (pinned against torch)."""

import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.add(x, 3, alpha=2),
        lambda m, x: m.sub(x, 3, alpha=2),
        lambda m, x: m.add(x, 0.5, alpha=-4),
        lambda m, x: x.clone().add_(3, alpha=2),
        lambda m, x: x.clone().sub_(1.5, alpha=2),
        lambda m, x: m.add(x, x, alpha=3),
    ],
)
def test_a_scaled_number_operand_matches_torch(call):
    # (the float operands; a 0-d integer input is the test below)
    got = call(cr, cr.tensor([1.0, 2.0]))
    want = call(torch, torch.tensor([1.0, 2.0]))
    assert got.tolist() == want.tolist()
    assert str(got.dtype) == str(want.dtype)


def test_a_scaled_number_keeps_a_0d_input_s_dtype_like_torch():
    got = cr.add(cr.tensor(1, dtype=cr.int32), 3, alpha=2)
    want = torch.add(torch.tensor(1, dtype=torch.int32), 3, alpha=2)
    assert (got.item(), str(got.dtype)) == (want.item(), str(want.dtype))


@pytest.mark.parametrize("name", ["add", "sub", "mul"])
def test_two_numbers_give_a_tensor_like_torch(name):
    got, want = getattr(cr, name)(2, 3), getattr(torch, name)(2, 3)
    assert (got.item(), str(got.dtype), got.shape) == (want.item(), str(want.dtype), want.shape)
