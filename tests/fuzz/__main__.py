"""The long fuzz run: ``python -m tests.fuzz --n 10000 [--seed S] [--jobs J]``.

Prints the agreement rate with PyTorch, a table of disagreement classes (known ones with
their issue-11 item, new ones marked NEW) and one minimal program for each, runnable with
``import torch`` or ``import chainrule as torch``. Exits 1 when a new class turns up.

Other uses, for checking a fix:
  python -m tests.fuzz --replay 1234          one seed's program and what happens to it
  python -m tests.fuzz --file case.py         a program saved from a report
  python -m tests.fuzz --known                run every known class's example (the probes)

Compiled against eager (compiled.py; the reference is eager chainrule, not PyTorch):
  python -m tests.fuzz --compiled --n 2000 [--seed S]
prints, for whole programs and for their pure parts, how many compiled fully, fell back
(by the warning's reason) or hit harness errors, and each mismatch class with a minimal
program; exits 1 when a class no entry of compiled.KNOWN matches turns up.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import campaign
from .execute import execute
from .generate import generate
from .known import KNOWN, classify
from .program import Program
from .shrink import shrink


def _show(out, title: str) -> None:
    d = out.disagreement
    print(f"--- {title}")
    if d is None:
        print(out.program.render())
        print("--- agrees with PyTorch" + (f" (soft: {out.soft})" if out.soft else ""))
        return
    print(out.program.render({d.index: d.kind}))
    known = classify(d, out.program)
    print("--- " + d.describe())
    print(f"--- class: {d.key}" + (f" (known: {known.name}, {known.item})" if known else " NEW"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="programs to run (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--time", type=float, default=None, help="stop after this many seconds")
    ap.add_argument("--shrink-time", type=float, default=20.0, help="seconds per class")
    ap.add_argument("--no-shrink", action="store_true", help="show examples unshrunk")
    ap.add_argument("--new-only", action="store_true", help="examples of new classes only")
    ap.add_argument("--soft", action="store_true", help="also list the soft differences")
    ap.add_argument("--replay", type=int, metavar="SEED", help="run one seed's program")
    ap.add_argument("--file", metavar="PATH", help="run a program from a file")
    ap.add_argument("--known", action="store_true", help="run the known classes' examples")
    ap.add_argument("--compiled", action="store_true", help="chainrule.compile against eager")
    args = ap.parse_args(argv)

    if args.compiled:
        return _compiled(args)

    if args.replay is not None or args.file:
        if args.file:
            with open(args.file) as f:
                program = Program.parse(f.read())
        else:
            program = generate(args.replay)
        out = execute(program)
        _show(out, f"seed {args.replay}" if args.file is None else args.file)
        if out.disagreement is not None and not args.no_shrink:
            _show(shrink(out, budget_s=args.shrink_time), "minimal")
        return 0 if out.agrees else 1

    if args.known:
        fixed = 0
        for k in KNOWN:
            out = campaign.check_known(k)
            d = out.disagreement
            still = d is not None and classify(d, out.program) is k
            fixed += not still
            print(f"{'still there' if still else 'FIXED (delete it)':18s} {k.item}  {k.name}")
        return 0

    def progress(r):
        print(
            f"  {r.n} programs, {r.agree} agree, {r.n - r.agree} disagree, {r.seconds:.0f} s",
            file=sys.stderr,
            flush=True,
        )

    seeds = range(args.seed, args.seed + args.n)
    report = campaign.run(seeds, jobs=args.jobs, time_limit=args.time, progress=progress)
    if not args.no_shrink:
        t = time.monotonic()
        report.shrink(budget_s=args.shrink_time, only_unknown=args.new_only)
        print(f"  shrunk in {time.monotonic() - t:.0f} s", file=sys.stderr)
    print(report.summary())
    print()
    print(report.table())
    print()
    print(report.examples(include_known=not args.new_only))
    if args.soft and report.soft:
        print("\nsoft differences (reported, not failures):")
        print(report.soft_table())
    return 1 if report.unknown() else 0


def _compiled(args) -> int:
    from . import compiled

    if args.jobs > 1:
        print("  --compiled runs in one process (--jobs ignored)", file=sys.stderr)

    def progress(n, reports, seconds):
        bad = sum(r.mismatches() for r in reports.values())
        print(f"  {n} programs, {bad} mismatches, {seconds:.0f} s", file=sys.stderr, flush=True)

    seeds = range(args.seed, args.seed + args.n)
    reports = compiled.run(seeds, time_limit=args.time, progress=progress)
    new = False
    for report in reports.values():
        if not args.no_shrink:
            report.shrink(budget_s=args.shrink_time)
        print(report.summary())
        print()
        text = report.examples()
        if text:
            print(text)
            print()
        new = new or bool(report.unknown())
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
