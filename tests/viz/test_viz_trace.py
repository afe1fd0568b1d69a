"""chainrule.viz.trace: the lecture's reverse accumulation, step by step."""

import io
import re

import numpy as np
import pytest

import chainrule as torch
from chainrule import viz

X, W, Y = [1.0, 2.0, 3.0], [0.5, -1.0, 2.0], 1.0  # a = 4.5, b = 3.5, dz/db = 2b = 7


def lecture(x_grad=False):
    x = torch.tensor(X, requires_grad=x_grad)
    w = torch.tensor(W, requires_grad=True)
    y = torch.tensor(Y)
    a = torch.dot(x, w)
    b = a - y
    z = b**2
    return dict(x=x, w=w, y=y, a=a, b=b, z=z)


def steps(text):
    """{step header: its lines} in order."""
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith("step "):
            cur = [line]
            out.append(cur)
        elif cur is not None and line.startswith("  "):
            cur.append(line.strip())
        else:
            cur = None
    return out


def test_lecture_trace_pins_the_adjoints():
    t = lecture()
    text = viz.trace(t["z"], names=t, show=False)
    s = steps(text)
    assert [h[0] for h in s] == [
        "step 1  PowBackward0  z = b ** 2",
        "step 2  SubBackward0  b = a - const",
        "step 3  DotBackward0  a = <x, w>",
        "step 4  leaf w  float32[3]",
    ]
    pow_, sub, dot, leaf = s
    # z = b^2: seed dz/dz = 1, local derivative 2b from the table's pow rule, 2b = 7
    assert "receives  dz/dz = 1  (float32[])  (the seed)" in pow_
    rule = next(line for line in pow_ if line.startswith("to input 0 (b): rule"))
    assert "y * x**(y-1)" in rule and "with x = b, y = 2" in rule and "g = dz/dz" in rule
    assert "passes dz/db = 7  (float32[])" in pow_
    assert "pruned    input 1 (2): a constant: no gradient needed" in pow_
    # b = a - y: db/da = 1 passes 7 on; y needs no gradient
    assert "receives  dz/db = 7  (float32[])" in sub
    assert any(line.startswith("to input 0 (a): rule g; g = dz/db") for line in sub)
    assert "passes dz/da = 7  (float32[])" in sub
    assert any(line.startswith("pruned    input 1 (const): does not require grad") for line in sub)
    # a = <x, w>: w gets g * x = 2b x^T = [7, 14, 21]; x's branch is pruned
    assert "receives  dz/da = 7  (float32[])" in dot
    # the table's rule for w (e.g. g * x), renamed to this graph's tensors
    rule = next(line for line in dot if line.startswith("to input 1 (w): rule"))
    assert re.match(r"to input 1 \(w\): rule .*\bg\b.*\bx\b.*; g = dz/da  \[chainrule/ops/", rule)
    assert "passes dz/dw = [7, 14, 21]  (float32[3])" in dot
    assert any(line.startswith("pruned    input 0 (x): does not require grad") for line in dot)
    assert "receives  dz/dw = [7, 14, 21]  (float32[3])" in leaf
    assert text.rstrip().endswith("dz/dw = [7, 14, 21]  (float32[3])")


def test_trace_changes_nothing_and_backward_still_works():
    t = lecture()
    viz.trace(t["z"], show=False)
    viz.trace(t["z"], show=False)  # twice: the graph is retained
    assert t["w"].grad is None
    t["z"].backward()
    np.testing.assert_array_equal(t["w"].grad.numpy(), [7.0, 14.0, 21.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz.trace(t["z"], show=False)  # backward freed the graph


def test_trace_prints_to_file_or_stdout(capsys):
    t = lecture()
    buf = io.StringIO()
    text = viz.trace(t["z"], file=buf)
    assert buf.getvalue() == text and capsys.readouterr().out == ""
    viz.trace(t["z"], show=False)
    assert capsys.readouterr().out == ""
    viz.trace(t["z"])
    assert capsys.readouterr().out == text  # names from the call site: the same letters


def test_inputs_prune_branches_like_backward_inputs():
    t = lecture(x_grad=True)
    text = viz.trace(t["z"], inputs=[t["w"]], names=t, show=False)
    dot = next(s for s in steps(text) if s[0].startswith("step 3"))
    assert "pruned    input 0 (x): not needed for the requested inputs" in dot
    assert "Not visited (no path to the requested inputs): leaf x" in text
    assert "dz/dx" not in text
    # without inputs both leaves are visited; x gets 2b w
    text = viz.trace(t["z"], names=t, show=False)
    assert "passes dz/dx = [3.5, -7, 14]  (float32[3])" in text
    assert t["x"].grad is None


def test_shared_input_adds_up():
    x = torch.tensor(3.0, requires_grad=True)
    y = x * x
    text = viz.trace(y, names={"x": x, "y": y}, show=False)
    assert text.count("passes dy/dx = 3  (float32[])") == 2
    assert "receives  dy/dx = 6  (float32[])" in text


def test_matches_torch_for_a_small_mlp_step():
    torch_ = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((4, 3)).astype("f4"), rng.standard_normal((3, 2)).astype("f4")
    X_ = torch.tensor(xv)
    W_ = torch.tensor(wv, requires_grad=True)
    loss = torch.relu(X_ @ W_).sum()
    text = viz.trace(loss, names={"X": X_, "W": W_, "loss": loss}, show=False, max_values=6)
    Wt = torch_.tensor(wv, requires_grad=True)
    torch_.relu(torch_.tensor(xv) @ Wt).sum().backward()
    line = text.rstrip().splitlines()[-1]
    assert line.startswith("dloss/dW = ")
    vals = line.split(" = ")[1].split("  (")[0]
    got = np.array(eval(vals), dtype="f4")  # nested lists of numbers written by fmt_value
    np.testing.assert_allclose(got, Wt.grad.numpy(), rtol=1e-3, atol=1e-4)


def test_non_scalar_needs_a_gradient():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = w * 3
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        viz.trace(y, show=False)
    text = viz.trace(y, gradient=torch.tensor([1.0, -1.0]), names={"w": w, "y": y}, show=False)
    assert "receives  dy/dy = [1, -1]" in text and "dy/dw = [3, -3]" in text


def test_no_grad_output_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        viz.trace(torch.ones(1).sum(), show=False)
