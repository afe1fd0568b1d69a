"""The `chainrule` command: its main job (the tour, tests/test_tour.py), the walk through the
autograd lecture, and the grad and graph commands."""

import importlib.metadata
import io
import re
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
    code, out, err = run_main(capsys, ["walk"])
    assert code == 0, err
    for value in LECTURE_VALUES:
        assert value in out, value
    assert out.count("matches: True") == 2
    assert out.rstrip().endswith(f"All {len(walk.STEPS)} steps check out.")


def test_walk_is_short_and_deterministic(capsys):
    _, first, _ = run_main(capsys, ["walk"])
    _, second, _ = run_main(capsys, ["walk"])
    assert first == second  # seeded
    assert len(first.splitlines()) <= 60


def test_a_broken_engine_fails_the_walk(capsys, monkeypatch):
    # dot computing 2 * x.x: its gradient is 4x, not the lecture's 2x.
    monkeypatch.setattr(chainrule, "dot", lambda a, b: (2 * a * b).sum())
    code, out, err = run_main(capsys, ["walk"])
    assert code == 1
    assert "step 1 (gradient_of_dot) failed" in err
    assert "steps check out" not in out


def test_an_error_in_a_step_fails_the_walk(capsys, monkeypatch):
    def broken(torch, out):
        raise NotImplementedError("not there yet")

    monkeypatch.setattr(walk, "STEPS", [*walk.STEPS[:2], ("a broken step", broken)])
    code, out, err = run_main(capsys, ["walk"])
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


