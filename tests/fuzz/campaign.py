"""Many programs: run seeds (in worker processes if asked), classify, shrink, report."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

from .execute import Disagreement, Outcome, execute
from .generate import generate
from .known import KNOWN, Known, classify
from .program import Program
from .shrink import shrink

TIMEOUT_S = 20.0  # one program; more is a hang (reported as a disagreement of its own)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def run_seed(seed: int) -> Outcome:
    """Generate and run one program; a hang or a harness error is an outcome too."""
    use_alarm = hasattr(signal, "setitimer") and _main_thread()
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT_S)
    program = Program((), seed)
    try:
        program = generate(seed)
        return execute(program)
    except _Timeout:
        d = Disagreement("hang", "program", 0, "", f"no result in {TIMEOUT_S:.0f} s")
        return Outcome(program, d)
    except Exception:  # noqa: BLE001 - the harness itself must not stop a long run
        d = Disagreement("harness error", "program", 0, "", traceback.format_exc(limit=3))
        return Outcome(program, d)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


@dataclass
class Entry:
    """One class of disagreement: its programs and its smallest example."""

    key: str
    known: Known | None
    count: int = 0
    seeds: list = field(default_factory=list)
    example: Outcome | None = None  # the shortest program up to the disagreement
    minimal: Outcome | None = None  # after shrinking

    def offer(self, out: Outcome) -> None:
        self.count += 1
        self.seeds.append(out.program.seed)
        d = out.disagreement
        if self.example is None or d.index < self.example.disagreement.index:
            self.example = out


@dataclass
class Report:
    seeds: list = field(default_factory=list)
    agree: int = 0
    statements: int = 0
    seconds: float = 0.0
    classes: dict = field(default_factory=dict)  # key -> Entry
    soft: Counter = field(default_factory=Counter)  # (kind, op) -> count
    soft_examples: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.seeds)

    def add(self, out: Outcome) -> None:
        self.seeds.append(out.program.seed)
        self.statements += out.steps
        for kind, op, detail in out.soft:
            self.soft[(kind, op)] += 1
            self.soft_examples.setdefault((kind, op), (out.program.seed, detail))
        d = out.disagreement
        if d is None:
            self.agree += 1
            return
        known = classify(d, out.program)
        key = f"known: {known.name}" if known else d.key
        entry = self.classes.setdefault(key, Entry(key, known))
        entry.offer(out)

    def unknown(self) -> list[Entry]:
        return [e for e in self.classes.values() if e.known is None]

    def known_counts(self) -> dict[str, int]:
        return {e.known.name: e.count for e in self.classes.values() if e.known is not None}

    def shrink(self, budget_s: float = 20.0, only_unknown: bool = False) -> None:
        for e in self.classes.values():
            if e.minimal is None and (e.known is None or not only_unknown):
                e.minimal = shrink(e.example, budget_s=budget_s)

    # ------------------------------------------------------------------ text
    def summary(self) -> str:
        n = max(self.n, 1)
        known = sum(e.count for e in self.classes.values() if e.known and not e.known.accepted)
        accepted = sum(e.count for e in self.classes.values() if e.known and e.known.accepted)
        new = sum(e.count for e in self.unknown())
        lo, hi = (min(self.seeds), max(self.seeds)) if self.seeds else (0, -1)
        return (
            f"{self.n} programs (seeds {lo}..{hi}), {self.statements} statements, "
            f"{self.seconds:.0f} s\n"
            f"agree with PyTorch: {self.agree} ({100 * self.agree / n:.2f}%); "
            f"known defects: {known} ({100 * known / n:.2f}%); "
            f"not defects (PyTorch undefined or quirky): {accepted} ({100 * accepted / n:.2f}%); "
            f"new: {new} ({100 * new / n:.2f}%)"
        )

    def table(self) -> str:
        rows = sorted(self.classes.values(), key=lambda e: (e.known is not None, -e.count))
        width = max([len(e.key) for e in rows] + [5])
        lines = [f"{'class'.ljust(width)}  programs  issue", f"{'-' * width}  --------  -----"]
        for e in rows:
            item = e.known.item if e.known else "NEW"
            lines.append(f"{e.key.ljust(width)}  {e.count:8d}  {item}")
        return "\n".join(lines)

    def examples(self, include_known: bool = True) -> str:
        blocks = []
        rows = sorted(self.classes.values(), key=lambda e: (e.known is not None, -e.count))
        for e in rows:
            if e.known and not include_known:
                continue
            blocks.append(describe(e))
        return "\n\n".join(blocks)

    def soft_table(self) -> str:
        lines = []
        for (kind, op), count in self.soft.most_common():
            seed, detail = self.soft_examples[(kind, op)]
            lines.append(f"{count:6d}  {kind} | {op}  (seed {seed}: {detail[:150]})")
        return "\n".join(lines)


def describe(e: Entry) -> str:
    out = e.minimal or e.example
    d = out.disagreement
    head = f"=== {e.key}: {e.count} program(s), e.g. seeds {e.seeds[:5]}"
    if e.known:
        head += f"\n    known ({e.known.item}): {e.known.reason}"
    shrunk = "minimal program" if e.minimal else "program"
    return "\n".join(
        [
            head,
            f"--- {shrunk} (from seed {out.program.seed}):",
            out.program.render({d.index: d.kind}),
            "--- " + d.describe(),
        ]
    )


def run(
    seeds,
    jobs: int = 1,
    time_limit: float | None = None,
    progress=None,
) -> Report:
    """Run the seeds' programs; ``progress(report)`` is called now and then."""
    report = Report()
    start = time.monotonic()
    seeds = list(seeds)
    if jobs <= 1:
        outcomes = map(run_seed, seeds)
        pool = None
    else:
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        pool = ctx.Pool(jobs)
        outcomes = pool.imap_unordered(run_seed, seeds, chunksize=4)
    try:
        for out in outcomes:
            report.add(out)
            if progress and report.n % 250 == 0:
                report.seconds = time.monotonic() - start
                progress(report)
            if time_limit and time.monotonic() - start > time_limit:
                break
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    report.seconds = time.monotonic() - start
    return report


def check_known(entry: Known) -> Outcome:
    """Run a known class's example program (a probe: when it stops disagreeing in its
    class, the bug is fixed and the entry must go)."""
    return execute(Program.parse(entry.example))


__all__ = ["KNOWN", "Report", "run", "run_seed", "check_known", "describe"]
