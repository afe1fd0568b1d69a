"""What the strict pass (``CHAINRULE_ARRAY_BACKEND=array_api_strict``) skips, and why.

``SKIPS``: (substring of a test id, reason): tests that cannot pass on array-api-strict for
a reason of the standard itself (or of the test's own setup). Each reason is shown in
pytest's skip line. A pattern is as narrow as the tests that need the missing feature:
every core test that matches one fails on strict for that reason, and no other does.

What the standard lacks and chainrule needs (memory layout and writable strided views,
NumPy's indexing, complex from parts, scatter-add...) is given by the adapter namespace
``chainrule.backend_strict`` (see its docstring), so the views, conv, complex and
non-contiguous tests run on strict too.

CI's strict pass runs every core test (``.ci/run``, step 3): a test that fails there and is
not listed here is a port to finish, not a skip to add.
"""

_FLOAT16 = (
    "float16 is not a dtype of the array API standard (array-api-strict refuses it); the "
    "test (or one of its cases) computes on a float16 tensor"
)
_DEVICES = (
    "moves CPU tensors to CUDA (real CuPy or the stand-in tests/_fakecupy.py, both of which "
    "take NumPy arrays); under the strict pass the CPU arrays are array-api-strict's, and "
    "CPU tensors are NumPy's outside this test backend"
)

SKIPS: list[tuple[str, str]] = [
    ("float16", _FLOAT16),
    ("-half]", _FLOAT16),  # test_hook_checks' dtype cases are named by PyTorch's "half"
    ("test_clamp_tensor_bounds_broadcast_and_dtypes_as_torch", _FLOAT16),
    ("on_cuda", _DEVICES),
    ("on_the_gpu", _DEVICES),
]
