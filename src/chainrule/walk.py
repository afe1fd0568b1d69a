"""The guided walk through the d2l autograd lecture: what ``python -m chainrule`` prints.

Each step is a small function that runs the lecture's code with ``torch`` bound to
chainrule (the tests also bind it to PyTorch itself, so the walk is checked against
the reference), prints each line of code next to the value PyTorch prints for it, and
checks the numbers with plain Python floats, so a broken engine cannot vouch for itself.
"""

from __future__ import annotations

import math
import sys
import traceback

SEED = 0
_NOTHING = object()


class CheckFailed(Exception):
    """A value in the walk is not the one the lecture (and PyTorch) give."""


def check(ok, message):
    """Like ``assert``, but not stripped by ``python -O``."""
    if not ok:
        raise CheckFailed(message)


def _floats(t):
    """The values of a tensor as a flat list of Python floats (no chainrule math)."""
    values = t.detach().tolist()
    if not isinstance(values, list):
        return [float(values)]
    flat = []
    stack = [values]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            flat.append(float(item))
    return flat


def expect(name, t, want):
    """Check that tensor ``t`` (shown as ``name``) holds exactly the floats ``want``."""
    check(t is not None, f"{name} is None")
    got = _floats(t)
    check(got == want, f"{name} should be {want}, got {got}")


def _dot(u, v):
    return sum(a * b for a, b in zip(u, v, strict=True))


def _close(got, want, rel=1e-5):
    return len(got) == len(want) and all(
        math.isclose(g, w, rel_tol=rel, abs_tol=rel) for g, w in zip(got, want, strict=True)
    )


class _Printer:
    """Prints a step as code with its value in a comment: ``y = torch.dot(x, x)  # tensor(14.)``.

    Lines are held until the step ends so that the comments line up.
    """

    def __init__(self, file):
        self.file = file
        self.lines = []

    def caption(self, text):
        self.flush()
        print(text, file=self.file)

    def show(self, code, value=_NOTHING):
        self.lines.append((code, None if value is _NOTHING else repr(value)))

    def say(self, text):
        self.lines.append((text, None))

    def flush(self):
        width = max((len(code) for code, value in self.lines if value is not None), default=0)
        for code, value in self.lines:
            if value is None:
                print(f"    {code}", file=self.file)
                continue
            first, *rest = value.splitlines()
            print(f"    {code:<{width}}  # {first}", file=self.file)
            for line in rest:
                print(f"    {'':<{width}}  # {line}", file=self.file)
        self.lines = []


# --- the steps, in the lecture's order ------------------------------------------------------


def gradient_of_dot(torch, out):
    """y = x.x for x = arange(4.): the gradient is 2x."""
    x = torch.arange(4.0, requires_grad=True)
    out.show("x = torch.arange(4.0, requires_grad=True)", x)
    out.show("x.grad", x.grad)
    check(x.grad is None, "x.grad should be None before backward()")
    y = torch.dot(x, x)
    out.show("y = torch.dot(x, x)", y)
    expect("torch.dot(x, x)", y, [14.0])
    y.backward()
    out.show("y.backward()")
    out.show("x.grad", x.grad)
    out.show("x.grad == 2 * x", x.grad == 2 * x)
    expect("x.grad", x.grad, [0.0, 2.0, 4.0, 6.0])


def accumulation(torch, out):
    """Gradients add up in .grad until grad.zero_(); y = x.sum() has gradient 1."""
    x = torch.arange(4.0, requires_grad=True)
    out.show("x = torch.arange(4.0, requires_grad=True)")
    torch.dot(x, x).backward()
    x.sum().backward()
    out.show("torch.dot(x, x).backward(); x.sum().backward()")
    out.show("x.grad", x.grad)
    expect("x.grad accumulated (2x + 1)", x.grad, [1.0, 3.0, 5.0, 7.0])
    grad = x.grad
    out.show("x.grad.zero_()", x.grad.zero_())
    check(x.grad is grad, "zero_() should clear x.grad in place, keeping the same tensor")
    expect("x.grad after zero_()", x.grad, [0.0] * 4)
    y = x.sum()
    y.backward()
    out.show("y = x.sum(); y.backward()")
    out.show("x.grad", x.grad)
    expect("the gradient of x.sum()", x.grad, [1.0] * 4)


def hadamard(torch, out):
    """y = x * x is a vector: backward needs a scalar, so sum it first."""
    x = torch.arange(4.0, requires_grad=True)
    out.show("x = torch.arange(4.0, requires_grad=True)")
    y = x * x
    out.show("y = x * x", y)
    try:
        y.backward()
    except RuntimeError as e:
        out.show("y.backward()", _Raised(e))
        check(
            "grad can be implicitly created only for scalar outputs" in str(e),
            f"backward() of a vector should say it needs a scalar, said {e!r}",
        )
    else:
        raise CheckFailed("y.backward() on a non-scalar y should raise RuntimeError")
    y.sum().backward()
    out.show("y.sum().backward()")
    out.show("x.grad", x.grad)
    expect("x.grad", x.grad, [0.0, 2.0, 4.0, 6.0])


def detach(torch, out):
    """u = y.detach() is a constant: z = u * x has gradient u, not 3x^2."""
    x = torch.arange(4.0, requires_grad=True)
    out.show("x = torch.arange(4.0, requires_grad=True)")
    y = x * x
    u = y.detach()
    out.show("y = x * x; u = y.detach()")
    out.show("u", u)
    check(not u.requires_grad, "a detached tensor should not require grad")
    z = u * x
    z.sum().backward()
    out.show("z = u * x; z.sum().backward()")
    out.show("x.grad == u", x.grad == u)
    expect("x.grad (= u)", x.grad, [0.0, 1.0, 4.0, 9.0])


