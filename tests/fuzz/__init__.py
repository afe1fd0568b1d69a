"""A differential fuzzer: seeded random programs run on chainrule and on PyTorch.

program.py    programs as data (one-line statements), rendering and parsing
generate.py   the seeded generator (runs candidates on PyTorch to learn the pool)
execute.py    runs a program on both libraries, comparing after every statement
shrink.py     the smallest program that shows the same disagreement
known.py      the disagreement classes CI tolerates until their fix lands (issue 11)
campaign.py   many seeds: classification, shrinking, the report
__main__.py   ``python -m tests.fuzz --n 10000``: the long run
test_fuzz.py  the bounded run in CI
"""
