"""The ``chainrule`` command (also ``python -m chainrule``).

``chainrule`` with no command runs the guided tour (``chainrule tour``); ``chainrule walk``
runs only the autograd lecture; ``chainrule table`` prints the derivative table
(docs/TABLE.md); ``chainrule grad`` and ``chainrule graph`` differentiate and
draw an expression typed in the terminal, with variables given as ``--NAME VALUE``:

    chainrule grad "sum(x*x)" --x "arange(4.)"
    chainrule graph "(dot(x, w) - y) ** 2" --x "[1., 2.]" --w "[3., 4.]" --y 1. -o z.svg

Expressions and values are read by ``chainrule.expr``, a whitelisted parser: nothing typed
here is passed to ``eval``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

VARIABLES_HELP = (
    "variables are given as --NAME VALUE (or --NAME=VALUE), e.g. --x 'arange(4.)' "
    "--w '[1., -2.]' --b 0.5; VALUE and EXPR may use numbers, lists, the variables, "
    "+ - * / ** @, indexing, .T, and chainrule functions such as arange, tensor, ones, "
    "randn, sum, mean, exp, log, tanh, sigmoid, relu, dot, matmul"
)


def _walk(args: argparse.Namespace) -> int:
    from chainrule import walk

    return walk.run()


def _tour(args: argparse.Namespace) -> int:
    from chainrule import tour

    return tour.run(quick=args.quick, out_dir=args.out_dir, progress=not args.no_progress)


def _variables(args: argparse.Namespace):
    """Parse each --NAME VALUE into a float leaf tensor that requires grad."""
    from chainrule.expr import ExprError, parse_value

    variables = {}
    for name, text in args.variables:
        try:
            value = parse_value(text)
        except ExprError as e:
            raise ExprError(f"--{name}: {e}") from None
        if not value.is_floating_point():
            raise ExprError(
                f"--{name} {text!r} is {value.dtype}, and only floating point tensors can "
                f"require gradients: write a float, e.g. arange(4.) or [1., 2.]"
            )
        variables[name] = value.detach().requires_grad_(True)
    return variables


def _evaluate(args: argparse.Namespace):
    import chainrule
    from chainrule.expr import ExprError, evaluate

    variables = _variables(args)
    y = evaluate(args.expr, variables)
    if not isinstance(y, chainrule.Tensor):
        raise ExprError(f"{args.expr!r} is the number {y!r}, not a tensor of the variables")
    return y, variables


def _grad(args: argparse.Namespace) -> int:
    from chainrule.expr import ExprError

    y, variables = _evaluate(args)
    if not variables:
        raise ExprError("give at least one variable to differentiate by, e.g. --x 'arange(4.)'")
    if y.numel() != 1:
        raise ExprError(
            f"{args.expr!r} has shape {list(y.shape)}; a gradient needs a single number: "
            f"wrap it in sum(...) or mean(...)"
        )
    if not y.requires_grad:
        raise ExprError(f"{args.expr!r} does not depend on {', '.join(variables)}")
    print(f"{args.expr} = {y.detach()!r}")
    y.backward()
    for name, x in variables.items():
        grad = x.grad if x.grad is not None else "None  (the expression does not use it)"
        print(_labelled(f"d/d{name} =", grad))
    return 0


def _labelled(label: str, value) -> str:
    """``label value``, with continuation lines of a multi-line tensor lined up."""
    first, *rest = repr(value).splitlines() if not isinstance(value, str) else [value]
    pad = " " * (len(label) + 1)
    return "\n".join([f"{label} {first}", *(pad + line for line in rest)])


def _graph(args: argparse.Namespace) -> int:
    from chainrule import viz
    from chainrule.expr import ExprError
    from chainrule.tour import save_graph

    if args.output is not None and Path(args.output).suffix.lower() not in {".svg", ".dot", ".gv"}:
        raise ExprError(f"-o {args.output}: name the file .svg (a picture) or .dot (DOT text)")
    y, variables = _evaluate(args)
    # A scalar is differentiated first (without touching .grad) so the edges carry adjoints.
    backward = args.backward and y.requires_grad and y.numel() == 1
    picture = viz.graph(y, backward=backward, names=dict(variables))
    if args.output is None:
        print(picture.source, end="")
        return 0
    written = save_graph(picture, args.output)
    if written != Path(args.output):
        print(
            "graphviz cannot draw SVG here (pip install chainrule[viz] and apt-get install "
            "graphviz); wrote DOT text instead",
            file=sys.stderr,
        )
    print(f"wrote {written}")
    return 0


def _table(args: argparse.Namespace) -> int:
    from chainrule.table import render

    text = render()
    if args.out is None:
        print(text, end="")
        return 0
    # "\n" line ends on every system: the file is compared with render() by a test
    args.out.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {args.out}")
    return 0


def _split_variables(argv: list[str], known: set[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Take the --NAME VALUE pairs that are not options of the command out of argv."""
    rest, variables = [], []
    i = 0
    while i < len(argv):
        token = argv[i]
        name, eq, value = token[2:].partition("=")
        if token.startswith("--") and len(token) > 2 and token.split("=")[0] not in known:
            if not name.isidentifier() or name.startswith("_"):
                raise SystemExit(f"chainrule: error: {token.split('=')[0]} is not a variable name")
            if not eq:
                if i + 1 >= len(argv):
                    raise SystemExit(f"chainrule: error: --{name} needs a VALUE")
                value = argv[i + 1]
                i += 1
            if name in dict(variables):
                raise SystemExit(f"chainrule: error: --{name} is given twice")
            variables.append((name, value))
        else:
            rest.append(token)
        i += 1
    return rest, variables


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``chainrule`` command (its subcommands included)."""
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Automatic differentiation you can see: PyTorch's tensor API on NumPy. "
        "With no command, runs the guided tour.",
    )
    parser.set_defaults(run=_tour, quick=False, out_dir=None, no_progress=False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    tour = commands.add_parser(
        "tour",
        help="the guided tour: tensors, the autograd lecture, a graph, linear regression (default)",
        description="Tensors and broadcasting, the d2l autograd lecture's examples, the graph "
        "of z = (<x,w> - y)^2 with its reverse accumulation, and linear regression from "
        "scratch; every value is checked, and the exit code is 1 if a check fails.",
    )
    tour.add_argument("--quick", action="store_true", help="fewer training epochs")
    tour.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="folder for the graph picture (default: a new temporary folder, so the tour "
        "writes nothing into the current directory)",
    )
    tour.add_argument("--no-progress", action="store_true", help="no progress bar")
    tour.set_defaults(run=_tour)

    commands.add_parser(
        "walk",
        help="walk through the d2l autograd lecture, printing and checking each value",
        description="Run the d2l autograd lecture's examples with chainrule, print what PyTorch "
        "prints for them, and check every value; exits 1 if a check fails.",
    ).set_defaults(run=_walk)

    grad = commands.add_parser(
        "grad",
        help="print the gradient of a scalar expression, e.g. grad 'sum(x*x)' --x 'arange(4.)'",
        description="Evaluate EXPR and print its gradient with respect to each variable.",
        epilog=VARIABLES_HELP,
        usage="chainrule grad [-h] EXPR --NAME VALUE [--NAME VALUE ...]",
    )
    grad.add_argument("expr", metavar="EXPR", help="a scalar expression, e.g. 'sum(x*x)'")
    grad.set_defaults(run=_grad)

    graph = commands.add_parser(
        "graph",
        help="draw the computation graph of an expression (SVG, or DOT)",
        description="Evaluate EXPR and draw the graph that backward walks. A scalar EXPR is "
        "differentiated first, so that the picture shows the gradient on each edge.",
        epilog=VARIABLES_HELP,
        usage="chainrule graph [-h] [-o OUTPUT] [--no-backward] EXPR --NAME VALUE ...",
    )
    graph.add_argument("expr", metavar="EXPR", help="an expression, e.g. '(dot(x, w) - y) ** 2'")
    graph.add_argument(
        "-o",
        "--output",
        help="file to write: .svg (needs graphviz; DOT text is written instead when it is "
        "missing) or .dot; without it, the DOT text is printed",
    )
    graph.add_argument(
        "--no-backward",
        dest="backward",
        action="store_false",
        help="draw the graph without running backward first",
    )
    graph.set_defaults(run=_graph)

    table = commands.add_parser(
        "table",
        help="print the derivative table: every primitive's forward, vjp and jvp (Markdown)",
        description="Print every primitive of the derivative table (chainrule.ops.REGISTRY) "
        "with its forward, its vjp rule per input, its jvp, its kink policy and its flags, "
        "read from the declarations themselves, as Markdown (docs/TABLE.md is its output).",
    )
    table.add_argument(
        "--out", type=Path, default=None, help="write the table to this file instead of printing it"
    )
    table.set_defaults(run=_table)
    return parser


# The commands that take --NAME VALUE variables, with their own long options.
_VARIABLE_COMMANDS = {"grad": {"--help"}, "graph": {"--help", "--output", "--no-backward"}}


def main(argv: list[str] | None = None) -> int:
    """Run the ``chainrule`` command with ``argv`` (default: the process's arguments)."""
    from chainrule.expr import ExprError

    argv = list(sys.argv[1:] if argv is None else argv)
    variables = []
    if argv and argv[0] in _VARIABLE_COMMANDS:
        rest, variables = _split_variables(argv[1:], _VARIABLE_COMMANDS[argv[0]])
        argv = [argv[0], *rest]
    args = build_parser().parse_args(argv)
    args.variables = variables
    try:
        return args.run(args)
    except ExprError as e:
        print(f"chainrule {argv[0]}: error: {e}", file=sys.stderr)
        return 2
