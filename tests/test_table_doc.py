"""docs/TABLE.md, the derivative table on one page: it is what `python -m chainrule table`
prints, and what it prints is read from the table's declarations (chainrule.ops.REGISTRY)."""

import difflib
import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule.table
import chainrule.viz.rules
from chainrule.cli import main
from chainrule.ops import REGISTRY
from chainrule.ops.primitive import defop
from chainrule.table import COMMAND, render

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "TABLE.md"


@pytest.fixture(scope="module")
def text():
    return render()


def entry(text: str, name: str) -> str:
    """The block of one primitive: from its heading to the next blank line."""
    m = re.search(rf"^### {re.escape(name)}\n(.*?)(?:\n\n|\n?\Z)", text, re.S | re.M)
    assert m, f"no entry for {name}"
    return m.group(1)


def test_docs_table_is_up_to_date(text):
    written = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
    if written != text:
        diff = difflib.unified_diff(
            written.splitlines(), text.splitlines(), "docs/TABLE.md", "generated", lineterm=""
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(f"docs/TABLE.md is out of date: regenerate it with `{COMMAND}`\n{shown}")


def test_rules_read_as_their_source(text):
    assert "- vjp: x: `g * out`" in entry(text, "exp")
    assert "- vjp: x: `g / x`" in entry(text, "log")
    assert "- vjp: x: `g * y` · y: `g * x`" in entry(text, "mul")
    # ns.cos(x) reads cos(x); a named rule shows its call and its leading comment
    assert "x: `g * cos(x)`" in entry(text, "sin")
    assert "x: `_pow_dx(ns, g, x, y)  # d/dx x**y = y * x**(y-1)`" in entry(text, "pow")
    assert "- forward: `xp.exp(x)`" in entry(text, "exp")


def test_markers(text):
    assert "- vjp: x: `g` (PASS: unchanged) · y: `g` (PASS: unchanged)" in entry(text, "add")
    assert "- jvp: DIAGONAL: each vjp rule, with the tangent t for g" in entry(text, "mul")
    assert "- jvp: LINEAR: the op itself, on the tangent t" in entry(text, "clone")
    assert "- jvp: x: `matmul(t, y)` · y: `matmul(t, x)`" in entry(text, "dot")  # per input


def test_kink_flags_grad_fn_aliases(text):
    assert "- grad_fn `AbsBackward0` · flags: — · kink: abs'(0) = 0" in entry(text, "abs")
    assert "flags: promote, to_float, broadcast · kink: —" in entry(text, "div")
    assert "flags: view" in entry(text, "reshape")
    assert entry(text, "pow_tensor") == "- alias of `pow`, grad_fn `PowBackward1`"
    assert entry(text, "min_dim") == "- alias of `max_dim`, grad_fn `MinBackward0`"
    assert "- vjp: *xs: `_cat_vjp(ns, g, shapes, dim, skip, batch)`" in entry(text, "cat")


def test_every_entry_once_in_its_part(text):
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    assert [p.split("\n", 1)[0] for p in parts] == [
        "Part 1: elementwise math",
        "Part 2: reductions",
        "Part 3: shape ops",
        "Part 4: indexing",
        "Part 5: linear algebra",
        "Part 6: writing through a view (PyTorch's CopySlices)",
        "Part 7: losses, with the reduction inside",
        "Part 8: normalization",
        "Part 9: convolution and pooling over the last two axes (N, C, H, W)",
        "Part 10: special functions (log-gamma and its derivatives, the error function)",
        "Part 11: more elementwise math",
        "Part 12: statistics",
        "Part 13: writing into chosen positions (scatter, index_add, diag_embed)",
    ]
    for name, prim in REGISTRY.items():
        shown = re.findall(rf"^(?:### |- `){re.escape(name)}(?:\n|`: )", text, re.M)
        assert len(shown) == 1, name
        module = prim.fwd.__module__.rsplit(".", 1)[-1]
        (part,) = [p for p in parts if re.search(rf"^(### |- `){re.escape(name)}\b", p, re.M)]
        assert f"`chainrule/ops/{module}.py`" in part, name
    quiet = text.split("### Not differentiable\n", 1)[1].split("\n\n###", 1)[0]
    assert (
        "- `eq`: `_identity_refused(x == y)`" in quiet
        and "- `bitwise_and`: `x & y` · promote" in quiet
    )


def test_a_new_entry_shows_up_from_its_declaration(text, monkeypatch):
    cube = defop("cube", lambda xp, x: x * x * x, lambda g, x: 3 * g * x * x, register=False)
    monkeypatch.setitem(REGISTRY, "cube", cube)
    block = entry(render(), "cube")
    assert "- forward: `x * x * x`" in block
    assert "- vjp: x: `3 * g * x * x`" in block
    assert "- jvp: none (no forward mode)" in block
    # declared outside the five parts: a part of its own, after them, named by its module
    assert re.search(
        rf"^## {__name__}\n\n`{__name__.replace('.', '/')}.py`: 1 entry", render(), re.M
    )


def test_deterministic_and_relative(text):
    assert render() == text
    assert not re.search(r"0x[0-9a-f]{4,}", text)  # no object addresses
    assert str(ROOT) not in text and "site-packages" not in text


def test_doctests():
    for module in (chainrule.table, chainrule.viz.rules):
        assert doctest.testmod(module).failed == 0, module.__name__


# --- chainrule table ------------------------------------------------------------------------


def test_cli_prints_the_table(capsys, text):
    assert main(["table"]) == 0
    assert capsys.readouterr().out == text


def test_cli_writes_the_table(capsys, tmp_path, text):
    target = tmp_path / "TABLE.md"
    assert main(["table", "--out", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert target.read_bytes() == text.encode("utf-8")


def test_python_m_chainrule_table(text):
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "table"], capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == text


def test_cli_help_lists_table(capsys):
    for argv in (["--help"], ["table", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert re.search(r"^ +table +print the derivative table", out, re.M)
    assert "usage: chainrule table [-h] [--out OUT]" in out
