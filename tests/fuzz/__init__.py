"""A differential fuzzer: seeded random programs run on chainrule and on PyTorch.

program.py    programs as data (one-line statements), rendering and parsing
generate.py   the seeded generator (runs candidates on PyTorch to learn the pool)
execute.py    runs a program on both libraries, comparing after every statement
shrink.py     the smallest program that shows the same disagreement
known.py      the disagreement classes CI tolerates until their fix lands (issue 11)
campaign.py   many seeds: classification, shrinking, the report
compiled.py   the same programs through chainrule.compile, against eager chainrule
__main__.py   ``python -m tests.fuzz --n 10000``: the long run
test_fuzz.py  the bounded run in CI
test_fuzz_compiled.py  the bounded compiled-vs-eager run in CI
"""
