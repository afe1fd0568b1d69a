"""The guided tour: what ``chainrule`` (and ``python -m chainrule``) runs first.

Five stops, each printed as code next to its value and checked with plain Python floats
(so a broken engine cannot vouch for itself): tensors and broadcasting; the autograd
lecture's examples (the steps of ``chainrule.walk``); the computation graph of
z = (<x,w> - y)^2, drawn to a file, with its reverse accumulation traced; the lecture's
two constructions of c = 2a + b, explicit (``chainrule.sym``: declare, bind later, the
gradient a graph too) and implicit (recorded as it runs); and linear regression from
scratch on synthetic data. A failed check stops the tour with exit code 1
and names the step.

>>> import io, tempfile
>>> run(quick=True, out_dir=tempfile.mkdtemp(), file=io.StringIO(), progress=False)
0
"""

from __future__ import annotations

import math
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chainrule import walk
from chainrule.walk import CheckFailed, _floats, _Printer, check, expect

TRUE_W = [2.0, -3.4]
TRUE_B = 4.2


@dataclass
class Options:
    """What a tour run may vary: its length, where the picture goes, where text goes."""

    quick: bool = False
    out_dir: Path | None = None
    file: IO[str] = field(default_factory=lambda: sys.stdout)
    progress: bool = True  # draw a progress bar (on stderr) while training


# --- stop 1: tensors ---------------------------------------------------------------------


def tensors(torch, out, options):
    """Creating, reshaping and reducing a tensor."""
    x = torch.arange(12)
    out.show("x = torch.arange(12)", x)
    X = x.reshape(3, 4)
    out.show("X = x.reshape(3, 4)", X)
    out.show("X.shape, X.dtype", (X.shape, X.dtype))
    expect("X.sum(axis=0)", X.sum(axis=0), [12.0, 15.0, 18.0, 21.0])
    out.show("X.sum(axis=0)", X.sum(axis=0))
    check(str(X.dtype) == "torch.int64", f"arange(12) should be int64, got {X.dtype}")


def broadcasting(torch, out, options):
    """Shapes (3, 1) and (1, 2) stretch to (3, 2)."""
    a = torch.arange(3).reshape((3, 1))
    b = torch.arange(2).reshape((1, 2))
    out.show("a = torch.arange(3).reshape((3, 1))")
    out.show("b = torch.arange(2).reshape((1, 2))")
    c = a + b
    out.show("a + b", c)
    check(tuple(c.shape) == (3, 2), f"a + b should have shape (3, 2), got {tuple(c.shape)}")
    expect("a + b", c, [float(i + j) for i in range(3) for j in range(2)])


# --- stop 3: the graph ---------------------------------------------------------------------

GRAPH_X = [1.0, 2.0, 3.0]
GRAPH_W = [0.5, -1.0, 2.0]
GRAPH_Y = 1.0


def graph(torch, out, options):
    """z = (<x,w> - y)^2: draw the graph backward walks, then trace the walk."""
    from chainrule import viz

    x = torch.tensor(GRAPH_X)
    w = torch.tensor(GRAPH_W, requires_grad=True)
    y = torch.tensor(GRAPH_Y)
    out.show(f"x, y = torch.tensor({GRAPH_X}), torch.tensor({GRAPH_Y})")
    out.show(f"w = torch.tensor({GRAPH_W}, requires_grad=True)")
    a = torch.dot(x, w)
    b = a - y
    z = b**2
    out.show("a = torch.dot(x, w); b = a - y; z = b ** 2", z)
    out.flush()
    names = {"x": x, "w": w, "y": y, "a": a, "b": b, "z": z}
    picture = viz.graph(z, backward=True, names=names)
    written = save_graph(picture, _out_dir(options) / "tour_graph.svg")
    check(written.exists() and written.stat().st_size > 0, f"{written} was not written")
    for op in ("PowBackward0", "SubBackward0", "DotBackward0"):
        check(op in picture.source, f"the graph of z should have a {op} node")
    print(f"    viz.graph(z, backward=True).save(...)  # wrote {written}", file=options.file)
    if written.suffix.lower() == ".dot":
        print("    # (DOT text: with graphviz installed it is drawn as SVG)", file=options.file)
    print("    viz.trace(z)", file=options.file)
    text = viz.trace(z, names=names, show=False)
    print("\n".join(f"      {line}".rstrip() for line in text.splitlines()), file=options.file)
    z.backward()
    out.show("z.backward(); w.grad", w.grad)
    out.say("# the closed form 2 (<x,w> - y) x = 2 * 3.5 * [1, 2, 3] = [7, 14, 21]")
    expect("w.grad", w.grad, _closed_form_grad())
    check("dz/dw" in text, "the trace should end with dz/dw")


def _closed_form_grad():
    r = sum(a * b for a, b in zip(GRAPH_X, GRAPH_W, strict=True)) - GRAPH_Y
    return [2 * r * a for a in GRAPH_X]


