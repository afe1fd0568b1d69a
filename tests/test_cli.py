"""The `chainrule` command and its main job, the guided walk through the autograd lecture."""

import importlib.metadata
import io
import subprocess
import sys

import pytest

import chainrule
from chainrule import walk
from chainrule.cli import main

# What the lecture prints for its examples (and PyTorch prints for them too).
LECTURE_VALUES = [
    "tensor([0., 1., 2., 3.], requires_grad=True)",
    "tensor(14., grad_fn=<DotBackward0>)",
    "tensor([0., 2., 4., 6.])",
    "tensor([True, True, True, True])",
    "tensor([1., 3., 5., 7.])",
    "tensor([0., 0., 0., 0.])",
    "tensor([1., 1., 1., 1.])",
    "tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>)",
    "RuntimeError: grad can be implicitly created only for scalar outputs",
    "tensor([0., 1., 4., 9.])",
    "tensor(True)",
]


def run_main(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_walk_prints_the_lecture_values(capsys):
    code, out, err = run_main(capsys, [])
    assert code == 0, err
    for value in LECTURE_VALUES:
        assert value in out, value
    assert out.count("matches: True") == 2
    assert out.rstrip().endswith(f"All {len(walk.STEPS)} steps check out.")


def test_walk_is_short_and_deterministic(capsys):
    _, first, _ = run_main(capsys, [])
    _, second, _ = run_main(capsys, ["walk"])
    assert first == second  # `chainrule` and `chainrule walk` are the same job, seeded
    assert len(first.splitlines()) <= 60


def test_a_broken_engine_fails_the_walk(capsys, monkeypatch):
    # dot computing 2 * x.x: its gradient is 4x, not the lecture's 2x.
    monkeypatch.setattr(chainrule, "dot", lambda a, b: (2 * a * b).sum())
    code, out, err = run_main(capsys, [])
    assert code == 1
    assert "step 1 (gradient_of_dot) failed" in err
    assert "steps check out" not in out


def test_an_error_in_a_step_fails_the_walk(capsys, monkeypatch):
    def broken(torch, out):
        raise NotImplementedError("not there yet")

    monkeypatch.setattr(walk, "STEPS", [*walk.STEPS[:2], ("a broken step", broken)])
    code, out, err = run_main(capsys, [])
    assert code == 1
    assert "tensor([1., 1., 1., 1.])" in out  # the steps before it still printed
    assert "Traceback" in err
    assert "step 3 (broken) failed: not there yet" in err


def test_walk_runs_the_same_on_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = io.StringIO(), io.StringIO()
    assert walk.run(file=ours) == 0
    assert walk.run(torch=torch, file=theirs) == 0  # the walk's checks hold for PyTorch itself
    # Up to the first random draw (step 5), the two print exactly the same text.
    cut = "\n5. "
    assert ours.getvalue().split(cut)[0] == theirs.getvalue().split(cut)[0]


def test_python_m_chainrule():
    done = subprocess.run(
        [sys.executable, "-m", "chainrule"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "tensor([0., 2., 4., 6.])" in done.stdout


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: chainrule")
    assert "walk" in out
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "walk", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert "usage: chainrule walk" in done.stdout


def test_console_script_entry_point():
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name="chainrule")
    assert entry.value == "chainrule.cli:main"
    assert entry.load() is main


def test_readme_opens_with_the_two_commands_and_its_example_prints_what_it_says():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(
        "```\npip install -e . && python -m chainrule\npip install -e '.[test]' && pytest\n```\n"
    )
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    expected = [line.split("# ", 1)[1] for line in example.splitlines() if "print(" in line]
    printed = []
    exec(example, {"print": lambda value: printed.append(repr(value))})
    assert printed == expected