def test_python_m_chainrule_runs_the_tour(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "chainrule"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "tensor([0., 2., 4., 6.])" in done.stdout  # the lecture
    assert "dz/dw = [7, 14, 21]" in done.stdout  # the trace
    assert "error in w:" in done.stdout  # linear regression
    assert done.stdout.rstrip().endswith("steps check out.")
    assert list(tmp_path.iterdir()) == []  # the picture went to a temporary folder


def test_tour_options(capsys, tmp_path):
    code, out, _ = run_main(
        capsys, ["tour", "--quick", "--out-dir", str(tmp_path / "pictures"), "--no-progress"]
    )
    assert code == 0
    (written,) = (tmp_path / "pictures").iterdir()
    assert f"wrote {written}" in out
    assert len(re.findall(r"epoch \d+, loss", out)) == 3


def test_a_failing_tour_exits_1(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(chainrule, "dot", lambda a, b: (2 * a * b).sum())
    code, _, err = run_main(capsys, ["tour", "--quick", "--out-dir", str(tmp_path)])
    assert code == 1
    assert "chainrule tour: step 3 (gradient_of_dot) failed" in err


# --- chainrule grad / chainrule graph -------------------------------------------------------


def test_grad_prints_the_gradient(capsys):
    code, out, err = run_main(capsys, ["grad", "sum(x*x)", "--x", "arange(4.)"])
    assert code == 0, err
    assert out == "sum(x*x) = tensor(14.)\nd/dx = tensor([0., 2., 4., 6.])\n"


def test_grad_of_several_variables_in_any_order(capsys):
    argv = ["grad", "--w=[[1., 2.], [3., 4.]]", "(w @ x).sum() + b", "--x", "[1., -1.]"]
    code, out, err = run_main(capsys, [*argv, "--b", "0.5", "--unused", "1."])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "(w @ x).sum() + b = tensor(-1.5000)"
    assert lines[1:3] == ["d/dw = tensor([[ 1., -1.],", "               [ 1., -1.]])"]
    assert lines[3:] == [
        "d/dx = tensor([4., 6.])",
        "d/db = tensor(1.)",
        "d/dunused = None  (the expression does not use it)",
    ]


def test_grad_agrees_with_pytorch(capsys):
    torch = pytest.importorskip("torch")
    code, out, _ = run_main(
        capsys, ["grad", "mean(tanh(x) * exp(x)) ** 2", "--x", "[0.5, -1., 2.]"]
    )
    assert code == 0
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    ((torch.tanh(x) * torch.exp(x)).mean() ** 2).backward()
    assert out.splitlines()[1] == f"d/dx = {x.grad!r}"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["grad", "x*x", "--x", "arange(4.)"], "has shape [4]; a gradient needs a single number"),
        (["grad", "sum(x)", "--x", "arange(4)"], "only floating point tensors can require grad"),
        (["grad", "sum(x*y)", "--x", "arange(4.)"], "unknown name 'y': give its value with --y"),
        (["grad", "sum(x)", "--x", "__import__('os')"], "--x: '__import__' is not allowed"),
        (["grad", "x.__class__", "--x", "1."], "'__class__' is not allowed"),
        (["grad", "open('/etc/passwd')", "--x", "1."], "the function open() is not allowed"),
        (["grad", "sum(arange(4.))", "--x", "1."], "does not depend on x"),
        (["grad", "2 + 3", "--x", "1."], "is the number 5, not a tensor"),
        (["grad", "sum(arange(4.))"], "give at least one variable"),
        (["graph", "sum(x)", "--x", "1.", "-o", "out.png"], "name the file .svg"),
    ],
)
def test_grad_and_graph_errors(capsys, argv, message):
    code, out, err = run_main(capsys, argv)
    assert code == 2
    assert out == ""
    assert err.startswith(f"chainrule {argv[0]}: error: ")
    assert message in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["grad", "sum(x)", "--x"], "--x needs a VALUE"),
        (["grad", "sum(x)", "--x", "1.", "--x", "2."], "--x is given twice"),
        (["grad", "sum(x)", "--1x", "1."], "--1x is not a variable name"),
    ],
)
def test_bad_variable_options(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert message in str(exit_info.value.code)


def test_graph_prints_dot_text_without_output(capsys):
    code, out, _ = run_main(
        capsys, ["graph", "(dot(x, w) - 1.) ** 2", "--x", "[1., 2.]", "--w", "[3., 4.]"]
    )
    assert code == 0
    assert out.startswith("digraph")
    for op in ("PowBackward0", "SubBackward0", "DotBackward0"):
        assert op in out
    # the adjoints are drawn: d/dw (<x,w> - 1)^2 = 2 * 10 * x and d/dx = 2 * 10 * w
    assert "[20, 40]" in out and "[60, 80]" in out
    code, out, _ = run_main(capsys, ["graph", "--no-backward", "sum(x)", "--x", "[1., 2.]"])
    assert code == 0 and out.startswith("digraph") and "[1, 1]" not in out


@pytest.mark.parametrize("suffix", [".dot", ".svg"])
def test_graph_writes_a_file(capsys, tmp_path, suffix):
    target = tmp_path / f"g{suffix}"
    code, out, err = run_main(capsys, ["graph", "sum(x*x)", "-o", str(target), "--x", "arange(4.)"])
    assert code == 0, err
    (written,) = tmp_path.iterdir()
    assert out == f"wrote {written}\n"
    text = written.read_text(encoding="utf-8")
    if written.suffix == ".svg":
        assert "<svg" in text and "MulBackward0" in text
    else:
        assert text.startswith("digraph") and "MulBackward0" in text
        assert suffix == ".dot" or "graphviz cannot draw SVG here" in err


def test_graph_falls_back_to_dot_without_graphviz(capsys, tmp_path, monkeypatch):
    from chainrule import viz

    def no_dot(self):
        raise RuntimeError("chainrule.viz.graph(...).svg needs Graphviz's dot program")

    monkeypatch.setattr(viz.Graph, "svg", no_dot)
    code, out, err = run_main(
        capsys, ["graph", "sum(x)", "--x", "[1.]", "-o", str(tmp_path / "g.svg")]
    )
    assert code == 0
    assert out == f"wrote {tmp_path / 'g.dot'}\n"
    assert "wrote DOT text instead" in err


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: chainrule")
    for command in ("tour", "walk", "grad", "graph"):
        assert command in out
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
