"""The runnable scripts in examples/, run small, with their printed results checked."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def epoch_losses(out):
    return [float(v) for v in re.findall(r"epoch \d+, loss (\S+)", out)]


@pytest.mark.parametrize("name", ["linear_regression_scratch", "linear_regression_concise"])
def test_linear_regression_recovers_the_parameters(name, capsys):
    result = load(name).main(["--epochs", "3"])
    out = capsys.readouterr().out
    losses = epoch_losses(out)
    assert len(losses) == 3 and losses[-1] < 1e-3
    assert "error in estimating w: tensor(" in out and "error in estimating b: tensor(" in out
    assert all(abs(e) < 0.02 for e in [*result["w_error"], result["b_error"]])
    assert losses[-1] == pytest.approx(result["loss"], rel=1e-5, abs=1e-6)


def test_the_concise_model_is_printed_like_pytorch(capsys):
    load("linear_regression_concise").main(["--epochs", "1", "--num-examples", "100"])
    out = capsys.readouterr().out
    assert "Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=True)\n)" in out


def test_examples_run_as_scripts():
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "linear_regression_scratch.py"), "--epochs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 1, loss" in done.stdout


def test_mlp_digits_reaches_95_percent(capsys):
    pytest.importorskip("sklearn")
    results = load("mlp_digits").main(["--no-plot"])
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert re.fullmatch(r"softmax regression test accuracy: 0\.\d{3}", lines[-2])
    assert re.fullmatch(r"MLP test accuracy: 0\.\d{3}", lines[-1])
    assert float(lines[-1].split(": ")[1]) == pytest.approx(results["MLP"], abs=5e-4)
    assert results["MLP"] >= 0.95
    assert results["softmax regression"] >= 0.9


def test_mlp_digits_small_run_writes_the_loss_curve(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    png = tmp_path / "loss.png"
    module = load("mlp_digits")
    results = module.main(["--epochs", "2", "--limit", "500", "--hidden", "64", "--plot", str(png)])
    out = capsys.readouterr().out
    assert "400 training and 100 test images" in out
    assert f"loss curves saved to {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(results) == {"softmax regression", "MLP"}
    assert all(0.3 < acc <= 1.0 for acc in results.values())  # chance is 0.1


def test_house_prices_preprocessing(tmp_path, capsys):
    pytest.importorskip("pandas")
    import chainrule

    result = load("house_prices_preprocessing").main(["--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    csv = (tmp_path / "house_tiny.csv").read_text().splitlines()
    assert csv == [
        "NumRooms,Alley,Price",
        "NA,Pave,127500",
        "2,NA,106000",
        "4,NA,178100",
        "NA,NA,140000",
    ]
    # The lecture's tensors: NA rooms -> the mean 3, Alley one-hot with a column for NA.
    assert result["X"].tolist() == [[3, 1, 0], [2, 0, 1], [4, 0, 1], [3, 0, 1]]
    assert result["y"].tolist() == [127500, 106000, 178100, 140000]
    assert result["X"].dtype == chainrule.float32
    assert "from_dataframe gives the same tensors: True" in out
    assert result["mse"] == pytest.approx(result["optimum"], rel=0.01, abs=1e-6)


def test_lenet_digits_reaches_98_percent(capsys):
    pytest.importorskip("sklearn")
    result = load("lenet_digits").main([])
    out = capsys.readouterr().out
    assert "1438 training and 359 test images, upsampled to 1x28x28" in out
    assert "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))" in out
    assert result["accuracy"] >= 0.98
    assert result["losses"][-1] < result["losses"][0] / 10


def test_regression_on_dask_recovers_the_weights(capsys):
    pytest.importorskip("dask.array")
    pytest.importorskip("distributed")
    args = ["--rows", "2e4", "--chunk", "5e3", "--features", "8", "--quiet"]
    result = load("regression_dask").main(args)
    out = capsys.readouterr().out
    assert "20,000 rows x 8 features" in out and "driver peak memory:" in out
    assert re.search(r"linear: loss \S+, median [\d,]+ rows/s; max \|w - w\*\| = ", out)
    w_true = result["w_true"]
    assert abs(result["linear"]["w"] - w_true).max() < 0.01
    assert abs(result["linear"]["b"] - result["b_true"]) < 0.01
    assert abs(result["logistic"]["w"] - w_true).max() < 0.1
    assert len(result["logistic"]["rows_per_s"]) == 20
    for kind in ("linear", "logistic"):  # the loss of each epoch's step, falling
        losses = result[kind]["losses"]
        assert len(losses) == 20 and losses[-1] < (0.1 if kind == "linear" else 0.9) * losses[0]
        assert result[kind]["loss"] <= losses[-1] * 1.01  # (after the last update)