def _out_dir(options):
    if options.out_dir is None:
        # A fresh private folder: the tour is run first thing in a checkout, and its
        # picture should not land in the working tree (or overwrite a user's file).
        options.out_dir = Path(tempfile.mkdtemp(prefix="chainrule-tour-"))
    options.out_dir = Path(options.out_dir)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    return options.out_dir


def save_graph(picture: Any, path: Path | str) -> Path:
    """Write a ``viz.graph`` picture to ``path``: SVG, or DOT text when the suffix is
    ``.dot``/``.gv`` or graphviz cannot draw (then the suffix becomes ``.dot``).
    Returns the path written."""
    path = Path(path)
    if path.suffix.lower() not in {".dot", ".gv"}:
        try:
            svg = picture.svg()
        except (ImportError, RuntimeError, OSError):
            path = path.with_suffix(".dot")
        else:
            path.write_text(svg if isinstance(svg, str) else svg.decode(), encoding="utf-8")
            return path
    path.write_text(picture.source, encoding="utf-8")
    return path


# --- stop 4: two ways to build the graph ----------------------------------------------------


def constructions(torch, out, options):
    """c = 2a + b built twice: explicitly (declare, then bind) and implicitly (recorded)."""
    from chainrule import sym

    out.say("# explicit (TensorFlow, Theano, MXNet's sym): write the graph, bind data later")
    a = sym.var("a", (2, 1))
    b = sym.var("b", (2, 1))
    out.show('a = sym.var("a", (2, 1)); b = sym.var("b", (2, 1))')
    c = 2 * a + b
    out.show("c = 2 * a + b", c)
    out.say("# as by hand: first the derivative expressions (graphs, by the table's rules) ...")
    da, db = sym.grad(c.sum(), [a, b])
    out.show("da, db = sym.grad(c.sum(), [a, b])")
    out.show("print(da)", _Text(str(da)))
    out.show(
        "print(sym.optimize(da), sym.optimize(db))", _Text(f"{sym.optimize(da)} {sym.optimize(db)}")
    )
    out.say("# ... then the values")
    ones = torch.ones((2, 1))
    value, grad_a, grad_b = sym.function([a, b], [c, da, db])(ones, ones)
    out.show("ones = torch.ones((2, 1)); c.eval(a=ones, b=ones).T", c.eval(a=ones, b=ones).T)
    out.show("[g.T for g in sym.function([a, b], [da, db])(ones, ones)]", [grad_a.T, grad_b.T])
    out.say("# implicit (PyTorch, MXNet's autograd.record): the graph is recorded as code runs")
    a = torch.ones((2, 1), requires_grad=True)
    b = torch.ones((2, 1), requires_grad=True)
    out.show("a = torch.ones((2, 1), requires_grad=True); b = (the same)")
    c_implicit = 2 * a + b
    out.show("c = 2 * a + b", c_implicit)
    c_implicit.sum().backward()
    out.show("c.sum().backward(); a.grad.T, b.grad.T", (a.grad.T, b.grad.T))
    expect("the explicit graph's value", value, [3.0, 3.0])
    expect("the implicit graph's value", c_implicit, [3.0, 3.0])
    expect("the explicit gradient da", grad_a, _floats(a.grad))
    expect("the explicit gradient db", grad_b, _floats(b.grad))
    expect("a.grad", a.grad, [2.0, 2.0])
    expect("b.grad", b.grad, [1.0, 1.0])


class _Text(str):
    """Printed text shown as is (not as a string's repr)."""

    def __repr__(self) -> str:
        return str(self)


# --- stop 5: linear regression from scratch --------------------------------------------------


