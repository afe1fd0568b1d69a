"""chainrule.viz.graph: the DOT picture of the lecture's z = (<x, w> - y)^2."""

import builtins
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as torch
from chainrule import viz
from chainrule.autograd import engine

X, W, Y = [1.0, 2.0, 3.0], [0.5, -1.0, 2.0], 1.0  # a = 4.5, b = 3.5, z = 12.25


def lecture(x_grad=False, w_grad=True):
    x = torch.tensor(X, requires_grad=x_grad)
    w = torch.tensor(W, requires_grad=w_grad)
    y = torch.tensor(Y)
    a = torch.dot(x, w)
    b = a - y
    z = b**2
    return dict(x=x, w=w, y=y, a=a, b=b, z=z)


def parse(dot: str):
    """{node id: label lines}, [(src, dst, attribute text)] of a DOT text."""
    nodes, edges = {}, []
    for line in dot.splitlines():
        m = re.match(r"\s+(\w+) -> (\w+)(?: \[(.*)\])?;$", line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = re.match(r'\s+(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$', line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = (m.group(2).split("\\n"), m.group(3))
    return nodes, edges


def by_title(nodes, title):
    found = [k for k, (lines, _) in nodes.items() if lines[0] == title]
    assert len(found) == 1, (title, nodes)
    return found[0]


def edge(edges, src, dst):
    found = [a for s, d, a in edges if (s, d) == (src, dst)]
    assert len(found) == 1, (src, dst, edges)
    return found[0]


def test_lecture_structure_names_shapes_and_saved():
    t = lecture()
    g = viz.graph(t["z"], names=t)
    src = g.source
    assert src.startswith("digraph chainrule {") and src.rstrip().endswith("}")
    assert g.dot == src
    nodes, edges = parse(src)
    pow_, sub, dot = (by_title(nodes, n) for n in ("PowBackward0", "SubBackward0", "DotBackward0"))
    w, x = by_title(nodes, "w"), by_title(nodes, "x")
    out = by_title(nodes, "z")
    # what each op computed, in the lecture's letters
    assert "z = b ** 2" in nodes[pow_][0]
    assert "b = a - y" not in nodes[sub][0] and "b = a - const" in nodes[sub][0]
    assert "a = <x, w>" in nodes[dot][0]
    # leaves: shape, dtype, requires_grad marks; x needs no grad: a pruned branch
    assert nodes[w][0][1:3] == ["float32[3]", "requires_grad=True"]
    assert nodes[x][0][1:3] == ["float32[3]", "requires_grad=False"]
    assert "dashed" in nodes[x][1] and "dashed" not in nodes[w][1]
    assert nodes[out][0][1:] == ["float32[]", "grad_fn=PowBackward0"]
    # saved for backward: dot keeps x only (w's rule needs x; x's rule never runs)
    assert "saved x: float32[3]" in nodes[dot][0]
    assert not any(s.startswith("saved y") for s in nodes[dot][0])
    assert "saved x: float32[]" in nodes[pow_][0] and "saved y = 2" in nodes[pow_][0]
    # edges run output -> ops -> leaves, the way adjoints flow
    for s, d in [(out, pow_), (pow_, sub), (sub, dot), (dot, w), (dot, x)]:
        edge(edges, s, d)
    assert "dashed" in edge(edges, dot, x) and "pruned" in edge(edges, dot, x)
    assert len(edges) == 7  # the 4 above, x, the exponent 2 and the constant y
    assert sum("(pruned)" in lines for lines, _ in nodes.values()) == 3


def test_adjoints_recorded_during_backward_equal_grads():
    t = lecture(x_grad=True)
    with viz.record(t["z"]) as rec:
        t["z"].backward()
    g = viz.graph(t["z"], names=t, adjoints=rec)
    nodes, edges = parse(g.source)
    pow_, sub, dot = (by_title(nodes, n) for n in ("PowBackward0", "SubBackward0", "DotBackward0"))
    x, w, out = by_title(nodes, "x"), by_title(nodes, "w"), by_title(nodes, "z")
    assert 'label="dz/dz = 1\\nfloat32[]"' in edge(edges, out, pow_)
    assert 'label="dz/db = 7\\nfloat32[]"' in edge(edges, pow_, sub)
    assert 'label="dz/da = 7\\nfloat32[]"' in edge(edges, sub, dot)
    assert "dz/dw = [7, 14, 21]\\nfloat32[3]" in edge(edges, dot, w)
    assert "dz/dx = [3.5, -7, 14]\\nfloat32[3]" in edge(edges, dot, x)
    # the recorded arrays are the gradients backward put in .grad
    adj = {g.items[e.dst].symbol: e.adjoint for e in g.edges if e.adjoint is not None}
    np.testing.assert_array_equal(adj["w"], t["w"].grad.numpy())
    np.testing.assert_array_equal(adj["x"], t["x"].grad.numpy())
    # backward without retain_graph freed what the ops saved
    assert "saved: freed by backward" in nodes[dot][0]
    assert "saved: freed by backward" in nodes[pow_][0]
    assert engine.observers == []


def test_backward_option_touches_no_grad_and_keeps_graph():
    t = lecture()
    g = viz.graph(t["z"], names=t, backward=True)
    assert t["w"].grad is None
    assert "dz/dw = [7, 14, 21]" in g.source and "freed" not in g.source
    t["z"].backward()  # the graph is still there
    np.testing.assert_array_equal(t["w"].grad.numpy(), [7.0, 14.0, 21.0])


def test_record_without_outputs_and_several_passes_add_up():
    t = lecture()
    with viz.record() as rec:
        t["z"].backward(retain_graph=True)
        t["z"].backward()
    g = viz.graph(t["z"], names=t, adjoints=rec)
    nodes, edges = parse(g.source)
    out, pow_ = by_title(nodes, "z"), by_title(nodes, "PowBackward0")
    assert edge(edges, out, pow_) == ""  # the seed was not recorded: no label
    assert "dz/dw = [14, 28, 42]" in g.source  # as .grad accumulated
    np.testing.assert_array_equal(t["w"].grad.numpy(), [14.0, 28.0, 42.0])


def test_record_cleans_up_on_error():
    t = lecture()
    node = t["z"].grad_fn
    with pytest.raises(ZeroDivisionError):
        with viz.record(t["z"]):
            raise ZeroDivisionError
    assert engine.observers == [] and node.pre_hooks is None


def test_pruned_hidden_and_inputs_pruning():
    t = lecture(x_grad=True)
    hidden = viz.graph(t["z"], names=t, show_pruned=False).source
    assert "requires_grad=False" not in hidden and "pruned" not in hidden
    # backward(inputs=[w]) never visits x's leaf
    g = viz.graph(t["z"], names=t, inputs=[t["w"]], backward=True)
    nodes, edges = parse(g.source)
    x, dot = by_title(nodes, "x"), by_title(nodes, "DotBackward0")
    assert "(pruned: not needed for the requested inputs)" in nodes[x][0]
    assert "dashed" in nodes[x][1] and "dashed" in edge(edges, dot, x)
    assert "dz/dw = [7, 14, 21]" in g.source and "dz/dx" not in g.source
    assert t["x"].grad is None and t["w"].grad is None


def test_names_from_call_site_and_automatic_names():
    x = torch.tensor(X)
    w = torch.tensor(W, requires_grad=True)
    loss = (torch.exp(w) * x).sum()
    assert "loss\\nfloat32[]" in viz.graph(loss).source
    auto = viz.graph(loss, names={}).source
    assert "out = sum(v2)" in auto and "v2 = v1 * const" in auto and "v1 = exp(leaf1)" in auto


def test_repr_and_str():
    t = lecture()
    g = viz.graph(t["z"], names=t)
    assert repr(g) == "<chainrule.viz.Graph of z: 3 ops, leaves w, 3 pruned inputs>"
    assert "DotBackward0" in str(g) and "a = <x, w>" in str(g)


def test_op_names_match_torch_grad_fn():
    torch_ = pytest.importorskip("torch")
    x = torch_.tensor(X)
    w = torch_.tensor(W, requires_grad=True)
    z = (torch_.dot(x, w) - torch_.tensor(Y)) ** 2
    names = []
    f = z.grad_fn
    while f is not None and type(f).__name__ != "AccumulateGrad":
        names.append(type(f).__name__)
        f = next((n for n, _ in f.next_functions if n is not None), None)
    z.backward()
    t = lecture()
    g = viz.graph(t["z"], names=t, backward=True)
    ops = [it.title for it in g.items.values() if it.kind == "op"]
    assert ops == names
    leaf = next(e for e in g.edges if g.items[e.dst].kind == "leaf")
    np.testing.assert_allclose(leaf.adjoint, w.grad.numpy())


@given(
    st.lists(st.floats(-3, 3, width=32), min_size=1, max_size=5).flatmap(
        lambda xs: st.tuples(
            st.just(xs),
            st.lists(st.floats(-3, 3, width=32), min_size=len(xs), max_size=len(xs)),
            st.floats(-3, 3, width=32),
        )
    )
)
def test_edge_adjoints_follow_the_lecture_formula(xwy):
    xs, ws, yv = xwy
    x = torch.tensor(xs)
    w = torch.tensor(ws, requires_grad=True)
    b = torch.dot(x, w) - torch.tensor(yv)
    z = b**2
    g = viz.graph(z, backward=True, names={})
    adj = [e.adjoint for e in g.edges if e.adjoint is not None]
    two_b = 2 * b._data
    # seed 1, then dz/db = 2b, dz/da = 2b * 1, dz/dw = 2b x (the lecture's 2(<x,w> - y) x^T)
    np.testing.assert_allclose(adj[0], 1.0)
    np.testing.assert_allclose(adj[1], two_b, rtol=1e-6)
    np.testing.assert_allclose(adj[2], two_b, rtol=1e-6)
    np.testing.assert_allclose(adj[3], two_b * np.asarray(xs, np.float32), rtol=1e-5, atol=1e-6)


def test_large_adjoints_show_shape_only():
    w = torch.ones(3, 4, requires_grad=True)
    g = viz.graph((w * 2).sum(), names={"w": w}, backward=True)
    assert "dout/dw\\nfloat32[3, 4]" in g.source
    assert "dout/dw = " not in g.source
    g = viz.graph((w * 2).sum(), names={"w": w}, backward=True, max_values=12)
    assert "dout/dw = [[2, 2, 2, 2], [2, 2, 2, 2], [2, 2, 2, 2]]" in g.source


def test_function_and_cat_nodes():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    u = torch.cat([Cube.apply(x), x.exp()]).sum()
    g = viz.graph(u, backward=True)
    nodes, _ = parse(g.source)
    cube = by_title(nodes, "CubeBackward")
    assert "saved ctx: float32[2]" in nodes[cube][0]
    assert "CatBackward0" in g.source and "du/dx = [3, 12]" in g.source


def test_bad_use():
    t = lecture()
    with pytest.raises(RuntimeError, match="does not require grad"):
        viz.graph(torch.ones(2), backward=True)
    with pytest.raises(ValueError, match="not both"):
        viz.graph(t["z"], backward=True, adjoints=viz.Recording())
    with pytest.raises(ValueError, match=r"\.svg.*\.dot"):
        viz.graph(t["z"]).save("picture.png")


# ------------------------------------------------------------------ SVG and Graphviz


def test_importing_viz_does_not_import_graphviz():
    code = "import chainrule.viz, sys; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_svg_rendering(tmp_path):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (optional system program)")
    t = lecture()
    g = viz.graph(t["z"], names=t, backward=True)
    svg = g.svg()
    assert "<svg" in svg and "PowBackward0" in svg and "dz/dw = [7, 14, 21]" in svg
    assert g._repr_svg_() == svg
    p = g.save(tmp_path / "lecture.svg")
    assert open(p, encoding="utf-8").read() == svg
    p = g.save(tmp_path / "lecture.dot")
    assert open(p, encoding="utf-8").read() == g.source


def test_missing_graphviz_package_names_the_extra(monkeypatch, tmp_path):
    real = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz" or name.startswith("graphviz."):
            raise ImportError("No module named 'graphviz'")
        return real(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "graphviz", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    g = viz.graph(lecture()["z"])
    with pytest.raises(ImportError, match=r"pip install chainrule\[viz\]") as e:
        g.svg()
    assert "apt-get install graphviz" in str(e.value)
    with pytest.raises(ImportError, match="graphviz"):
        g.save(tmp_path / "g.svg")
    assert g._repr_svg_() is None  # Jupyter falls back to the text repr
    assert "digraph" in g.source  # DOT needs nothing


def test_missing_dot_program_names_apt_get(monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", "")
    g = viz.graph(lecture()["z"])
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g.svg()
    assert g._repr_svg_() is None
