"""chainrule keeps freed array memory for reuse on glibc, unless told not to."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

import chainrule  # noqa: F401  (importing it applies the setting)
from chainrule import _allocator


def _has_mallopt() -> bool:
    try:
        ctypes.CDLL(None).mallopt  # noqa: B018
        return True
    except (OSError, AttributeError, TypeError):
        return False


@pytest.mark.skipif(not _has_mallopt(), reason="glibc's mallopt is not available here")
def test_import_tunes_glibc_malloc():
    assert _allocator.tuned is (os.environ.get("CHAINRULE_MALLOC_TUNING", "1") != "0")


def test_the_environment_variable_turns_it_off():
    env = dict(os.environ, CHAINRULE_MALLOC_TUNING="0")
    code = "import chainrule; print(chainrule._allocator.tuned)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
