"""Compiled programs against eager chainrule (issue 13: passes preserve results).

A fixed set of seeded programs, each run through ``chainrule.compile`` and eagerly, three
calls (trace, cached graph with other values, retrace with other shapes), whole and with
the imperative statements left out (see compiled.py). A mismatch in a class that
compiled.KNOWN does not list fails with its minimal program. Each known class's example
is a strict xfail: when it passes, the bug is fixed and the entry must go.
Needs no PyTorch (the reference is eager chainrule; the generator needs PyTorch).
"""

import os

import pytest

pytest.importorskip("torch")  # the generator learns its pool from PyTorch

from . import compiled  # noqa: E402

PROGRAMS = int(os.environ.get("CHAINRULE_FUZZ_COMPILED_PROGRAMS", "150"))


def test_compiled_programs_match_eager(pytestconfig):
    reports = compiled.run(range(PROGRAMS))
    failures = []
    for report in reports.values():
        new = report.unknown()
        if new:
            report.classes = {k: e for k, e in report.classes.items() if k in new}
            report.shrink(budget_s=10.0)
            failures.append(report.summary() + "\n\n" + report.examples())
    assert not failures, "compiled results differ from eager:\n\n" + "\n\n".join(failures)
    for report in reports.values():
        assert report.status["compiled"] > 0, report.summary()  # the mode tests graphs
        assert not report.errors, report.examples()


def _probe_param(k):
    # strict: when the example stops showing the class, the entry must go; an entry on
    # which main and this branch's base differ (strict=False) is not strict
    reason = f"a known compiled-vs-eager mismatch (compiled.KNOWN): {k.name}"
    return pytest.param(k, marks=pytest.mark.xfail(strict=k.strict, reason=reason), id=k.name)


@pytest.mark.parametrize("known", [_probe_param(k) for k in compiled.KNOWN])
def test_known_mismatch_example(known):
    out = compiled.probe(known)
    assert not compiled.shows(known, out), (
        f"{known.name}: {known.diagnosis}\n"
        + compiled.render(out)
        + "\n--- "
        + (out.mismatch or out.notes[0]).describe()
    )


def test_fallbacks_equal_eager():
    """An in-place write the compiler cannot write back (through a detached alias) falls
    back with a warning that names its line, and gives eager's numbers."""
    program = compiled.Program.parse(
        "v0 = torch.tensor([1.0, -2.0], requires_grad=True)\n"
        "v1 = torch.tensor([3.0, 4.0])\n"
        "v2 = v0 * v1\n"
        "v3 = v1.detach()\n"
        "v3.mul_(2)\n"  # (a write through a detached alias: not written back)
        "v4 = (v2 * v1).sum()\n"
        "v4.backward()\n"
    )
    out = compiled.check(program)
    assert out.status == "fallback" and out.mismatch is None, out.mismatch
    assert [op for _, op in out.reasons] == ["mul_"]  # the warning names the line


def test_a_wrong_compiled_result_is_caught(monkeypatch):
    """The harness itself: a 'compiler' whose results are off by an ulp is a mismatch."""
    import chainrule as cr

    class Off:
        fallbacks = traces = 0

        def __init__(self, fn):
            self.fn = fn

        def __call__(self, *args):
            return tuple(
                t.detach() * (1 + 2**-20) if isinstance(t, cr.Tensor) else t for t in self.fn(*args)
            )

    monkeypatch.setattr(cr, "compile", Off)
    program = compiled.Program.parse("v0 = torch.tensor([1.0, 3.0])\nv1 = v0.exp()\n")
    out = compiled.check(program)
    assert out.mismatch is not None and out.mismatch.kind.startswith("value"), out
    assert out.mismatch.subject == "v1"
