"""What the strict pass (``CHAINRULE_ARRAY_BACKEND=array_api_strict``) skips, and why.

``SKIPS``: (substring of a test id, reason): tests that cannot pass on array-api-strict for
a reason of the standard itself. Each reason is shown in pytest's skip line.

``tests/strict_green.txt``: the test ids known to pass on strict. The second CI pass runs
only those (``CHAINRULE_STRICT_SELECT``): porting the rest of the table off NumPy's array
methods (``.view``, ``.any``, ``.astype``... in forwards; see chainrule.backend) is work in
progress, and a test leaves the list's complement only by passing or by a reason here.
Regenerate the list with ``python tests/strict_green.py`` after porting more.
"""

_CONV = (
    "conv uses strided windows (as_strided), which the array API does not have; a "
    "per-backend im2col is future work"
)
_COMPLEX = (
    "complex tensors are built by viewing pairs of floats as complex (ndarray.view), which "
    "the array API does not have; an adapter complex() over real and imag is future work"
)
_VIEWS = (
    "writable expand/diagonal views are made with strides (as_strided), which the array "
    "API does not have (it has no views or strides at all)"
)

SKIPS: list[tuple[str, str]] = [
    ("conv", _CONV),
    ("pool", _CONV),
    ("unfold", _CONV),
    ("fold", _CONV),
    ("im2col", _CONV),
    ("complex", _COMPLEX),
    ("expand", _VIEWS),
    ("diagonal", _VIEWS),
    (
        "noncontiguous",
        "inputs are made non-contiguous by NumPy strides; the array API has no "
        "memory layout, so the case is the contiguous one already run",
    ),
]
