"""See what autograd did: graph pictures, backward traces, recorded adjoints.

``graph(y)`` describes the computation graph that ``y.backward()`` walks (DOT text with
no extra dependency, SVG through Graphviz), or an explicit graph of ``chainrule.sym`` as
it is written; ``trace(y)`` tells reverse accumulation step
by step; ``record()`` keeps the adjoints of a backward you run yourself. Importing this
module does not import graphviz.

>>> import chainrule as torch
>>> from chainrule import viz
>>> w = torch.tensor([1., 2.], requires_grad=True)
>>> z = (w * w).sum()
>>> "SumBackward0" in viz.graph(z).source
True
"""

from __future__ import annotations

from .drawing import Graph, graph
from .record import Recording, record
from .symbolic import SymbolGraph
from .tracing import trace

__all__ = ["graph", "trace", "record", "Graph", "SymbolGraph", "Recording"]
