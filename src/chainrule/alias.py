"""``chainrule.as_torch()``: make ``import torch`` give chainrule in this process, so that
code written for PyTorch (d2l's helper package, a training script) runs on chainrule
unchanged: ``torch``, ``torch.nn``, ``torch.nn.functional``, ``torch.utils.data``,
``torch.optim``, ``torch.cuda``, ... become chainrule's modules of those names.

>>> import chainrule
>>> names = chainrule.as_torch(dry_run=True)  # (what it would register)
>>> names[0], "torch.nn.functional" in names, "torch.optim" in names
('torch', True, True)
"""

from __future__ import annotations

import sys


def as_torch(*, dry_run: bool = False) -> list[str]:
    """Register chainrule as ``torch`` (and each ``chainrule.X`` as ``torch.X``) in
    ``sys.modules``; returns the names registered. A real PyTorch already imported is
    left alone (it raises instead: two libraries under one name would mix their tensors).

    >>> import chainrule
    >>> "torch.nn.functional" in chainrule.as_torch(dry_run=True)
    True
    """
    chainrule = sys.modules[__name__.rpartition(".")[0]]  # the package (imported first)
    real = sys.modules.get("torch")
    if real is not None and real is not chainrule and not dry_run:
        raise RuntimeError(
            "PyTorch is already imported in this process; call chainrule.as_torch() before "
            "anything imports torch"
        )
    names = {"torch": chainrule}
    for name, mod in list(sys.modules.items()):
        if name.startswith("chainrule.") and mod is not None:
            names["torch." + name[len("chainrule.") :]] = mod
    if not dry_run:
        sys.modules.update(names)
    return sorted(names)
