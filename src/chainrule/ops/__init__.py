"""The derivative table: every differentiable primitive, declared once.

elementwise.py, reduction.py, shape.py, indexing.py, linalg.py, views.py, loss.py,
norm.py, conv.py, special.py, math_extra.py, stats.py and scatter.py each hold a part
of the table (forward, vjp per input, jvp, side by side);
``REGISTRY`` maps every entry's name to it. How an entry is declared is ``primitive.py``;
what is derived from it once is ``plan.py``; how an op runs and is recorded is
``apply.py``. ``python -m chainrule table`` prints the whole table on one page (docs/TABLE.md).

>>> from chainrule.ops import REGISTRY
>>> REGISTRY["exp"].grad_fn
'ExpBackward0'
"""

from __future__ import annotations

import warnings

from . import (
    conv,
    elementwise,
    indexing,
    linalg,
    loss,
    math_extra,
    norm,
    reduction,
    scatter,
    shape,
    special,
    stats,
    views,
)
from .apply import apply, apply_inplace, compare
from .primitive import DIAGONAL, LINEAR, PASS, REGISTRY, Primitive, alias, defop

# inf and nan are values here, as in PyTorch (log(0) = -inf, x / 0 = inf, sqrt'(0) = inf),
# not warnings. The filter matches only warnings raised from chainrule's ops and autograd
# modules (where forwards, rules and the engine run), and costs nothing per op.
warnings.filterwarnings(
    "ignore", category=RuntimeWarning, module=r"chainrule\.(ops|functions|autograd)\."
)
