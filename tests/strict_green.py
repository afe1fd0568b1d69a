"""Write tests/strict_green.txt: the ids of the core suite's tests that pass on strict.

    python tests/strict_green.py

Runs the core suite (ops gradchecks, autograd, func, nn, optim) with
CHAINRULE_ARRAY_BACKEND=array_api_strict and keeps the ids pytest reports PASSED.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = [
    "tests/ops/test_gradcheck_table.py",
    "tests/autograd",
    "tests/func",
    "tests/nn",
    "tests/optim",
]


def main() -> int:
    env = dict(os.environ, CHAINRULE_ARRAY_BACKEND="array_api_strict")
    env.pop("CHAINRULE_STRICT_SELECT", None)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore",
            "-o",
            "addopts=",
            "-q",
            "--tb=no",
            "-rA",
            *CORE,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    ids = sorted(
        {ln[len("PASSED ") :].strip() for ln in r.stdout.splitlines() if ln.startswith("PASSED ")}
    )
    head = "# core tests passing on array-api-strict (python tests/strict_green.py)\n"
    (ROOT / "tests" / "strict_green.txt").write_text(head + "".join(i + "\n" for i in ids))
    print(r.stdout.splitlines()[-1] if r.stdout else r.stderr[-2000:])
    print(f"{len(ids)} passing ids written to tests/strict_green.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
