"""chainrule.expr: the command line's whitelisted expression parser."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule
from chainrule.expr import FUNCTIONS, ExprError, evaluate, parse_value


def test_values_of_the_documented_forms():
    x = chainrule.arange(4.0)
    assert chainrule.equal(evaluate("sum(x*x)", {"x": x}), chainrule.tensor(14.0))
    assert chainrule.equal(evaluate("x.sum()", {"x": x}), chainrule.tensor(6.0))
    assert chainrule.equal(evaluate("x[1:3]", {"x": x}), chainrule.tensor([1.0, 2.0]))
    assert chainrule.equal(evaluate("x[-1]", {"x": x}), chainrule.tensor(3.0))
    m = chainrule.ones(2, 3)
    assert evaluate("(m @ m.T)", {"m": m}).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert evaluate("m[:, 0]", {"m": m}).tolist() == [1.0, 1.0]
    assert evaluate("sum(m, dim=0, keepdim=True)", {"m": m}).shape == (1, 3)
    assert evaluate("-2 ** 2") == -4.0  # Python's precedence
    assert evaluate("2 * pi") == pytest.approx(6.283185307)
    assert evaluate("tensor([1, 2], dtype=float64)").dtype == chainrule.float64
    assert evaluate("zeros(size=(2, 3))").shape == (2, 3)


def test_parse_value_makes_tensors_from_numbers_and_lists():
    assert parse_value("3.").dtype == chainrule.float32
    assert parse_value("3").dtype == chainrule.int64
    assert parse_value("[[1., 2.], [3., 4.]]").shape == (2, 2)
    assert parse_value("arange(4.)").tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(ExprError, match="not a tensor"):
        parse_value("[1, [2]]")
    with pytest.raises(ExprError, match="not a tensor or a number"):
        parse_value("None")


def test_gradients_flow_through_evaluated_expressions():
    x = chainrule.arange(4.0, requires_grad=True)
    evaluate("sum(x*x) + mean(exp(x))", {"x": x}).backward()
    want = 2 * x.detach() + x.detach().exp() / 4
    assert chainrule.allclose(x.grad, want)


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os').system('touch PWNED')", "'__import__' is not allowed"),
        ("x.__class__.__base__", "'__class__' is not allowed"),
        ("x.__class__", "'__class__' is not allowed"),
        ("x.__class__.__bases__[0].__subclasses__()", "'__class__' is not allowed"),
        ("x._data", "'_data' is not allowed"),
        ("open('f')", "the function open() is not allowed"),
        ("eval('1')", "the function eval() is not allowed"),
        ("getattr(x, 'grad')", "the function getattr() is not allowed"),
        ("x.numpy()", "the method .numpy() is not allowed"),
        ("x.shape", "the attribute .shape is not allowed"),
        ("(lambda: 1)()", "only named functions can be called"),
        ("lambda: 1", "a lambda"),
        ("[i for i in x]", "a list comprehension"),
        ("{'a': 1}", "a dict"),
        ("x if x else x", "if/else"),
        ("x > 0", "a comparison"),
        ("'text'", "the constant 'text' is not allowed"),
        ("x // 2", "the operator // is not allowed"),
        ("x % 2", "the operator % is not allowed"),
        ("~x", "the operator ~ is not allowed"),
        ("sum(*[x])", "*arguments are not allowed"),
        ("sum(**{'dim': 0})", "**arguments are not allowed"),
        ("sum(x, out=x)", "the keyword out= is not allowed"),
        ("[0] * 10 ** 9", "is a list; operators take numbers and tensors"),
        ("9 ** 9 ** 9", "too large"),
        ("arange(1e12)", "would make 1000000000000 elements"),
        ("ones(100000, 100000)", "would make 10000000000 elements"),
        ("zeros(size=(100000, 100000))", "would make"),
        ("y + 1", "unknown name 'y': give its value with --y VALUE"),
        ("exp + 1", "'exp' is a function: call it"),
        ("x +", "cannot parse"),
        ("x = 1", "cannot parse"),
        ("(" * 300 + "x" + ")" * 300, "cannot parse"),
        ("-" * 900 + "x", "nested too deeply"),
        ("[1, 2].sum()", ".sum() needs a tensor, and [1, 2] is a list"),
        ("x" + " + x" * 1000, "characters long"),
        ("x.sum().__repr__()", "the method '__repr__' is not allowed"),
        ("x[1.5]", "an index must be an integer"),
    ],
)
def test_refuses_what_is_not_whitelisted(text, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExprError, match=re.escape(message)):
        evaluate(text, {"x": chainrule.arange(4.0)})
    assert list(tmp_path.iterdir()) == []  # and it ran nothing


def test_errors_from_chainrule_name_the_expression():
    with pytest.raises(ExprError, match=r"x @ y: RuntimeError"):
        evaluate("x @ y", {"x": chainrule.ones(2, 3), "y": chainrule.ones(2, 3)})


def test_the_whitelist_holds_only_chainrule_functions():
    assert {"arange", "tensor", "sum", "exp", "dot", "matmul", "sigmoid", "relu"} <= FUNCTIONS
    assert all(callable(getattr(chainrule, name)) for name in FUNCTIONS)
    assert not {"eval", "exec", "open", "getattr", "compile", "load", "save"} & FUNCTIONS


# Random arithmetic over x and y: the parser gives what Python itself gives for the text.
_leaf = st.sampled_from(["x", "y", "tensor(0.5)", "arange(3.)"])
_unary = st.sampled_from(
    ["exp({})", "tanh({})", "sigmoid({})", "relu({})", "-{}", "({}).abs()", "({}) ** 2", "{}.T"]
)
_binary = st.sampled_from(["({} + {})", "({} - {})", "({} * {})", "({} / {})", "({} + 2 * {})"])
_expressions = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(lambda f, a: f.format(a), _unary, inner),
        st.builds(lambda f, a, b: f.format(a, b), _binary, inner, inner),
    ),
    max_leaves=8,
)


@given(_expressions)
def test_agrees_with_python_on_random_expressions(text):
    x, y = chainrule.tensor([0.5, -1.0, 2.0]), chainrule.tensor([1.5, 0.25, -3.0])
    names = {name: getattr(chainrule, name) for name in FUNCTIONS}
    want = eval(text, {"__builtins__": {}}, {**names, "x": x, "y": y})  # trusted test text
    got = evaluate(text, {"x": x, "y": y})
    if isinstance(want, chainrule.Tensor):
        assert chainrule.allclose(got, want, equal_nan=True)
    else:
        assert got == pytest.approx(want)


@pytest.mark.parametrize(
    "text",
    [
        "outer(x, x)",  # a product of two 1e5-element vectors: 1e10 elements
        "x.reshape(-1, 1) * x",  # broadcasting to 1e10 elements
        "x.reshape(-1, 1) @ x.reshape(1, -1)",
        "ones(tensor(100000), tensor(100000))",  # sizes given as tensors
        "eye(n=100000)",  # sizes given by keyword
    ],
)
def test_results_too_large_are_refused_before_they_are_computed(text):
    x = chainrule.arange(1e5)
    with pytest.raises(ExprError, match="would make"):
        evaluate(text, {"x": x})


def test_a_float_size_is_refused():
    with pytest.raises(ExprError, match="size must be an integer"):
        evaluate("ones(tensor(2.5))")


def test_joins_and_small_products_still_work():
    x = chainrule.arange(3.0)
    assert evaluate("stack([x, x])", {"x": x}).shape == (2, 3)
    assert evaluate("outer(x, x)", {"x": x}).shape == (3, 3)
