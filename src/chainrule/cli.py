"""The ``chainrule`` command (also ``python -m chainrule``).

``chainrule`` with no command runs the guided walk; later issues add commands as subparsers.
"""

from __future__ import annotations

import argparse


def _walk(args: argparse.Namespace) -> int:
    from chainrule import walk

    return walk.run()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Automatic differentiation you can see: PyTorch's tensor API on NumPy. "
        "With no command, runs the guided walk.",
    )
    parser.set_defaults(run=_walk)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    commands.add_parser(
        "walk",
        help="walk through the d2l autograd lecture, printing and checking each value (default)",
        description="Run the d2l autograd lecture's examples with chainrule, print what PyTorch "
        "prints for them, and check every value; exits 1 if a check fails.",
    ).set_defaults(run=_walk)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