def f(a):
    """The lecture's function with Python control flow: d = f(a) is k * a for some k."""
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_flow(torch, out):
    """Autograd follows whichever path the while loop and the if took."""
    out.say("# f(a): b = a * 2; double b while b.norm() < 1000; c = b if b.sum() > 0 else 100 * b")
    a = torch.randn(size=(), requires_grad=True)
    out.show("a = torch.randn(size=(), requires_grad=True)", a)
    d = f(a)
    out.show("d = f(a)", d)
    d.backward()
    out.show("d.backward()")
    out.show("a.grad", a.grad)
    out.show("a.grad == d / a", a.grad == d / a)
    # The same path in plain Python floats: f(a) = k * a.
    a0 = _floats(a)[0]
    k = 2.0
    while abs(k * a0) < 1000:
        k *= 2.0
    if k * a0 <= 0:
        k *= 100.0
    expect("a.grad", a.grad, [k])
    check(_close(_floats(d), [k * a0]), f"f(a) should be {k} * a = {k * a0}, got {_floats(d)}")


def chain_rule_dot(torch, out):
    """z = (<x, w> - y)^2 against the closed form dz/dw = 2(<x, w> - y) x."""
    x, y = torch.randn(4), torch.randn(())
    w = torch.randn(4, requires_grad=True)
    out.show("x, y = torch.randn(4), torch.randn(())")
    out.show("w = torch.randn(4, requires_grad=True)")
    z = (torch.dot(x, w) - y) ** 2
    z.backward()
    out.show("z = (torch.dot(x, w) - y) ** 2; z.backward()")
    out.show("w.grad", w.grad)
    closed = 2 * (torch.dot(x, w.detach()) - y) * x
    out.show("2 * (torch.dot(x, w.detach()) - y) * x", closed)
    xs = _floats(x)
    r = _dot(xs, _floats(w)) - _floats(y)[0]
    want = [2 * r * a for a in xs]
    _matches(torch, out, w.grad, closed, want)


def chain_rule_norm(torch, out):
    """z = ||Xw - y||^2 against the closed form dz/dw = 2 X^T (Xw - y)."""
    X, y = torch.randn(5, 3), torch.randn(5)
    w = torch.randn(3, requires_grad=True)
    out.show("X, y = torch.randn(5, 3), torch.randn(5)")
    out.show("w = torch.randn(3, requires_grad=True)")
    z = (X @ w - y).norm() ** 2
    z.backward()
    out.show("z = (X @ w - y).norm() ** 2; z.backward()")
    out.show("w.grad", w.grad)
    closed = 2 * X.T @ (X @ w.detach() - y)
    out.show("2 * X.T @ (X @ w.detach() - y)", closed)
    rows, ws, ys = X.tolist(), _floats(w), _floats(y)
    r = [_dot(row, ws) - yi for row, yi in zip(rows, ys, strict=True)]
    want = [2 * _dot(column, r) for column in zip(*rows, strict=True)]
    _matches(torch, out, w.grad, closed, want)


def _matches(torch, out, grad, closed, want):
    check(grad is not None, "w.grad is still None after z.backward()")
    matches = bool(torch.allclose(grad, closed))
    out.say(f"matches: {matches}")
    check(matches, "autograd's w.grad and the closed form differ")
    check(_close(_floats(grad), want), f"w.grad should be {want}, got {_floats(grad)}")


class _Raised:
    """Shows a caught exception the way the REPL would: ``RuntimeError: ...``."""

    def __init__(self, error):
        self.error = error

    def __repr__(self):
        return f"{type(self.error).__name__}: {self.error}"


STEPS = [
    ("The gradient of y = x·x is 2x", gradient_of_dot),
    ("Gradients accumulate in .grad until grad.zero_()", accumulation),
    ("Hadamard product y = x * x: sum it, then backward()", hadamard),
    ("detach(): u = y.detach() is a constant, so z = u * x has gradient u", detach),
    ("Python control flow: d = f(a) = k * a, so a.grad == d / a", control_flow),
    ("Chain rule: z = (<x,w> - y)^2, dz/dw = 2(<x,w> - y)x", chain_rule_dot),
    ("Chain rule: z = ||Xw - y||^2, dz/dw = 2X^T(Xw - y)", chain_rule_norm),
]


def run(torch=None, file=None, seed=SEED):
    """Run every step, printing to ``file`` (stdout). Returns 0, or 1 if a check fails."""
    if torch is None:
        import chainrule as torch
    file = sys.stdout if file is None else file
    out = _Printer(file)
    print("chainrule walk: the d2l autograd lecture with `import chainrule as torch`", file=file)
    torch.manual_seed(seed)
    for number, (title, step) in enumerate(STEPS, 1):
        out.caption(f"\n{number}. {title}")
        try:
            step(torch, out)
        except Exception as e:  # a broken engine must give a message and exit code 1
            out.flush()
            file.flush()
            if not isinstance(e, CheckFailed):
                traceback.print_exc(file=sys.stderr)
            print(f"chainrule walk: step {number} ({step.__name__}) failed: {e}", file=sys.stderr)
            return 1
        out.flush()
    print(f"\nAll {len(STEPS)} steps check out.", file=file)
    return 0