def linear_regression(torch, out, options):
    """d2l's linear regression from scratch: synthetic data, minibatch SGD by hand."""
    num_examples, batch_size, lr = 1000, 10, 0.03
    num_epochs = 3 if options.quick else 5
    true_w, true_b = torch.tensor(TRUE_W), TRUE_B
    X = torch.normal(0, 1, (num_examples, len(TRUE_W)))
    y = (X @ true_w + true_b + torch.normal(0, 0.01, (num_examples,))).reshape(-1, 1)
    out.show(f"true_w, true_b = torch.tensor({TRUE_W}), {TRUE_B}")
    out.show("X = torch.normal(0, 1, (1000, 2)); y = X @ true_w + true_b + noise")
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    out.show("w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)")
    out.show("b = torch.zeros(1, requires_grad=True)")
    out.say(f"# {num_epochs} epochs of minibatch SGD, batch_size={batch_size}, lr={lr}:")
    out.say("#   loss = ((X[i] @ w + b - y[i]) ** 2 / 2).sum(); loss.backward()")
    out.say("#   with torch.no_grad(): w -= lr * w.grad / batch_size; w.grad.zero_() (same for b)")
    out.flush()
    losses = []
    for epoch in range(num_epochs):
        order = torch.randperm(num_examples)
        batches = range(0, num_examples, batch_size)
        for start in _progress(batches, f"epoch {epoch + 1}", options):
            i = order[start : start + batch_size]
            loss = ((X[i] @ w + b - y[i]) ** 2 / 2).sum()
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad / batch_size
                    param.grad.zero_()
        with torch.no_grad():
            epoch_loss = float(((X @ w + b - y) ** 2 / 2).mean())
        losses.append(epoch_loss)
        print(f"    epoch {epoch + 1}, loss {epoch_loss:f}", file=options.file)
    w_error = [t - g for t, g in zip(TRUE_W, _floats(w), strict=True)]
    b_error = TRUE_B - _floats(b)[0]
    out.show("w.reshape(true_w.shape)", w.detach().reshape(true_w.shape))
    out.show("b", b.detach())
    out.say(f"error in w: {_fmt(w_error)}")
    out.say(f"error in b: {b_error:.4f}")
    check(math.isfinite(losses[-1]), f"the training loss is {losses[-1]}")
    check(losses[-1] < 1e-3, f"the loss should fall below 0.001, it ended at {losses[-1]:f}")
    check(
        all(abs(e) < 0.01 for e in [*w_error, b_error]),
        f"w, b should be within 0.01 of {TRUE_W}, {TRUE_B}; errors {_fmt(w_error)}, {b_error}",
    )


def _fmt(values):
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def _progress(iterable, description, options):
    """Iterate with a progress bar on stderr: tqdm's if installed, a plain one otherwise."""
    if not options.progress:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _plain_progress(iterable, description)
    return tqdm(iterable, desc=f"    {description}", leave=False, file=sys.stderr)


def _plain_progress(iterable, description, width=30):
    items = list(iterable)
    redraw = sys.stderr.isatty()  # a log file gets no carriage-return animation
    for done, item in enumerate(items, 1):
        yield item
        if redraw:
            filled = width * done // len(items)
            bar = "#" * filled + "." * (width - filled)
            print(f"\r    {description} [{bar}] {done}/{len(items)}", end="", file=sys.stderr)
    if redraw:
        print("\r" + " " * (width + len(description) + 20) + "\r", end="", file=sys.stderr)


# --- the tour --------------------------------------------------------------------------------


def _lecture(step):
    """A walk step as a tour step (walk steps take no options)."""

    def run_step(torch, out, options):
        step(torch, out)

    run_step.__name__ = step.__name__
    return run_step


STOPS = [
    (
        "Tensors: n-d arrays with PyTorch's API",
        [
            ("arange, reshape, sum", tensors),
            ("Broadcasting: (3, 1) + (1, 2) -> (3, 2)", broadcasting),
        ],
    ),
    (
        "Autograd: the d2l lecture's examples (also `chainrule walk`)",
        [(title, _lecture(step)) for title, step in walk.STEPS],
    ),
    (
        "The computation graph of z = (<x,w> - y)^2 and its reverse accumulation",
        [("viz.graph(z) and viz.trace(z)", graph)],
    ),
    (
        "Two ways to build a graph: explicit (define, then bind) and implicit (recorded)",
        [("sym.var and c = 2 * a + b, next to the recorded c", constructions)],
    ),
    (
        "Linear regression from scratch (true w = [2, -3.4], b = 4.2)",
        [("1000 samples, minibatch SGD under no_grad", linear_regression)],
    ),
]


def steps():
    """All steps in order, as (stop title or None, step title, function)."""
    for stop, items in STOPS:
        for index, (title, step) in enumerate(items):
            yield (stop if index == 0 else None), title, step


def run(
    torch=None,
    *,
    quick: bool = False,
    out_dir: Path | str | None = None,
    file: IO[str] | None = None,
    progress: bool = True,
    seed: int = walk.SEED,
) -> int:
    """Run the tour, printing to ``file`` (stdout). Returns 0, or 1 if a step fails."""
    if torch is None:
        import chainrule as torch
    options = Options(quick=quick, out_dir=None if out_dir is None else Path(out_dir))
    options.file = sys.stdout if file is None else file
    options.progress = progress
    out = _Printer(options.file)
    print("chainrule tour: PyTorch's API on NumPy, with gradients you can see", file=options.file)
    torch.manual_seed(seed)
    all_steps = list(steps())
    for number, (stop, title, step) in enumerate(all_steps, 1):
        if stop is not None:
            out.caption(f"\n== {stop} ==")
        out.caption(f"\n{number}. {title}")
        try:
            step(torch, out, options)
        except Exception as e:  # a broken engine must give a message and exit code 1
            out.flush()
            options.file.flush()
            if not isinstance(e, CheckFailed):
                traceback.print_exc(file=sys.stderr)
            print(f"chainrule tour: step {number} ({step.__name__}) failed: {e}", file=sys.stderr)
            return 1
        out.flush()
    print(f"\nAll {len(all_steps)} steps check out.", file=options.file)
    return 0
