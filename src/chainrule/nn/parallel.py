"""``nn.DataParallel`` and ``nn.parallel.scatter``, as d2l's multi-GPU chapters use them.

chainrule runs a GPU's ops while it is CuPy's current device and has no replicas on
several GPUs at once: ``DataParallel`` over more than one GPU computes the whole batch
on the first one (the same numbers as PyTorch's split-and-gather, without the speed-up)
and says so once. With no GPU (``device_ids`` empty) or one, it is PyTorch's behaviour.

>>> import chainrule as torch
>>> net = torch.nn.DataParallel(torch.nn.Linear(2, 1), device_ids=[])
>>> net(torch.ones(3, 2)).shape, list(net.state_dict())
(torch.Size([3, 1]), ['module.weight', 'module.bias'])
"""

from __future__ import annotations

import warnings

from ..cuda import device_count as _device_count
from ..device import device as _device
from ..functions.shape import chunk
from .module import Module


def _gpu(d) -> _device:
    d = _device("cuda", d) if isinstance(d, int) and not isinstance(d, bool) else _device(d)
    if d.type == "cpu":
        raise ValueError(f"Expected a non cpu device, but got: {d}")
    return d


def scatter(inputs, target_gpus, dim: int = 0):
    """Split a tensor into ``len(target_gpus)`` chunks along ``dim``, one on each GPU
    (tuples, lists and dicts of tensors are split element by element).

    >>> import chainrule as torch
    >>> torch.nn.parallel.scatter(torch.ones(4), [])  # no GPUs: nothing to scatter to
    []
    """
    gpus = [_gpu(d) for d in target_gpus]
    if not gpus:
        return []

    def split(x):
        if hasattr(x, "_data"):
            return [c.to(g) for c, g in zip(chunk(x, len(gpus), dim), gpus, strict=False)]
        if isinstance(x, (tuple, list)) and x:
            return [type(x)(parts) for parts in zip(*(split(e) for e in x), strict=False)]
        if isinstance(x, dict) and x:
            keys = list(x)
            return [
                dict(zip(keys, parts, strict=True))
                for parts in zip(*(split(x[k]) for k in keys), strict=False)
            ]
        return [x for _ in gpus]

    return split(inputs)


class DataParallel(Module):
    """Run ``module`` on the batch, PyTorch's data-parallel wrapper: the wrapped module is
    ``.module`` (its parameters are named ``module.*``).

    >>> import chainrule as torch
    >>> torch.nn.DataParallel(torch.nn.Linear(2, 1), device_ids=[])
    DataParallel(
      (module): Linear(in_features=2, out_features=1, bias=True)
    )
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if device_ids is None:
            device_ids = list(range(_device_count()))
        self.module = module
        self.device_ids = [_gpu(d) for d in device_ids]
        self.output_device = output_device
        self.dim = dim
        self._warned = False

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        if len(self.device_ids) > 1 and not self._warned:
            warnings.warn(
                "chainrule's DataParallel computes the whole batch on the first GPU "
                f"({self.device_ids[0]}): it has no replicas on several GPUs at once",
                UserWarning,
                stacklevel=2,
            )
            self._warned = True
        first = self.device_ids[0]
        moved = [x.to(first) if hasattr(x, "_data") else x for x in inputs]
        return self.module(*moved, **kwargs)
