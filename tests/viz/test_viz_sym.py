"""chainrule.viz.graph of explicit graphs (chainrule.sym): the DOT text of the graph as
written, a value and its gradient graphs drawn together."""

import shutil

import pytest
from test_viz_graph import parse

import chainrule as cr
from chainrule import sym, viz
from chainrule.ops.symbolic import walk


def titled(nodes, first):
    found = [k for k, (lines, _) in nodes.items() if lines[0] == first]
    assert len(found) == 1, (first, nodes)
    return found[0]


def test_lecture_graph_variables_constants_ops_edges():
    a = sym.var("a", (3,))
    b = sym.var("b", (3,))
    c = 2 * a + b
    g = viz.graph(c)
    assert isinstance(g, viz.SymbolGraph) and g.dot == g.source
    nodes, edges = parse(g.source)
    va, vb = titled(nodes, "a"), titled(nodes, "b")
    mul, add = titled(nodes, "mul"), titled(nodes, "c = add")  # c: the caller's name
    two, out = titled(nodes, "2"), titled(nodes, "c")
    assert nodes[va][0][1] == "%0  float32[3]" and "#bbdefb" in nodes[va][1]
    assert nodes[mul][0][1] == "%1  float32[3]"
    assert nodes[add][0][1] == "%3  float32[3]"
    assert nodes[two][0][1] == "number" and "dashed" in nodes[two][1]
    assert nodes[out][0] == ["c", "float32[3]"] and "#c8e6c9" in nodes[out][1]
    # data flows from the inputs to the ops that use them, in argument order
    got = {(s, d): lab for s, d, lab in edges}
    assert got == {
        (two, mul): 'label="input 0"',
        (va, mul): 'label="input 1"',
        (mul, add): 'label="input 0"',
        (vb, add): 'label="input 1"',
        (add, out): "",
    }
    assert "rankdir=BT" in g.source


def test_value_and_gradients_share_nodes():
    x = sym.var("x", (2,), cr.float64)
    w = sym.var("w", (2,), cr.float64)
    z = ((x * w).sum() - 1) ** 2
    dx, dw = sym.grad(z, [x, w])
    g = viz.graph([z, dx, dw], names={"z": z, "dx": dx, "dw": dw})
    nodes, edges = parse(g.source)
    graph_nodes = walk([z._data, dx._data, dw._data])
    # one box per node of the three graphs (shared nodes once), plus number boxes and outputs
    boxes = [k for k in nodes if k.startswith("n") and "_in" not in k]
    assert len(boxes) == len(graph_nodes)
    outs = [nodes[k][0][0] for k in nodes if k.startswith("out")]
    assert outs == ["z", "dx", "dw"]
    # x and w each feed the value's product and a gradient's product
    vx, vw = titled(nodes, "x"), titled(nodes, "w")
    assert sum(s == vx for s, _, _ in edges) == 2
    assert sum(s == vw for s, _, _ in edges) == 2
    assert repr(g).startswith("<chainrule.viz.SymbolGraph of z, dx, dw:")
    assert "variables x, w" in repr(g)


def test_parameters_holding_nodes_are_edges():
    a = sym.var("a", (4,))
    m = a > 0
    r = cr.where(m, a, 0.0)
    s = a.masked_fill(m, 1.0)
    g = viz.graph([r, s], names={})
    nodes, edges = parse(g.source)
    # the condition is a parameter of where, the mask of masked_fill: edges labelled by
    # the parameter's name
    gt = titled(nodes, "gt")
    uses = sorted((nodes[d][0][0], lab) for s_, d, lab in edges if s_ == gt)
    assert uses == [("masked_fill", 'label="mask"'), ("where", 'label="cond"')], uses
    for d in (d for s_, d, _ in edges if s_ == gt):
        assert "cond=%1" in nodes[d][0] or "mask=%1" in nodes[d][0]
    assert [nodes[k][0][0] for k in nodes if k.startswith("out")] == ["out 0", "out 1"]


def test_str_is_the_listing_with_outputs_marked():
    a = sym.var("a", ())
    y = a.exp() * a
    text = str(viz.graph(y, names={"y": y}))
    lines = text.splitlines()
    assert lines[0] == "<chainrule.viz.SymbolGraph of y: 2 ops, variables a, 0 constants>"
    assert lines[-1].split()[:2] == ["%2", "mul(%1,"] and lines[-1].endswith("<- y")


def test_eager_graphs_are_drawn_as_before():
    w = cr.ones(2, requires_grad=True)
    assert isinstance(viz.graph((w * w).sum()), viz.Graph)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_of_a_symbolic_graph():
    pytest.importorskip("graphviz")
    a = sym.var("a")
    assert "<svg" in viz.graph(a.sin() + a).svg()
