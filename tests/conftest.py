"""Shared test settings: a bounded, deterministic hypothesis profile for CI."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("CHAINRULE_HYPOTHESIS_EXAMPLES", "20")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("ci")

# The strict pass (CHAINRULE_ARRAY_BACKEND=array_api_strict, see chainrule.backend): the
# same tests on array-api-strict arrays. A test that cannot run there is skipped by
# tests/strict_skips.py, each with its reason; a failure is not shrunk (the NumPy pass
# shrinks it), which keeps the second pass fast.
if os.environ.get("CHAINRULE_ARRAY_BACKEND") == "array_api_strict":
    from hypothesis import Phase

    settings.register_profile(
        "strict",
        parent=settings.get_profile("ci"),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    settings.load_profile("strict")


def pytest_collection_modifyitems(config, items):
    """Under the strict backend: skip by tests/strict_skips.py, with its reasons."""
    if os.environ.get("CHAINRULE_ARRAY_BACKEND") != "array_api_strict":
        return
    import pytest
    from strict_skips import SKIPS

    for it in items:
        for pattern, reason in SKIPS:
            if pattern in it.nodeid:
                it.add_marker(pytest.mark.skip(reason=f"array-api-strict: {reason}"))
                break
