"""The differential fuzzer in CI: a fixed set of seeded random programs, each statement run
on chainrule and on PyTorch and compared (values, dtypes, shapes, grads, requires_grad,
is_leaf, errors, and that a failing call changes nothing).

A new class of disagreement fails with its minimal program. The classes in known.py are
tolerated, counted in the summary at the end of the run, and each one's example is run as a
probe: when it stops disagreeing, the entry must be deleted. The long run is
``python -m tests.fuzz --n 10000`` (see __main__.py). Skipped without PyTorch.
"""

import os

import pytest

torch = pytest.importorskip("torch")

from .campaign import check_known, describe, run  # noqa: E402
from .execute import execute  # noqa: E402
from .generate import generate  # noqa: E402
from .known import KNOWN, classify  # noqa: E402
from .program import Program  # noqa: E402
from .shrink import shrink  # noqa: E402

CI_PROGRAMS = int(os.environ.get("CHAINRULE_FUZZ_PROGRAMS", "300"))


def test_random_programs_agree_with_torch(pytestconfig):
    report = run(range(CI_PROGRAMS))
    lines = [report.summary()]
    for entry in sorted(report.classes.values(), key=lambda e: -e.count):
        if entry.known is not None:
            lines.append(f"  {entry.count:4d} programs: {entry.known.name} ({entry.known.item})")
    unused = [k.name for k in KNOWN if k.name not in report.known_counts()]
    if unused:
        lines.append(f"  known classes no program hit this time: {', '.join(unused)}")
    pytestconfig._chainrule_fuzz_summary = "\n".join(lines)
    new = report.unknown()
    if new:
        report.shrink(budget_s=10.0, only_unknown=True)
        pytest.fail(
            f"{sum(e.count for e in new)} program(s) disagree with PyTorch in "
            f"{len(new)} new class(es); minimal programs (they run as they are with "
            "`import torch` and with `import chainrule as torch`):\n\n"
            + "\n\n".join(describe(e) for e in new),
            pytrace=False,
        )


def test_known_classes_are_still_there():
    """Each known class's example still disagrees in that class; if not, delete the entry.
    (One test over the list: the list may be empty, when every known class is fixed.)"""
    for entry in KNOWN:
        out = check_known(entry)
        d = out.disagreement
        if d is None:
            pytest.fail(
                f"the known class {entry.name!r} ({entry.item}) is fixed: its example agrees "
                "with PyTorch now. Delete its entry from tests/fuzz/known.py.",
                pytrace=False,
            )
        got = classify(d, out.program)
        assert got is entry, (
            f"the example of {entry.name!r} now disagrees another way "
            f"({got.name if got else 'a new class'}):\n{d.describe()}"
        )


def test_programs_are_reproducible_and_round_trip():
    for seed in range(20):
        p = generate(seed)
        assert p == generate(seed)
        assert Program.parse(p.render()).stmts == p.stmts


def test_shrinking_finds_the_small_program():
    """A planted disagreement among unrelated statements shrinks to it and what it uses.

    ``torch.__name__`` is "torch" in one library and "chainrule" in the other, so v3 is v2
    in PyTorch and zeros in chainrule: a value disagreement that needs v0, v2 and v3 only.
    """
    program = Program.parse(
        """
v0 = torch.tensor([[0.5, -1.25], [2.0, 0.0]], requires_grad=True)
v1 = torch.tensor([1.0, 2.0], dtype=torch.float64)
v2 = (v0 * 3).exp()
v9 = v1.sum()
with torch.no_grad():
    v4 = v1 + 1
v5 = v2.T
v3 = v2 * (torch.__name__ == "torch")
v6 = v3.sum()
"""
    )
    out = execute(program)
    assert out.disagreement is not None and out.disagreement.kind == "value"
    small = shrink(out)
    assert small.disagreement.key == out.disagreement.key
    assert [s.code for s in small.program] == [
        "v0 = torch.ones(2, 2)",
        "v1 = (v0 * 3).exp()",
        'v2 = v1 * (torch.__name__ == "torch")',
    ]
