"""Optimizer: the base class that holds parameter groups and per-parameter state.

Subclasses implement ``step``; the update runs under no_grad and writes into the
parameters in place, so the Parameter objects a model holds stay the same.

>>> import chainrule as torch
>>> w = torch.nn.Parameter(torch.tensor([1.0]))
>>> opt = torch.optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step(); w
Parameter containing:
tensor([0.8000], requires_grad=True)
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import is_dask
from ..tensor import Tensor, persist


class _RequiredParameter:
    """Marks a hyper-parameter that has no default (each group must give it)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _type_name(obj) -> str:
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def _unsupported(**flags: bool) -> None:
    """Refuse PyTorch options that only change how the update runs on other hardware."""
    for name, value in flags.items():
        if value:
            raise RuntimeError(
                f"{name}=True is not supported by chainrule's optimizers (they run on NumPy); "
                f"leave {name} at its default"
            )


def _no_grad_step(step: Callable) -> Callable:
    """Run an optimizer's step under no_grad (the update itself is not differentiated);
    then persist the parameters and state on ``'dask'`` (see ``_persist_dask``), with the
    closure's loss when it returned one."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        with no_grad():
            out = step(self, *args, **kwargs)
        _persist_dask(self, out)
        return out

    return wrapper


def _persist_dask(opt: Optimizer, loss: Any = None) -> None:
    """After a step, the ``'dask'`` parameters and their state tensors (momentum buffers,
    Adam's moments) are persisted together in one ``dask.persist``: their chunks are
    computed (on the workers when a ``dask.distributed`` Client is active) and step n's
    graph starts from them, instead of holding the graphs of steps 1 to n-1 (which would
    grow without bound and recompute every earlier step). Parameters stay the same leaf
    tensors; nothing happens for tensors on other devices. A ``'dask'`` loss returned by
    ``step(closure)`` joins the same persist: its forward is the gradients' own (shared
    chunks computed once), so reading it (``loss.item()``) costs no second pass over the
    data, as a loss computed after the step would."""
    params = [p for g in opt.param_groups for p in g["params"] if is_dask(p._data)]
    if not params:
        return
    state = [
        v
        for p in params
        for v in opt.state.get(p, {}).values()
        if isinstance(v, Tensor) and is_dask(v._data)
    ]
    extra = [loss] if isinstance(loss, Tensor) and is_dask(loss._data) else []
    persist(*params, *state, *extra)


class Optimizer:
    """Base class: ``params`` is an iterable of tensors, or of dicts (parameter groups)
    that each hold ``'params'`` and hyper-parameters overriding ``defaults``.

    >>> import chainrule as torch
    >>> a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    >>> opt = torch.optim.SGD([{"params": a.parameters()},
    ...                        {"params": b.parameters(), "lr": 0.01}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.01]
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_type_name(params)}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. when unfreezing
        layers during fine-tuning); unspecified ones come from ``defaults``.

        >>> import chainrule as torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
        >>> opt.add_param_group({"params": [torch.nn.Parameter(torch.ones(1))], "lr": 1.0})
        >>> len(opt.param_groups)
        2
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_type_name(p)}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                UserWarning,
                stacklevel=3,
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default, frees memory) or, with
        ``set_to_none=False``, to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = getattr(p, "_grad", None)
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    grad.requires_grad_(False)
                    grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once from their ``.grad``; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------- state dict
    def state_dict(self) -> dict[str, Any]:
        """The hyper-parameters of each group and the per-parameter state, with
        parameters replaced by their position (0, 1, ... over all groups), as PyTorch.

        >>> import chainrule as torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
        >>> opt.state_dict()["param_groups"][0]["params"]
        [0]
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by ``state_dict()`` (a copy is taken;
        state moves to each parameter's device and floating-point state is cast to its
        dtype, except ``step``)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for ours, saved in zip(self.param_groups, saved_groups, strict=True):
            if len(ours["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        by_index = {
            i: p
            for ours, saved in zip(self.param_groups, saved_groups, strict=True)
            for i, p in zip(saved["params"], ours["params"], strict=True)
        }
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in by_index:
                p = by_index[k]
                state[p] = {name: _cast(p, name, value) for name, value in v.items()}
        groups = []
        for ours, saved in zip(self.param_groups, saved_groups, strict=True):
            group = copy.deepcopy({k: v for k, v in saved.items() if k != "params"})
            group["params"] = ours["params"]
            groups.append(group)
        self.state = state
        self.param_groups = groups

    def __repr__(self) -> str:
        out = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            out += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return out + ")"


def _cast(param: Tensor, name: str, value):
    """A copy of a loaded state value on the parameter's device, floating tensors in its
    dtype (``step`` stays as saved), as PyTorch: state follows the parameters, so a state
    dict saved on one device loads into an optimizer whose parameters are on another."""
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    value = value.detach().clone()
    if name == "step":
        return value
    if value.is_floating_point() and value.dtype != param.dtype:
        value = value.to(param.dtype)
    return value.to(param.device)
