"""The guided tour (`chainrule`, `chainrule tour`): what it prints, checks and writes."""

import io
import re
import sys

import pytest

import chainrule
from chainrule import tour, walk
from chainrule.walk import _Printer


def run_tour(tmp_path, **kwargs):
    out = io.StringIO()
    kwargs.setdefault("quick", True)
    kwargs.setdefault("progress", False)
    code = tour.run(out_dir=tmp_path, file=out, **kwargs)
    return code, out.getvalue()


def test_the_tour_runs_and_checks_out(tmp_path):
    code, out = run_tour(tmp_path)
    assert code == 0, out
    total = len(list(tour.steps()))
    assert total == 5 + len(walk.STEPS)
    assert out.rstrip().endswith(f"All {total} steps check out.")
    # tensors and broadcasting
    assert "tensor([12, 15, 18, 21])" in out
    assert "tensor([[0, 1],\n" in out
    # the lecture's autograd values
    assert "tensor(14., grad_fn=<DotBackward0>)" in out
    assert out.count("matches: True") == 2
    # the graph and the trace of z = (<x,w> - y)^2 with w.grad = 2 * 3.5 * x
    assert "PowBackward0" in out and "DotBackward0" in out
    assert "dz/dw = [7, 14, 21]" in out
    assert "tensor([ 7., 14., 21.])" in out
    # the two constructions of c = 2a + b: the explicit graph, its gradient graphs and
    # their values, next to the recorded graph and its .grad
    assert "c = 2 * a + b" in out and "# Symbol(2 * a + b, float32[2, 1])" in out
    assert "# expand(reshape(1, shape=(1, 1)), shape=(2, 1)) * 2" in out
    assert re.search(r"print\(sym.optimize\(da\), sym.optimize\(db\)\)\s+# 2 1\n", out)
    assert out.count("tensor([[2., 2.]]), tensor([[1., 1.]])") == 2
    assert "grad_fn=<AddBackward0>" in out
    # linear regression: three epochs in quick mode, then the errors
    assert re.findall(r"epoch (\d+), loss", out) == ["1", "2", "3"]
    errors = re.search(r"error in w: \[(\S+), (\S+)\]\s+error in b: (\S+)", out)
    assert errors is not None
    assert all(abs(float(e)) < 0.01 for e in errors.groups())


def test_the_full_tour_trains_longer(tmp_path):
    code, out = run_tour(tmp_path, quick=False)
    assert code == 0, out
    assert len(re.findall(r"epoch \d+, loss", out)) == 5


def test_the_graph_is_written_to_out_dir(tmp_path):
    code, out = run_tour(tmp_path)
    assert code == 0
    (written,) = tmp_path.iterdir()
    assert str(written) in out
    text = written.read_text(encoding="utf-8")
    if written.suffix == ".svg":
        assert text.lstrip().startswith(("<?xml", "<svg")) and "PowBackward0" in text
    else:
        assert written.suffix == ".dot" and text.startswith("digraph")


def test_without_graphviz_the_graph_is_dot_text(tmp_path, monkeypatch):
    from chainrule import viz

    def no_graphviz(self):
        raise ImportError("chainrule.viz.graph(...).svg needs the graphviz package")

    monkeypatch.setattr(viz.Graph, "svg", no_graphviz)
    code, out = run_tour(tmp_path)
    assert code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["tour_graph.dot"]
    assert (tmp_path / "tour_graph.dot").read_text().startswith("digraph")
    assert "DOT text" in out


def test_by_default_it_writes_nothing_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert tour.run(quick=True, file=out, progress=False) == 0
    assert list(tmp_path.iterdir()) == []
    written = re.search(r"wrote (\S+)", out.getvalue()).group(1)
    assert "chainrule-tour-" in written


def test_a_broken_engine_fails_the_tour_naming_the_step(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(chainrule, "dot", lambda a, b: (2 * a * b).sum())
    code, out = run_tour(tmp_path)
    assert code == 1
    assert "step 3 (gradient_of_dot) failed" in capsys.readouterr().err
    assert "check out" not in out


def test_training_that_does_not_converge_fails_the_tour(tmp_path, monkeypatch, capsys):
    # grad.zero_() that does nothing: gradients pile up across minibatches.
    monkeypatch.setattr(chainrule.Tensor, "zero_", lambda self: self)
    number = [step for _, _, step in tour.steps()].index(tour.linear_regression) + 1
    monkeypatch.setattr(tour, "STOPS", [tour.STOPS[-1]])
    code, out = run_tour(tmp_path)
    assert code == 1
    assert number > 1
    assert "step 1 (linear_regression) failed" in capsys.readouterr().err


def test_a_missing_graph_file_fails_the_tour(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tour, "save_graph", lambda picture, path: path)
    code, _ = run_tour(tmp_path)
    assert code == 1
    assert "(graph) failed" in capsys.readouterr().err


def test_progress_bar_with_and_without_tqdm(tmp_path, monkeypatch, capsys):
    options = tour.Options(progress=True)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    assert list(tour._progress(range(5), "epoch 1", options)) == list(range(5))
    assert capsys.readouterr().err == ""  # not a terminal: no carriage-return animation
    monkeypatch.undo()
    pytest.importorskip("tqdm")
    assert list(tour._progress(range(5), "epoch 1", options)) == list(range(5))
    assert list(tour._progress(range(3), "x", tour.Options(progress=False))) == [0, 1, 2]


def test_the_tour_is_deterministic(tmp_path):
    first = run_tour(tmp_path)[1]
    second = run_tour(tmp_path)[1]
    assert first == second
    assert len(first.splitlines()) <= 150


@pytest.mark.parametrize("step", [tour.tensors, tour.broadcasting, tour.linear_regression])
def test_the_tour_checks_hold_for_pytorch(step):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    out = io.StringIO()
    step(torch, _Printer(out), tour.Options(quick=True, file=out, progress=False))


def test_a_wrong_symbolic_gradient_fails_the_tour(tmp_path, monkeypatch, capsys):
    from chainrule import sym

    # a "gradient" that is 2 * the input: right for da at a = 1, wrong for db
    monkeypatch.setattr(sym, "grad", lambda out, ins: [2 * x for x in ins])
    code, out = run_tour(tmp_path)
    assert code == 1
    assert "(constructions) failed: the explicit gradient db" in capsys.readouterr().err
