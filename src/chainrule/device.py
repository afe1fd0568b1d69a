"""Where a tensor's data lives (PyTorch's ``torch.device``); only ``cpu`` (NumPy) for now.

>>> import chainrule as torch
>>> torch.zeros(1).device, torch.device("cpu") == "cpu"
(device(type='cpu'), True)
"""

from __future__ import annotations


class device:
    """Where a tensor's data lives; only ``cpu`` (NumPy) for now.

    >>> import chainrule as torch
    >>> torch.zeros(1).device
    device(type='cpu')
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        self.type, self.index = type, index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)


CPU = device("cpu")
device.__module__ = "chainrule"
