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


@pytest.mark.parametrize("known", compiled.KNOWN, ids=[k.name for k in compiled.KNOWN])
@pytest.mark.xfail(strict=True, reason="a known compiled-vs-eager mismatch (compiled.KNOWN)")
def test_known_mismatch_example(known):
    out = compiled.probe(known)
    assert not compiled.shows(known, out), (
        f"{known.name}: {known.diagnosis}\n"
        + compiled.render(out)
        + "\n--- "
        + (out.mismatch or out.notes[0]).describe()
    )


def test_fallbacks_equal_eager():
    """In-place writes and backward() fall back with a warning and give eager's numbers."""
    program = compiled.Program.parse(
        "v0 = torch.tensor([1.0, -2.0], requires_grad=True)\n"
        "v1 = torch.tensor([3.0, 4.0])\n"
        "v2 = v0 * v1\n"
        "v1.mul_(2)\n"
        "v3 = (v2 * v1).sum()\n"
        "v3.backward()\n"
    )
    out = compiled.check(program)
    assert out.status == "fallback" and out.mismatch is None, out.mismatch
    assert [op for _, op in out.reasons] == ["mul_"]  # the warning names the line
